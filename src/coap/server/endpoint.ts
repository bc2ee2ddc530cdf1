// The request/response layer: what a CoAP server does with a request once a transport binding
// (../transport/exchange) has delivered it. Transport-independent: it never sees message types or ids, so
// the same server runs over UDP (../transport/messagelayer) and over a reliable RFC 8323 binding.
//
// Per request, in order (each rule named after its section):
//   RFC 7252 5.4.1 unrecognised critical option -> 4.02;  5.10.2 Proxy-Uri -> 5.05;
//   5.8 unknown method -> 4.05;
//   path -> resource or 4.04;  method handler or 4.05;  5.10.4 Accept not servable -> 4.06;
//   5.10.3 Content-Format not accepted -> 4.15;  5.10.8 If-Match / If-None-Match -> 4.12;
//   RFC 7959 Block1 reassembly -> 2.31 / 4.08 / 4.13 (Size1) / 4.00;  body limit -> 4.13;
//   RFC 7641 Observe 1 deregisters, Observe 0 registers (list full -> answered as a plain GET, 4.1);
//   handler (throws or rejects -> 5.00);  5.10.6.2 ETag validation -> 2.03;
//   RFC 7959 Block2 slicing (+Size2);  RFC 7967 No-Response suppresses the answer.
//
// Two classes, so a board image carries only what its binding needs (DeviceScript compiles every
// method of a class that is used, and a board's function bytecode must stay under 64 KB):
//   CoapServerCore  everything above except block-wise transfers and /.well-known/core query
//                   filtering (RFC 6690 4.1 makes it optional; the gateway filters its own list). Block1/Block2 in a request are
//                   then unrecognised critical options (4.02, RFC 7252 5.4.1) and a body over the
//                   limit is 4.13. For the board's reliable bindings (RFC 8323 over TCP, CoAP over
//                   MQTT): the gateway in front reassembles Block1 from its clients and re-slices
//                   Block2 towards them (src/host/gateway/forward.ts), so the board never needs it.
//   CoapServer      CoapServerCore + RFC 7959 (Block1 reassembly, Block2 slicing, the body cache),
//                   query filtering, remove() and observerCount(): the UDP endpoint, the gateway's
//                   front, and Node-side boards.

import type { Clock } from "../../io"
import {
    CoapCode,
    CoapMessage,
    CoapOption,
    CoapType,
    ContentFormat,
    addOption,
    codeClass,
    getOption,
    getOptions,
    getStringOptions,
    getUintOption,
    getUriPath,
    getUriQuery,
    newMessage,
    setOption,
    setStringOptions,
    setUintOption,
    splitPath,
} from "../codec/message"
import { BlockValue, OptionNumber, decodeBlock, encodeBlock, isReservedSzx, scanOptions } from "../codec/options"
import { Exchange, Outcome, RequestHandler, Transport } from "../transport/exchange"
import { CoapRequest, CoapResponse, Handler, Reply, Resource, ResourceTree, removeResource } from "./resources"
import { Block1Assembler, Block1Status, needsBlock2, sliceBlock2 } from "../transport/block"
import { Observer, ObserverRegistry, RFC7641_4_5_CON_INTERVAL_MS, mustConfirm, observerKey } from "../transport/observe"
import { discoveryHandler, unfilteredDiscoveryHandler } from "./resources-discovery"
import { bytesEqual } from "../../util/bytes"

export interface ServerOptions {
    clock: Clock
    /** Most observations at once; a new registration beyond it is served as a plain GET (RFC 7641 4.1). Default 16. */
    maxObservers?: number
    /** RFC 7641 4.5: one CON after this many notifications to a NON observer. Default 8. */
    conEveryN?: number
    /** RFC 7641 4.5: a CON at least this often (ms). Default 24 h. */
    conInterval?: number
    /** Largest request body (Block1 reassembly bound). Default 4096. */
    maxBodySize?: number
    /** Block1 transfers in progress at once. Default 4. */
    maxBlock1Transfers?: number
    /** How long an unfinished Block1 transfer is kept (ms). Default 247 s (EXCHANGE_LIFETIME). */
    block1Lifetime?: number
    /** Serve /.well-known/core (RFC 6690). Default true. */
    discovery?: boolean
    /** First Observe sequence number (tests use it to check the 24-bit wrap). Default 2. */
    initialObserveSeq?: number
}

