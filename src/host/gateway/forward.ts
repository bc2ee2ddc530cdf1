// Requests from the fronts to a board, whatever its binding:
//   - forward(): one request/response; a Block2 response from the board (RFC 7959 2.4) is
//     fetched block by block and handed on whole, so the fronts can re-slice it for their clients;
//   - UpstreamObservations: ONE observation per (board, path, Accept) however many clients
//     observe it downstream (RFC 7641 with the gateway as a caching intermediary, RFC 7252 5.7);
//     per (board, path) for a board with one observer per resource (src/coap/server/board-coap.ts);
//   - such a board (every board on the MQTT binding; on coap+tcp one that registered with
//     et=devs-link.one-representation) answers one representation per resource:
//     forward() and the observations make the client's format from it (./representations).
// An unknown board is 4.04; an offline board or a board that does not answer in time is 5.04.

import {
    CoapCode,
    CoapMessage,
    CoapType,
    codeClass,
    getUintOption,
    newMessage,
    setUintOption,
    setStringOptions,
} from "../../coap/codec/message"
import { OptionNumber, decodeBlock, encodeBlock } from "../../coap/codec/options"
import { concatBytes } from "../../util/bytes"
import { Board, BoardRegistry } from "./registry"
import { actuatorBody, linkOf, representAs } from "./representations"

export interface ForwardRequest {
    method: number
    /** Path on the board, segments. */
    segments: string[]
    query: string[]
    accept?: number
    contentFormat?: number
    payload?: Buffer
    /** Extra options to pass through (If-Match, ETag...). */
    observe?: number
}

/** Either a response or a gateway-made error code (4.04 unknown board, 5.04 offline/timeout). */
export interface ForwardResult {
    response: CoapMessage
    /** Plain-words reason when the gateway answered itself. */
    error?: string
}

/** Largest representation reassembled from Block2 responses. */
export const MAX_FORWARD_BODY = 64 * 1024

export function buildRequest(f: ForwardRequest): CoapMessage {
    const m = newMessage(CoapType.CON, f.method, 0)
    setStringOptions(m, OptionNumber.UriPath, f.segments)
    if (f.query.length > 0) setStringOptions(m, OptionNumber.UriQuery, f.query)
    if (f.accept !== undefined) setUintOption(m, OptionNumber.Accept, f.accept)
    if (f.contentFormat !== undefined) setUintOption(m, OptionNumber.ContentFormat, f.contentFormat)
    if (f.observe !== undefined) setUintOption(m, OptionNumber.Observe, f.observe)
    if (f.payload && f.payload.length > 0) m.payload = f.payload
    return m
}

export function gatewayError(code: number, why: string): ForwardResult {
    const m = newMessage(CoapType.CON, code, 0)
    m.payload = Buffer.from(why)
    return { response: m, error: why }
}

/** Sends one request to board `id`, reassembling a Block2 response. */
export function forward(reg: BoardRegistry, id: string, f: ForwardRequest, done: (r: ForwardResult) => void): void {
    const board = reg.get(id)
    if (!board) return done(gatewayError(CoapCode.NotFound, "no board " + id))
    if (!board.online || !board.link) return done(gatewayError(CoapCode.GatewayTimeout, "board " + id + " is offline"))
    const link = board.link
    const parts: Buffer[] = []
    let size = 0
    const one = oneRepresentation(board)
    const res = one ? linkOf(board.links, "/" + f.segments.join("/")) : undefined
    if (one && f.method === CoapCode.PUT) f = { ...f, ...actuatorBody(res, f.contentFormat, f.payload) }
    const finish = done
    done = (r: ForwardResult) => finish(one && r.error === undefined ? { response: representAs(r.response, f.accept, res) } : r)
    const step = (num: number, szx: number) => {
        const req = buildRequest(f)
        if (num > 0) setUintOption(req, OptionNumber.Block2, encodeBlock({ num, more: false, szx }))
        link.request(req, (resp, err) => {
            // a request over the board's Max-Message-Size (RFC 8323 5.3.1, src/coap/transport/tcp-connection.ts)
            // never left: the client's request is too large (RFC 7252 5.9.2.9), not the board late
            if (err !== undefined && err.indexOf("Max-Message-Size") >= 0)
                return done(gatewayError(CoapCode.RequestEntityTooLarge, "board " + id + ": " + err))
            if (err !== undefined || resp === undefined) return done(gatewayError(CoapCode.GatewayTimeout, "board " + id + ": " + err))
            const b2 = getUintOption(resp, OptionNumber.Block2)
            if (b2 === undefined || codeClass(resp.code) !== 2) {
                if (parts.length > 0) resp.payload = concatBytes([...parts, resp.payload])
                return done({ response: resp })
            }
            const blk = decodeBlock(b2)
            parts.push(resp.payload)
            size += resp.payload.length
            if (size > MAX_FORWARD_BODY) return done(gatewayError(CoapCode.BadGateway, "representation too large"))
            if (!blk.more) {
                resp.payload = concatBytes(parts)
                return done({ response: resp })
            }
            step(blk.num + 1, blk.szx)
        })
    }
    step(0, 6)
}

/**
 * A board on the MQTT binding, or one that registered with the endpoint type saying so, answers
 * one representation per resource and keeps one observer per resource (src/coap/server/board-coap.ts);
 * the gateway makes the other formats (./representations).
 */
export function oneRepresentation(board: Board): boolean {
    return board.binding === "mqtt" || board.oneRepresentation
}

