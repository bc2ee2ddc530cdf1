// The coap+tcp (and coaps+tcp) head-end: boards on the CoAP-over-TCP binding dial in, exchange
// CSMs (RFC 8323), register with the resource directory below, and then answer the gateway's
// requests over that same connection.
// RD interface (RFC 9176 5.3): POST /rd?ep=<id>[&lt=<s>] with application/link-format
// -> 2.01 Location-Path rd/<n>; POST /rd/<n> (update, optional lt= and links) -> 2.04;
// DELETE /rd/<n> -> 2.02; GET /rd-lookup/ep -> the registrations as link-format (RFC 9176 7).

import { BOARD_COAP_ENDPOINT_TYPE } from "../../coap/server/board-coap"
import { createServer as netServer, Server, Socket } from "node:net"
import { createServer as tlsServer } from "node:tls"
import {
    CoapCode,
    CoapMessage,
    CoapType,
    ContentFormat,
    getContentFormat,
    getUriPathSegments,
    getUriQuery,
    newMessage,
    setContentFormat,
    setLocationPath,
} from "../../coap/codec/message"
import { parseLinks, WebLink } from "../../coap/formats/linkformat"
import { CoapReply, CoapTcpConnection } from "../../coap/transport/tcp-connection"
import { CoapResponseCallback } from "../../coap/transport/token-matcher"
import { nodeClock, nodeRandom } from "../node-platform"
import { BoardLink, BoardRegistry } from "./registry"
import { guard } from "./boundary"

export interface TcpHeadEndOptions {
    host?: string
    /** 0 picks a free port. */
    port: number
    /** PEM key and certificate: coaps+tcp (TLS) instead of coap+tcp. */
    tls?: { key: string | Buffer; cert: string | Buffer }
    /** A request to a board fails (5.04 upstream) after this. Default 3000 ms. */
    requestTimeoutMs?: number
    /** Ping a silent board after this. Default 30000 ms. */
    pingIdleMs?: number
    /** RFC 9176 default lifetime when lt= is absent: 90000 s. */
    defaultLifetimeS?: number
}

interface Registration {
    n: number
    ep: string
    lifetimeS: number
    expiresAt: number
    conn: CoapTcpConnection
    link: BoardLink
}

function queryValue(query: string[], name: string): string | undefined {
    for (const q of query) if (q.startsWith(name + "=")) return q.slice(name.length + 1)
    return undefined
}

export class TcpHeadEnd {
    private server: Server | undefined
    private conns = new Set<CoapTcpConnection>()
    private sockets = new Set<Socket>()
    private regs = new Map<number, Registration>()
    private nextN = 1
    private timer: NodeJS.Timeout | undefined

    constructor(
        private reg: BoardRegistry,
        private opts: TcpHeadEndOptions
    ) {}

    async listen(): Promise<number> {
        const onSocket = (s: Socket) => this.accept(s)
        const srv = this.opts.tls ? tlsServer({ key: this.opts.tls.key, cert: this.opts.tls.cert }, onSocket) : netServer(onSocket)
        this.server = srv
        await new Promise<void>((resolve, reject) => {
            srv.once("error", reject)
            srv.listen(this.opts.port, this.opts.host ?? "127.0.0.1", () => resolve())
        })
        this.timer = setInterval(() => guard("tcp", () => this.tick()), 50)
        const a = srv.address()
        return typeof a === "object" && a ? a.port : 0
    }

    async close(): Promise<void> {
        if (this.timer) clearInterval(this.timer)
        for (const c of this.conns) c.release("head-end stopping")
        for (const s of this.sockets) s.destroy()
        const srv = this.server
        this.server = undefined
        if (srv) await new Promise<void>((r) => srv.close(() => r()))
    }

    registrations(): { location: string; ep: string; lt: number }[] {
        return [...this.regs.values()].map((r) => ({ location: "/rd/" + r.n, ep: r.ep, lt: r.lifetimeS }))
    }

    private tick(): void {
        for (const c of this.conns) c.tick()
        const now = Date.now()
        for (const r of [...this.regs.values()]) {
            if (now >= r.expiresAt) {
                // RFC 9176 5.3: an entry not refreshed within its lifetime is removed
                this.regs.delete(r.n)
                this.reg.offline(r.ep, "registration expired", r.link)
            }
        }
    }