/** A block-wise response body kept for later Block2 requests (RFC 7959 2.6). */
interface CachedBody {
    key: string
    expires: number
    /** The whole response (full payload); each block request gets a copy sliced from it. */
    response: CoapMessage
}

/** Most block-wise non-GET responses kept at once. */
const BODY_CACHE_SIZE = 2

/** Per-request facts the response builder needs (absent fields are undefined / false). */
interface Ctx {
    peer: string
    request: CoapMessage
    resource: Resource
    block1?: BlockValue
    block2?: BlockValue
    register?: boolean
    notification?: Observer
}

/** The CoAP server without block-wise transfers (see the top of this file). */
export class CoapServerCore implements RequestHandler {
    protected transport: Transport
    protected clock: Clock
    resources: ResourceTree
    protected observers: ObserverRegistry
    private conEveryN: number
    private conInterval: number
    private maxBodySize: number

    constructor(transport: Transport, opts: ServerOptions) {
        this.transport = transport
        this.clock = opts.clock
        this.resources = new ResourceTree()
        this.observers = new ObserverRegistry(opts.maxObservers ?? 16, opts.initialObserveSeq ?? 2)
        this.conEveryN = opts.conEveryN ?? 8
        this.conInterval = opts.conInterval ?? RFC7641_4_5_CON_INTERVAL_MS
        this.maxBodySize = opts.maxBodySize ?? 4096
        if (opts.discovery === undefined || opts.discovery) {
            // the whole list (CoapServer's constructor swaps in the filtering handler, RFC 6690 4.1)
            this.resources.add({
                path: WELL_KNOWN_CORE,
                formats: [ContentFormat.LinkFormat],
                hidden: true,
                get: unfilteredDiscoveryHandler(this.resources),
            })
        }
    }

    // ---- application side ----

    add(res: Resource): void {
        this.resources.add(res)
    }

    /** The resource at `path` changed: notify its observers (RFC 7641 4.2). */
    changed(path: string): void {
        const res = this.resources.find(path)
        if (res === undefined || res.get === undefined) return
        for (const o of this.observers.forPath(res.path)) this.notifyObserver(o, res)
    }

    // ---- RequestHandler (from the binding; tokenRejected is CoapServer's: only UDP has RST) ----

    peerGone(peer: string): void {
        this.observers.removePeer(peer)
    }

    handleRequest(ex: Exchange): void {
        const msg = ex.request()
        const peer = ex.peer()
        const method = msg.code
        // RFC 7252 5.4.1: an unrecognised critical option makes the whole request fail
        const known: CoapOption[] = []
        if (scanOptions(method, msg.options, known) >= 0) return this.fail(ex, CoapCode.BadOption)
        msg.options = known
        // RFC 7252 5.10.2: this endpoint is not a forward proxy
        if (getOption(msg, OptionNumber.ProxyUri) !== undefined || getOption(msg, OptionNumber.ProxyScheme) !== undefined) {
            return this.fail(ex, CoapCode.ProxyingNotSupported)
        }
        // RFC 7252 5.8: GET, POST, PUT, DELETE; anything else (FETCH, PATCH...) is 4.05
        if (method < CoapCode.GET || method > CoapCode.DELETE) return this.fail(ex, CoapCode.MethodNotAllowed)
        const path = getUriPath(msg)
        const res = this.resources.find(path)
        if (res === undefined) return this.fail(ex, CoapCode.NotFound)
        const handler = [res.get, res.post, res.put, res.delete][method - CoapCode.GET]
        if (handler === undefined) return this.fail(ex, CoapCode.MethodNotAllowed)
        // RFC 7252 5.10.4: Accept names the only acceptable response format
        const accept = getUintOption(msg, OptionNumber.Accept)
        if (accept !== undefined && res.formats !== undefined && res.formats.indexOf(accept) < 0) {
            return this.fail(ex, CoapCode.NotAcceptable)
        }
        // RFC 7252 5.10.3 / 5.9.2.9: a body in a format the resource does not take
        const cf = getUintOption(msg, OptionNumber.ContentFormat)
        const hasBody = method === CoapCode.PUT || method === CoapCode.POST
        if (hasBody && cf !== undefined && res.accepts !== undefined && res.accepts.indexOf(cf) < 0) {
            return this.fail(ex, CoapCode.UnsupportedContentFormat)
        }
        // RFC 7252 5.10.8: conditional requests
        if (!preconditionsHold(msg, res)) return this.fail(ex, CoapCode.PreconditionFailed)

        // RFC 7252 5.9.2.9 body limit; RFC 7959 block options (CoapServer) decide the body
        const maxBody = res.maxBodySize ?? this.maxBodySize
        const size1 = getUintOption(msg, OptionNumber.Size1)
        if (size1 !== undefined && size1 > maxBody) return this.fail(ex, CoapCode.RequestEntityTooLarge, maxBody)
        const ctx: Ctx = { peer: peer, request: msg, resource: res }
        const body = this.requestBody(ex, ctx, maxBody)
        if (body === undefined) return
        // RFC 7641 2 / 3.6: Observe in a GET registers (0) or deregisters (1)
        const observe = method === CoapCode.GET ? getUintOption(msg, OptionNumber.Observe) : undefined
        if (observe === 1) {
            this.observers.remove(peer, msg.token)
        } else if (observe === 0 && res.observable && (ctx.block2 === undefined || ctx.block2.num === 0)) {
            // RFC 7641 4.1: with the list full the request is served as a plain GET (no Observe
            // in the response tells the client it is not registered)
            const obs = this.observers
            ctx.register = obs.list.length < obs.max || obs.find(peer, msg.token) !== undefined
        }

        const req = makeRequest(peer, msg, res, body, false)
        const self = this
        invoke(handler, req, (r: CoapResponse) => {
            const out = self.buildResponse(ctx, r)
            // RFC 7967: the client asked not to hear about answers of this class
            if (suppressed(msg, out.code)) out.code = CoapCode.Empty
            ex.respond(out)
        })
    }

