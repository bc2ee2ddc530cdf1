// The UDP CoAP front (RFC 7252 over node:dgram): coap://<gateway>/<id>/<path> reaches <path>
// on board <id>. Built from the core: MessageLayer (CON/NON, dedup, retransmission, separate
// responses) under a CoapServer whose resources are the boards' resources under /<id>/..., so
// /.well-known/core, Block2 towards the client, Block1 from it, and Observe fan-out (many
// clients, ONE upstream observation, see ./forward) are the core's, not re-implemented here.

import { createSocket, Socket } from "node:dgram"
import {
    CoapCode,
    CoapMessage,
    CoapType,
    getOption,
    getUintOption,
    getUriPathSegments,
    getUriQuery,
    newMessage,
    setUriQuery,
} from "../../coap/codec/message"
import { timingSafeEqual } from "node:crypto"
import { OptionNumber } from "../../coap/codec/options"
import { MessageLayer } from "../../coap/transport/messagelayer"
import { CoapServer } from "../../coap/server/endpoint"
import { Exchange, RequestHandler } from "../../coap/transport/exchange"
import { CoapRequest, CoapResponse, Reply, Resource, removeResource } from "../../coap/server/resources"
import { getLinkAttr, WebLink } from "../../coap/formats/linkformat"
import { nodeClock, nodeRandom } from "../node-platform"
import { forward, ForwardResult, UpstreamObservations } from "./forward"
import { Board, BoardRegistry } from "./registry"
import { guard } from "./boundary"
import { internalErrorFor, UDP_RECV_BUFFER } from "../coap-udp"

export interface CoapFrontOptions {
    host?: string
    /** 0 picks a free port; the gateway default is 5683. */
    port: number
    /** Observers at once across all boards. Default 64. */
    maxObservers?: number
    /** Drop an upstream observation this long after its last downstream observer left. Default 2000 ms. */
    upstreamIdleMs?: number
    /**
     * Access token every request must carry as a Uri-Query `at=<token>` (4.01 Unauthorized
     * otherwise); the query is removed before the request reaches a board. Unset or "" = no check
     * (keep the front on loopback then). Plain CoAP has no confidentiality: use it on a trusted
     * network, as the HTTP front's bearer token.
     */
    token?: string
}

const ACCESS_QUERY = "at="

/** Options of a board's response that a proxy passes on (RFC 7252 5.7.2). */
function toCoapResponse(r: ForwardResult): CoapResponse {
    const m = r.response
    const out: CoapResponse = { code: m.code, payload: m.payload }
    const cf = getUintOption(m, OptionNumber.ContentFormat)
    if (cf !== undefined) out.contentFormat = cf
    const maxAge = getUintOption(m, OptionNumber.MaxAge)
    if (maxAge !== undefined) out.maxAge = maxAge
    const etag = getOption(m, OptionNumber.ETag)
    if (etag !== undefined) out.etag = etag
    const loc = m.options.filter((o) => o.number === OptionNumber.LocationPath).map((o) => o.value.toString("utf-8"))
    if (loc.length > 0) out.locationPath = "/" + loc.join("/")
    return out
}

function numbers(v: string | undefined): number[] | undefined {
    if (v === undefined || v === "") return undefined
    const r = v
        .split(" ")
        .filter((x) => /^[0-9]+$/.test(x))
        .map((x) => Number(x))
    return r.length > 0 ? r : undefined
}

/** Checks and strips the `at=` query; true when no token is configured or the right one came. */
function takeAccessToken(req: CoapMessage, token: string | undefined): boolean {
    if (!token) return true
    const queries = getUriQuery(req)
    const given = queries.filter((q) => q.startsWith(ACCESS_QUERY)).map((q) => Buffer.from(q.slice(ACCESS_QUERY.length)))
    setUriQuery(
        req,
        queries.filter((q) => !q.startsWith(ACCESS_QUERY))
    )
    const want = Buffer.from(token)
    return given.length === 1 && given[0].length === want.length && timingSafeEqual(given[0], want)
}

export class CoapFront implements RequestHandler {
    server: CoapServer
    layer: MessageLayer
    observations: UpstreamObservations
    private socket: Socket | undefined
    private timer: NodeJS.Timeout | undefined
    /** Front paths added per board, to remove stale ones when links change. */
    private paths = new Map<string, Set<string>>()

    constructor(
        private reg: BoardRegistry,
        private opts: CoapFrontOptions
    ) {
        this.layer = new MessageLayer({
            clock: nodeClock,
            random: nodeRandom,
            send: (bytes, peer) => this.sendTo(bytes, peer),
        })
        this.server = new CoapServer(this.layer, { clock: nodeClock, maxObservers: opts.maxObservers ?? 64 })
        // this front sits between the message layer and the server to add resources on demand
        this.layer.attach(this)
        this.observations = new UpstreamObservations(reg, (id, path) => this.server.changed("/" + id + path))
        reg.on("links", (b: Board) => this.syncBoard(b))
        reg.on("online", (b: Board) => this.syncBoard(b))
        reg.on("offline", (b: Board) => this.observations.boardGone(b.id, b.reason))
    }