    private accept(socket: Socket): void {
        socket.setNoDelay(true)
        this.sockets.add(socket)
        const conn: CoapTcpConnection = new CoapTcpConnection(
            (bytes) => {
                if (!socket.destroyed) socket.write(bytes)
            },
            () => {
                socket.end()
                setTimeout(() => socket.destroy(), 500).unref()
            },
            nodeClock,
            nodeRandom,
            {
                onRequest: (req, reply) => this.onRequest(conn, req, reply),
                onReady: () => {},
                onClosed: (reason) => {
                    this.conns.delete(conn)
                    for (const r of [...this.regs.values()]) {
                        if (r.conn !== conn) continue
                        // the board is gone until it dials in again; its registration goes with it
                        this.regs.delete(r.n)
                        this.reg.offline(r.ep, "connection closed: " + reason, r.link)
                    }
                },
            },
            { requestTimeoutMs: this.opts.requestTimeoutMs ?? 3000, pingIdleMs: this.opts.pingIdleMs ?? 30000, maxMessageSize: 8192 }
        )
        this.conns.add(conn)
        let reason = "connection closed"
        // Our CSM goes out when the board's first bytes arrive, not on accept: DeviceScript's
        // connect() (@devicescript/net 2.16.4, sockets.ts) asserts when data arrives in the same
        // turn as "open", so a server that speaks first breaks a board's connect. RFC 8323 5.3
        // only requires the CSM to be our first message.
        let started = false
        // the connection's boundary: a fault while handling its bytes ends this connection with
        // Abort (RFC 8323 5.6), the head-end and every other board stay up
        const abort = () => {
            conn.abort("internal error", -1)
            socket.destroy()
        }
        socket.on("data", (d: Buffer) =>
            guard(
                "tcp",
                () => {
                    if (!started) {
                        started = true
                        conn.start()
                    }
                    conn.onData(d)
                },
                abort
            )
        )
        socket.on("error", (e: Error) => (reason = e.message))
        socket.once("close", () => {
            this.sockets.delete(socket)
            conn.onStreamClosed(reason)
        })
    }

    private onRequest(conn: CoapTcpConnection, req: CoapMessage, reply: CoapReply): void {
        const seg = getUriPathSegments(req)
        const query = getUriQuery(req)
        const answer = (code: number, text?: string) => {
            const m = newMessage(CoapType.CON, code, 0)
            if (text) m.payload = Buffer.from(text)
            reply(m)
        }
        if (seg.length === 1 && seg[0] === "rd" && req.code === CoapCode.POST) {
            const ep = queryValue(query, "ep")
            if (!ep || ep.length === 0 || ep.indexOf("/") >= 0) return answer(CoapCode.BadRequest, "ep= missing or invalid")
            const cf = getContentFormat(req)
            if (cf !== undefined && cf !== ContentFormat.LinkFormat) return answer(CoapCode.UnsupportedContentFormat)
            let links: WebLink[]
            try {
                links = parseLinks(req.payload.toString("utf-8"))
            } catch (e) {
                return answer(CoapCode.BadRequest, "bad link-format: " + (e as Error).message)
            }
            const lt = this.lifetime(query)
            if (lt === undefined) return answer(CoapCode.BadRequest, "bad lt=")
            // RFC 9176 5.3: a registration with the same ep replaces the old one
            for (const r of [...this.regs.values()]) if (r.ep === ep) this.regs.delete(r.n)
            const link: BoardLink = {
                request: (m: CoapMessage, cb: CoapResponseCallback) => conn.request(m, cb),
                cancel: (t: Buffer) => conn.cancel(t),
            }
            const n = this.nextN++
            this.regs.set(n, { n, ep, lifetimeS: lt, expiresAt: Date.now() + lt * 1000, conn, link })
            this.reg.online(ep, "tcp", link, queryValue(query, "et") === BOARD_COAP_ENDPOINT_TYPE)
            this.reg.setLinks(ep, links)
            const m = newMessage(CoapType.CON, CoapCode.Created, 0)
            setLocationPath(m, "/rd/" + n)
            reply(m)
            return
        }
        if (seg.length === 2 && seg[0] === "rd") {
            const r = this.regs.get(Number(seg[1]))
            if (!r || r.conn !== conn) return answer(CoapCode.NotFound)
            if (req.code === CoapCode.POST) {
                const lt = this.lifetime(query, r.lifetimeS)
                if (lt === undefined) return answer(CoapCode.BadRequest, "bad lt=")
                r.lifetimeS = lt
                r.expiresAt = Date.now() + lt * 1000
                if (req.payload.length > 0) {
                    try {
                        this.reg.setLinks(r.ep, parseLinks(req.payload.toString("utf-8")))
                    } catch (e) {
                        return answer(CoapCode.BadRequest, "bad link-format")
                    }
                }
                return answer(CoapCode.Changed)
            }
            if (req.code === CoapCode.DELETE) {
                this.regs.delete(r.n)
                this.reg.offline(r.ep, "deregistered", r.link)
                return answer(CoapCode.Deleted)
            }
            return answer(CoapCode.MethodNotAllowed)
        }
        if (seg.length === 2 && seg[0] === "rd-lookup" && seg[1] === "ep" && req.code === CoapCode.GET) {
            const body = [...this.regs.values()].map((r) => `</rd/${r.n}>;ep="${r.ep}";lt=${r.lifetimeS}`).join(",")
            const m = newMessage(CoapType.CON, CoapCode.Content, 0)
            setContentFormat(m, ContentFormat.LinkFormat)
            m.payload = Buffer.from(body)
            reply(m)
            return
        }
        return answer(CoapCode.NotFound)
    }

    private lifetime(query: string[], dflt?: number): number | undefined {
        const v = queryValue(query, "lt")
        if (v === undefined) return dflt ?? this.opts.defaultLifetimeS ?? 90000
        if (!/^[0-9]{1,10}$/.test(v)) return undefined
        const n = Number(v)
        return n >= 1 ? n : undefined
    }
}