    /**
     * The request body, or undefined when the request has been answered already. Without RFC 7959
     * a Block1/Block2 option is an unrecognised critical option (RFC 7252 5.4.1: 4.02).
     */
    protected requestBody(ex: Exchange, ctx: Ctx, maxBody: number): Buffer | undefined {
        const msg = ctx.request
        if (getOption(msg, OptionNumber.Block1) !== undefined || getOption(msg, OptionNumber.Block2) !== undefined) {
            this.fail(ex, CoapCode.BadOption)
            return undefined
        }
        if (msg.payload.length > maxBody) {
            this.fail(ex, CoapCode.RequestEntityTooLarge, maxBody)
            return undefined
        }
        return msg.payload
    }

    /** The last step of every response: the payload goes in whole (CoapServer slices it). */
    protected finishResponse(ctx: Ctx, out: CoapMessage, payload: Buffer): CoapMessage {
        out.payload = payload
        return out
    }

    // ---- responses ----

    /** Turns a handler's answer into the response message (type/id/token are the binding's). */
    private buildResponse(ctx: Ctx, r: CoapResponse): CoapMessage {
        const res = ctx.resource
        const out = newMessage(CoapType.ACK, r.code, 0, ctx.request.token)
        let payload = r.payload ?? Buffer.alloc(0)
        if (r.options !== undefined) for (const o of r.options) addOption(out, o.number, o.value)
        const success = codeClass(r.code) === 2
        if (r.contentFormat !== undefined) setUintOption(out, OptionNumber.ContentFormat, r.contentFormat)
        let etag = r.etag
        if (etag === undefined && r.code === CoapCode.Content && res.etag !== undefined) etag = res.etag()
        if (etag !== undefined && success) setOption(out, OptionNumber.ETag, etag)
        const maxAge = r.maxAge ?? res.maxAge
        if (maxAge !== undefined && r.code === CoapCode.Content) setUintOption(out, OptionNumber.MaxAge, maxAge)
        if (r.locationPath !== undefined) setStringOptions(out, OptionNumber.LocationPath, splitPath(r.locationPath))
        if (r.locationQuery !== undefined) setStringOptions(out, OptionNumber.LocationQuery, r.locationQuery)

        // RFC 7252 5.10.6.2: the client's cached representation is still current
        if (r.code === CoapCode.Content && etag !== undefined && ctx.notification === undefined) {
            for (const t of getOptions(ctx.request, OptionNumber.ETag)) {
                if (bytesEqual(t, etag)) {
                    out.code = CoapCode.Valid
                    payload = Buffer.alloc(0)
                }
            }
        }

        // RFC 7641: the registration response and every notification carry a sequence number
        if (ctx.register && success) {
            const now = this.clock.now()
            const o: Observer = {
                key: observerKey(ctx.peer, ctx.request.token),
                peer: ctx.peer,
                token: ctx.request.token,
                path: res.path,
                request: ctx.request,
                contentFormat: r.contentFormat ?? -1,
                nonSinceCon: 0,
                lastConAt: now,
                active: true,
            }
            if (this.observers.add(o)) setUintOption(out, OptionNumber.Observe, this.observers.nextSeq())
        } else if (ctx.notification !== undefined && success) {
            setUintOption(out, OptionNumber.Observe, this.observers.nextSeq())
        }

        return this.finishResponse(ctx, out, payload)
    }