    async listen(): Promise<number> {
        // a burst beyond the kernel's default buffer (~256 small datagrams) would be dropped unread
        const sock = createSocket({ type: "udp4", recvBufferSize: UDP_RECV_BUFFER })
        this.socket = sock
        // one datagram's boundary (src/host/gateway/boundary.ts): a fault answers a CON request 5.00
        sock.on("message", (msg, rinfo) => {
            const peer = rinfo.address + ":" + rinfo.port
            guard(
                "udp",
                () => this.layer.receive(msg, peer),
                () => {
                    const r = internalErrorFor(msg)
                    if (r) this.sendTo(r, peer)
                }
            )
        })
        sock.on("error", () => {})
        await new Promise<void>((resolve, reject) => {
            sock.once("error", reject)
            sock.bind(this.opts.port, this.opts.host ?? "127.0.0.1", () => resolve())
        })
        this.timer = setInterval(() => guard("udp", () => this.tick()), 20)
        return sock.address().port
    }

    async close(): Promise<void> {
        if (this.timer) clearInterval(this.timer)
        const s = this.socket
        this.socket = undefined
        if (s) await new Promise<void>((r) => s.close(() => r()))
    }

    private tick(): void {
        this.layer.tick()
        this.observations.sweep((id, path) => this.server.observerCount("/" + id + path) > 0, this.opts.upstreamIdleMs ?? 2000)
    }

    private sendTo(bytes: Buffer, peer: string): void {
        const i = peer.lastIndexOf(":")
        this.socket?.send(bytes, Number(peer.slice(i + 1)), peer.slice(0, i))
    }

    // ---- RequestHandler: resources appear for any path under a known board ----

    handleRequest(ex: Exchange): void {
        if (!takeAccessToken(ex.request(), this.opts.token)) {
            const deny = newMessage(CoapType.ACK, CoapCode.Unauthorized, 0, ex.request().token)
            deny.payload = Buffer.from("missing or wrong access token (add ?at=<token>)")
            ex.respond(deny)
            return
        }
        const seg = getUriPathSegments(ex.request())
        if (seg.length >= 2 && this.reg.get(seg[0]) && !this.server.resources.find("/" + seg.join("/"))) {
            // a path the board did not list (hidden, or links not learned yet): still reachable
            this.addResource(seg[0], "/" + seg.slice(1).join("/"), undefined, true)
        }
        this.server.handleRequest(ex)
    }
    tokenRejected(peer: string, token: Buffer): void {
        this.server.tokenRejected(peer, token)
    }
    peerGone(peer: string): void {
        this.server.peerGone(peer)
    }

    // ---- board resources ----

    private syncBoard(b: Board): void {
        const want = new Set<string>()
        for (const l of b.links) {
            if (!l.href.startsWith("/")) continue
            want.add("/" + b.id + l.href)
            this.addResource(b.id, l.href, l, false)
        }
        const had = this.paths.get(b.id) ?? new Set<string>()
        for (const p of had) if (!want.has(p) && !this.server.resources.find(p)?.hidden) removeResource(this.server.resources, p)
        for (const p of want) had.add(p)
        this.paths.set(b.id, had)
    }

    private addResource(id: string, path: string, link: WebLink | undefined, hidden: boolean): void {
        const front = "/" + id + path
        const existing = this.server.resources.find(front)
        const formats = link ? numbers(getLinkAttr(link, "ct")) : undefined
        const observable = link ? getLinkAttr(link, "obs") !== undefined : true
        const handler = (req: CoapRequest, reply: Reply) => this.forwardRequest(id, path, req, reply)
        const res: Resource = {
            path: front,
            get: handler,
            put: handler,
            post: handler,
            delete: handler,
            observable,
            hidden,
            formats,
            rt: link ? getLinkAttr(link, "rt") : undefined,
            iface: link ? getLinkAttr(link, "if") : undefined,
            title: link ? getLinkAttr(link, "title") : undefined,
            sz: link && getLinkAttr(link, "sz") ? Number(getLinkAttr(link, "sz")) : undefined,
        }
        if (existing && existing.hidden && hidden) return
        this.server.add(res)
        const set = this.paths.get(id) ?? new Set<string>()
        set.add(front)
        this.paths.set(id, set)
    }

    private forwardRequest(id: string, path: string, req: CoapRequest, reply: Reply): void {
        const msg: CoapMessage = req.message
        const observe = req.method === CoapCode.GET ? getUintOption(msg, OptionNumber.Observe) : undefined
        if (req.notification) {
            reply(toCoapResponse(this.observations.current(id, path, req.accept)))
            return
        }
        if (observe === 0) {
            this.observations.register(id, path, req.accept, (r) => reply(toCoapResponse(r)))
            return
        }
        forward(
            this.reg,
            id,
            {
                method: req.method,
                segments: path.split("/").filter((s) => s.length > 0),
                query: req.query,
                accept: req.accept,
                contentFormat: req.contentFormat,
                payload: req.payload,
            },
            (r) => reply(toCoapResponse(r))
        )
    }
}