interface Upstream {
    key: string
    id: string
    path: string
    accept: number | undefined
    token: Buffer | undefined
    /** Latest representation (a 2.05 with Observe), or undefined before the first one. */
    latest: CoapMessage | undefined
    /** Set when the upstream observation ended (board gone, error): downstream ends too. */
    ended: ForwardResult | undefined
    waiting: ((r: ForwardResult) => void)[]
    /** Last time a downstream observer was seen (for the idle sweep). */
    lastWanted: number
}

/**
 * One upstream observation per (board, path, Accept). start() registers a downstream observer's
 * interest; `changed(frontPath)` is called on every upstream notification so the front can
 * notify its observers; they read current() for their representation.
 */
export class UpstreamObservations {
    private ups = new Map<string, Upstream>()

    constructor(
        private reg: BoardRegistry,
        private changed: (id: string, path: string) => void
    ) {}

    /** A board with one representation per resource is observed once per resource, without Accept. */
    private upstreamAccept(id: string, accept: number | undefined): number | undefined {
        const b = this.reg.get(id)
        return b && oneRepresentation(b) ? undefined : accept
    }

    private key(id: string, path: string, accept: number | undefined): string {
        accept = this.upstreamAccept(id, accept)
        return id + "|" + path + "|" + (accept === undefined ? "" : accept)
    }

    /** What a client asking for `accept` gets from the upstream's result. */
    private shape(id: string, path: string, accept: number | undefined, r: ForwardResult): ForwardResult {
        const b = this.reg.get(id)
        if (!b || !oneRepresentation(b) || r.error !== undefined) return r
        return { response: representAs(r.response, accept, linkOf(b.links, path)) }
    }

    /** The current state for a notification: latest value, or the error that ended it. */
    current(id: string, path: string, accept: number | undefined): ForwardResult {
        const u = this.ups.get(this.key(id, path, accept))
        if (!u) return gatewayError(CoapCode.GatewayTimeout, "observation ended")
        u.lastWanted = Date.now()
        if (u.ended) return this.shape(id, path, accept, u.ended)
        if (u.latest) return this.shape(id, path, accept, { response: u.latest })
        return gatewayError(CoapCode.GatewayTimeout, "no value yet")
    }

    /** A client registers: answer with the current value, starting the upstream observation if needed. */
    register(id: string, path: string, accept: number | undefined, reply: (r: ForwardResult) => void): void {
        const done = (r: ForwardResult) => reply(this.shape(id, path, accept, r))
        const k = this.key(id, path, accept)
        let u = this.ups.get(k)
        if (u && u.ended) {
            this.ups.delete(k)
            u = undefined
        }
        if (u) {
            u.lastWanted = Date.now()
            if (u.latest) return done({ response: u.latest })
            u.waiting.push(done)
            return
        }
        const board = this.reg.get(id)
        if (!board) return done(gatewayError(CoapCode.NotFound, "no board " + id))
        if (!board.online || !board.link) return done(gatewayError(CoapCode.GatewayTimeout, "board " + id + " is offline"))
        const nu: Upstream = {
            key: k,
            id,
            path,
            accept: this.upstreamAccept(id, accept),
            token: undefined,
            latest: undefined,
            ended: undefined,
            waiting: [done],
            lastWanted: Date.now(),
        }
        this.ups.set(k, nu)
        const segments = path.split("/").filter((s) => s.length > 0)
        const req = buildRequest({ method: CoapCode.GET, segments, query: [], accept: nu.accept, observe: 0 })
        const link = board.link
        nu.token = link.request(req, (resp, err) => this.onUpstream(nu, resp, err))
    }

    private onUpstream(u: Upstream, resp: CoapMessage | undefined, err: string | undefined): void {
        if (this.ups.get(u.key) !== u) return
        const waiting = u.waiting
        u.waiting = []
        if (err !== undefined || !resp || codeClass(resp.code) !== 2 || getUintOption(resp, OptionNumber.Observe) === undefined) {
            // RFC 7641 3.2: a response without Observe (or an error) ends the observation
            const r: ForwardResult =
                err !== undefined || !resp ? gatewayError(CoapCode.GatewayTimeout, "board " + u.id + ": " + err) : { response: resp }
            // kept (ended) until the sweep, so the final notification carries this result
            u.ended = r
            for (const w of waiting) w(r)
            // a value without Observe still answers waiting clients; the observers end
            this.changed(u.id, u.path)
            return
        }
        u.latest = resp
        for (const w of waiting) w({ response: resp })
        if (waiting.length === 0) this.changed(u.id, u.path)
    }

    /** The board went away: every observation on it ends (downstream gets 5.04). */
    boardGone(id: string, reason: string): void {
        for (const u of [...this.ups.values()]) {
            if (u.id !== id || u.ended) continue
            this.onUpstream(u, undefined, reason)
        }
    }

    /**
     * Drops upstream observations nobody downstream wants any more (RFC 7641 3.6: GET with
     * Observe=1 and the same token deregisters). `wanted(id, path)` tells whether the front
     * still has observers for the resource.
     */
    sweep(wanted: (id: string, path: string) => boolean, idleMs: number): void {
        const now = Date.now()
        for (const u of [...this.ups.values()]) {
            if (wanted(u.id, u.path)) {
                u.lastWanted = now
                continue
            }
            if (u.ended) {
                this.ups.delete(u.key)
                continue
            }
            if (now - u.lastWanted < idleMs || u.waiting.length > 0) continue
            this.ups.delete(u.key)
            const board = this.reg.get(u.id)
            if (board && board.online && board.link && u.token) {
                board.link.cancel(u.token)
                const segments = u.path.split("/").filter((s) => s.length > 0)
                const req = buildRequest({ method: CoapCode.GET, segments, query: [], accept: u.accept, observe: 1 })
                req.token = u.token
                board.link.request(req, () => {})
            }
        }
    }

    count(): number {
        return this.ups.size
    }
}