    /**
     * Answers with an error `code` (0.00, nothing, when No-Response suppresses it). A 4.13 tells
     * the limit in Size1 (`maxBody`, RFC 7959 2.9.3).
     */
    protected fail(ex: Exchange, code: number, maxBody?: number): void {
        const m = simpleAnswer(ex.request(), code)
        if (suppressed(ex.request(), code)) m.code = CoapCode.Empty
        else if (maxBody !== undefined) setUintOption(m, OptionNumber.Size1, maxBody)
        ex.respond(m)
    }

    // ---- notifications (RFC 7641 4.2-4.5) ----

    private notifyObserver(o: Observer, res: Resource): void {
        if (!o.active) return
        if (o.busy) {
            o.dirty = true
            return
        }
        o.busy = true
        const msg = o.request
        const ctx: Ctx = { peer: o.peer, request: msg, resource: res, notification: o }
        const req = makeRequest(o.peer, msg, res, Buffer.alloc(0), true)
        const self = this
        // only resources with a GET handler are observed (observe registration)
        invoke(res.get as Handler, req, (r: CoapResponse) => {
            o.busy = false
            if (o.active) self.sendNotification(o, res, self.buildResponse(ctx, r))
            if (o.dirty && o.active) {
                o.dirty = false
                self.notifyObserver(o, res)
            }
        })
    }

    private sendNotification(o: Observer, res: Resource, msg: CoapMessage): void {
        // RFC 7641 4.2: an observer keeps the representation format it registered for; when
        // the resource can no longer give it, the observation ends with 4.06 (TD_COAP_OBS_08)
        if (codeClass(msg.code) === 2 && (getUintOption(msg, OptionNumber.ContentFormat) ?? -1) !== o.contentFormat) {
            msg = newMessage(CoapType.CON, CoapCode.NotAcceptable, 0, o.token)
        }
        // RFC 7641 3.2/4.2: a non-2.xx notification ends the observation
        const final = codeClass(msg.code) !== 2
        if (final) this.observers.removeEntry(o)
        const con = final || mustConfirm(o, res.notifyConfirmable === true, this.conEveryN, this.conInterval, this.clock.now())
        if (con) o.nonSinceCon = 0
        else o.nonSinceCon++
        const self = this
        this.transport.notify(o.peer, msg, con, o.key, (outcome: Outcome) => {
            if (outcome === Outcome.Delivered) {
                if (con) o.lastConAt = self.clock.now()
                return
            }
            // RFC 7641 4.5: an unacknowledged CON (or an RST) removes the observer
            if (o.active) self.observers.removeEntry(o)
        })
    }
}

/** CoapServerCore + RFC 7959 block-wise transfers (the UDP endpoint, the gateway's front). */
export class CoapServer extends CoapServerCore {
    private block1: Block1Assembler
    /**
     * RFC 7959 2.6: the response to a POST/PUT/DELETE that went out block-wise, kept so the
     * client can fetch its further blocks (regenerating it would repeat a non-idempotent action).
     */
    private bodyCache: CachedBody[]
    private bodyCacheLifetime: number

    constructor(transport: Transport, opts: ServerOptions) {
        super(transport, opts)
        this.block1 = new Block1Assembler(opts.maxBlock1Transfers ?? 4, opts.block1Lifetime ?? 247000)
        this.bodyCache = []
        this.bodyCacheLifetime = opts.block1Lifetime ?? 247000
        // RFC 6690 4.1: this server filters /.well-known/core by the query
        const wk = this.resources.find(WELL_KNOWN_CORE)
        if (wk !== undefined) wk.get = discoveryHandler(this.resources)
    }

    /** RFC 7641 3.6: an RST to a notification removes the observer (UDP). */
    tokenRejected(peer: string, token: Buffer): void {
        this.observers.remove(peer, token)
    }

    // Board images have a fixed resource set and no use for these, so they live here.

    /**
     * Removes a resource. Its observers get a final 4.04 without Observe and are dropped
     * (RFC 7641 3.2, plugtest TD_COAP_OBS_07).
     */
    remove(path: string): void {
        const res = this.resources.find(path)
        if (res === undefined) return
        removeResource(this.resources, path)
        for (const o of this.observers.forPath(res.path)) {
            this.observers.removeEntry(o)
            const msg = newMessage(CoapType.CON, CoapCode.NotFound, 0, o.token)
            this.transport.notify(o.peer, msg, true, o.key, (outcome: Outcome) => {})
        }
    }

    observerCount(path?: string): number {
        return path === undefined ? this.observers.list.length : this.observers.forPath(path).length
    }

    override peerGone(peer: string): void {
        this.observers.removePeer(peer)
        this.block1.dropPrefix(peer + "|")
    }

    /** RFC 7959 2.3 / 2.5: the request body, possibly block-wise; RFC 7252 5.9.2.9 limit. */
    protected override requestBody(ex: Exchange, ctx: Ctx, maxBody: number): Buffer | undefined {
        const msg = ctx.request
        const peer = ctx.peer
        const method = msg.code
        const res = ctx.resource
        let body = msg.payload
        const b1 = getUintOption(msg, OptionNumber.Block1)
        let block1: BlockValue | undefined = undefined
        if (b1 !== undefined) {
            block1 = decodeBlock(b1)
            const key = bodyKey(ctx)
            const r = this.block1.add(key, block1, msg.payload, this.clock.now(), maxBody)
            if (r.status === Block1Status.Continue) {
                const cont = newMessage(CoapType.ACK, CoapCode.Continue, 0)
                setUintOption(cont, OptionNumber.Block1, encodeBlock({ num: block1.num, more: true, szx: this.szxFor(peer, block1.szx) }))
                ex.respond(cont)
                return undefined
            }
            if (r.status === Block1Status.Incomplete || r.status === Block1Status.BadBlock) {
                this.fail(ex, r.status === Block1Status.Incomplete ? CoapCode.RequestEntityIncomplete : CoapCode.BadRequest)
                return undefined
            }
            if (r.status === Block1Status.TooLarge) {
                this.fail(ex, CoapCode.RequestEntityTooLarge, maxBody)
                return undefined
            }
            body = r.body as Buffer // Complete carries the body
        } else if (body.length > maxBody) {
            this.fail(ex, CoapCode.RequestEntityTooLarge, maxBody)
            return undefined
        }

        const b2 = getUintOption(msg, OptionNumber.Block2)
        const block2 = b2 !== undefined ? decodeBlock(b2) : undefined
        if (block2 !== undefined && isReservedSzx(block2.szx)) {
            // RFC 7959 2.2: SZX 7 is reserved (BERT over reliable transports only): 4.00
            this.fail(ex, CoapCode.BadRequest)
            return undefined
        }
        const isGet = method === CoapCode.GET
        const cached = block2 !== undefined && block2.num > 0 && b1 === undefined ? this.cachedBody(bodyKey(ctx)) : undefined
        if (cached === undefined && !isGet && block2 !== undefined && block2.num > 0 && b1 === undefined) {
            // RFC 7959 2.6: a later block of the response to an earlier POST/PUT/DELETE, which
            // cannot be made again (the action is not idempotent)
            this.fail(ex, CoapCode.RequestEntityIncomplete)
            return undefined
        }
        if (cached !== undefined) {
            // the later blocks come from the body block 0 was cut from. For a GET this is what keeps
            // a representation that changes on every read (uptime, readings) consistent across its
            // blocks (RFC 7959 2.4); without it the ETag changed between blocks and libcoap's
            // client restarted the transfer forever. A GET with no kept body is answered afresh.
            const copy = newMessage(CoapType.ACK, cached.code, 0, msg.token)
            for (const o of cached.options) addOption(copy, o.number, o.value)
            const ctx2: Ctx = { peer: peer, request: msg, resource: res, block2: block2 }
            ex.respond(this.finishResponse(ctx2, copy, cached.payload))
            return undefined
        }
        ctx.block1 = block1
        ctx.block2 = block2
        return body
    }

    /** RFC 7959 2.4: a representation bigger than a block goes out block-wise. */
    protected override finishResponse(ctx: Ctx, out: CoapMessage, payload: Buffer): CoapMessage {
        // RFC 7959 2.3: the final response of a Block1 transfer echoes the block
        if (ctx.block1 !== undefined) {
            setUintOption(
                out,
                OptionNumber.Block1,
                encodeBlock({ num: ctx.block1.num, more: false, szx: this.szxFor(ctx.peer, ctx.block1.szx) })
            )
        }
        const success = codeClass(out.code) === 2
        const maxSzx = this.transport.maxBlockSzx(ctx.peer)
        let wanted = ctx.block2
        if (ctx.notification !== undefined) {
            // notifications carry the first block, at the size the observer negotiated
            const b2 = getUintOption(ctx.request, OptionNumber.Block2)
            wanted = b2 !== undefined ? { num: 0, more: false, szx: decodeBlock(b2).szx } : undefined
        }
        if (success && payload.length > 0 && (wanted !== undefined || needsBlock2(payload.length, maxSzx))) {
            const slice = sliceBlock2(payload, wanted, maxSzx)
            if (!slice.ok) return simpleAnswer(ctx.request, CoapCode.BadOption)
            if (slice.block.num > 0 || slice.block.more) {
                // RFC 7959 2.4: an ETag lets the client notice the representation changed between
                // blocks; without one from the resource, one is derived from the whole body
                if (getOption(out, OptionNumber.ETag) === undefined) setOption(out, OptionNumber.ETag, bodyEtag(payload))
                // block 0, of a response or of a notification, is kept for the blocks that follow it
                if (slice.block.num === 0) this.keepBody(bodyKey(ctx), out, payload)
                setUintOption(out, OptionNumber.Block2, encodeBlock(slice.block))
                // RFC 7959 4: Size2 tells the total size (always on block 0, and when asked)
                if (slice.block.num === 0 || getOption(ctx.request, OptionNumber.Size2) !== undefined) {
                    setUintOption(out, OptionNumber.Size2, payload.length)
                }
            } else if (wanted !== undefined) {
                setUintOption(out, OptionNumber.Block2, encodeBlock(slice.block))
            }
            payload = slice.payload
        }
        out.payload = payload
        return out
    }

    private keepBody(key: string, out: CoapMessage, payload: Buffer): void {
        const full = newMessage(CoapType.ACK, out.code, 0)
        // later blocks answer plain GETs: no Observe (RFC 7641 3.4), no Block1 of the request
        for (const o of out.options)
            if (o.number !== OptionNumber.Block1 && o.number !== OptionNumber.Observe) addOption(full, o.number, o.value)
        full.payload = payload
        const keep: CachedBody[] = []
        for (const c of this.bodyCache) if (c.key !== key) keep.push(c)
        while (keep.length >= BODY_CACHE_SIZE) keep.shift()
        keep.push({ key: key, expires: this.clock.now() + this.bodyCacheLifetime, response: full })
        this.bodyCache = keep
    }

    private cachedBody(key: string): CoapMessage | undefined {
        const now = this.clock.now()
        for (const c of this.bodyCache) if (c.key === key && c.expires > now) return c.response
        return undefined
    }

    private szxFor(peer: string, requested: number): number {
        const max = this.transport.maxBlockSzx(peer)
        return requested < max ? requested : max
    }
}

const WELL_KNOWN_CORE = "/.well-known/core"

/**
 * What a kept block-wise body answers: one peer's method on one path and query; a GET also by its
 * Accept, since each representation is its own body. Built only when a body is kept or looked up.
 */
function bodyKey(ctx: Ctx): string {
    const msg = ctx.request
    const key = ctx.peer + "|" + msg.code + "|" + getUriPath(msg) + "?" + getUriQuery(msg).join("&")
    return msg.code === CoapCode.GET ? key + "|" + getUintOption(msg, OptionNumber.Accept) : key
}

/** A response with just a code (type/id/token are the binding's). */
function simpleAnswer(request: CoapMessage, code: number): CoapMessage {
    return newMessage(CoapType.ACK, code, 0, request.token)
}

/** RFC 7967 2.1: No-Response bit 2 suppresses 2.xx, bit 8 4.xx, bit 16 5.xx. */
function suppressed(request: CoapMessage, code: number): boolean {
    const nr = getUintOption(request, OptionNumber.NoResponse)
    if (nr === undefined) return false
    const cls = codeClass(code)
    const bit = cls === 2 ? 2 : cls === 4 ? 8 : cls === 5 ? 16 : 0
    return (nr & bit) !== 0
}

/** Bytes of a body the automatic ETag looks at (besides its length). */
const ETAG_HASH_LIMIT = 4096

/**
 * A 4-byte ETag from a body (FNV-1a 32-bit over the length and the first 4 KB): same body, same
 * tag. Bounded because it runs for every block request, and DeviceScript panics after ~128k
 * operations without a yield (an 8 KB body hashed whole did, in the simulator).
 */
function bodyEtag(b: Buffer): Buffer {
    let h = Math.imul(0x811c9dc5 ^ (b.length & 0xffff), 0x01000193)
    const n = b.length < ETAG_HASH_LIMIT ? b.length : ETAG_HASH_LIMIT
    for (let i = 0; i < n; i++) h = Math.imul(h ^ b[i], 0x01000193)
    h = h >>> 0
    const t = Buffer.alloc(4)
    t[0] = (h >>> 24) & 0xff
    t[1] = (h >>> 16) & 0xff
    t[2] = (h >>> 8) & 0xff
    t[3] = h & 0xff
    return t
}

/** What a handler sees of a request (or, for a notification, of the registration replayed as a GET). */
function makeRequest(peer: string, msg: CoapMessage, res: Resource, body: Buffer, notification: boolean): CoapRequest {
    const accept = getUintOption(msg, OptionNumber.Accept)
    let format = accept
    if (format === undefined) format = res.formats !== undefined && res.formats.length > 0 ? res.formats[0] : ContentFormat.TextPlain
    return {
        method: notification ? CoapCode.GET : msg.code,
        peer: peer,
        path: res.path,
        segments: getStringOptions(msg, OptionNumber.UriPath),
        query: getStringOptions(msg, OptionNumber.UriQuery),
        payload: body,
        contentFormat: getUintOption(msg, OptionNumber.ContentFormat),
        accept: accept,
        format: format,
        notification: notification,
        message: msg,
    }
}

/**
 * RFC 7252 5.10.8.1 If-Match: proceed when any value equals the current ETag, or a value is
 * empty and the resource has a current value. 5.10.8.2 If-None-Match: proceed only when there
 * is no current value. A resource without etag() counts as existing with no ETag.
 */
function preconditionsHold(msg: CoapMessage, res: Resource): boolean {
    const ifMatch = getOptions(msg, OptionNumber.IfMatch)
    const ifNoneMatch = getOption(msg, OptionNumber.IfNoneMatch) !== undefined
    if (ifMatch.length === 0 && !ifNoneMatch) return true
    const current = res.etag !== undefined ? res.etag() : Buffer.alloc(0)
    const exists = current !== undefined
    if (ifNoneMatch && exists) return false
    if (ifMatch.length > 0) {
        if (!exists) return false
        let ok = false
        for (const v of ifMatch) if (v.length === 0 || (res.etag !== undefined && bytesEqual(v, current))) ok = true
        if (!ok) return false
    }
    return true
}

/**
 * Calls a handler so that a throw, a rejected promise (Node), or a second reply cannot hurt the
 * server: a failure answers 5.00 (RFC 7252 5.9.3.1).
 */
function invoke(h: Handler, req: CoapRequest, done: Reply): void {
    let called = false
    const once: Reply = (r: CoapResponse) => {
        if (called) return
        called = true
        try {
            done(r)
        } catch (e) {
            // building or sending the answer failed (a bad option from the handler): still answer
            done({ code: CoapCode.InternalServerError })
        }
    }
    const failed = (e: any) => {
        once({ code: CoapCode.InternalServerError })
    }
    try {
        const ret: any = h(req, once)
        if (ret && typeof ret.then === "function") ret.then(undefined, failed)
    } catch (e) {
        failed(e)
    }
}
