// The HTTP front (node:http), the HTTP-to-CoAP mapping of RFC 8075 for scripts and browsers:
//   GET|PUT|POST|DELETE /devices/<id>/<path...>[?query]  ->  the same CoAP request to <path> on <id>
//   GET /devices                                          ->  JSON list of boards (id, binding, online, resources)
//   GET /.well-known/core                                 ->  the gateway's link-format (as over UDP)
// Accept -> Accept and Content-Type -> Content-Format through the table below (RFC 8075 6.1);
// the response code maps by RFC 8075 7 (2.05 -> 200, 2.04 -> 204, 4.04 -> 404, 5.04 -> 504...).
// Access: when a token is configured every request needs `Authorization: Bearer <token>`
// (401 otherwise); the gateway reads it from GATEWAY_HTTP_TOKEN.

import { createServer, IncomingMessage, Server, ServerResponse } from "node:http"
import { timingSafeEqual } from "node:crypto"
import { CoapCode, getUintOption } from "../../coap/codec/message"
import { OptionNumber } from "../../coap/codec/options"
import { serializeLinks } from "../../coap/formats/linkformat"
import { discoveryLinks } from "../../coap/server/resources-discovery"
import { forward } from "./forward"
import { BoardRegistry } from "./registry"
import { CoapFront } from "./coap-front"
import { guard } from "./boundary"

/** Content-Format <-> media type (RFC 7252 12.3, RFC 8428 12.3). */
export const MEDIA_TYPES: [number, string][] = [
    [0, "text/plain;charset=utf-8"],
    [40, "application/link-format"],
    [41, "application/xml"],
    [42, "application/octet-stream"],
    [47, "application/exi"],
    [50, "application/json"],
    [60, "application/cbor"],
    [110, "application/senml+json"],
    [112, "application/senml+cbor"],
]

export function mediaTypeOf(cf: number | undefined): string | undefined {
    if (cf === undefined) return undefined
    for (const [n, t] of MEDIA_TYPES) if (n === cf) return t
    return "application/octet-stream"
}

/** A media type (parameters other than charset ignored) -> Content-Format, undefined when unknown. */
export function contentFormatOf(type: string | undefined): number | undefined {
    if (!type) return undefined
    const base = type.split(";")[0].trim().toLowerCase()
    for (const [n, t] of MEDIA_TYPES) if (t.split(";")[0] === base) return n
    return undefined
}

/** RFC 8075 7: CoAP response code -> HTTP status. */
export function httpStatusOf(code: number): number {
    const table: Record<number, number> = {
        [CoapCode.Created]: 201,
        [CoapCode.Deleted]: 200,
        [CoapCode.Valid]: 304,
        [CoapCode.Changed]: 204,
        [CoapCode.Content]: 200,
        [CoapCode.BadRequest]: 400,
        [CoapCode.Unauthorized]: 403,
        [CoapCode.BadOption]: 400,
        [CoapCode.Forbidden]: 403,
        [CoapCode.NotFound]: 404,
        [CoapCode.MethodNotAllowed]: 405,
        [CoapCode.NotAcceptable]: 406,
        [CoapCode.RequestEntityIncomplete]: 400,
        [CoapCode.PreconditionFailed]: 412,
        [CoapCode.RequestEntityTooLarge]: 413,
        [CoapCode.UnsupportedContentFormat]: 415,
        [CoapCode.InternalServerError]: 500,
        [CoapCode.NotImplemented]: 501,
        [CoapCode.BadGateway]: 502,
        [CoapCode.ServiceUnavailable]: 503,
        [CoapCode.GatewayTimeout]: 504,
        [CoapCode.ProxyingNotSupported]: 502,
    }
    const s = table[code]
    if (s !== undefined) return s
    const cls = code >> 5
    return cls === 2 ? 200 : cls === 4 ? 400 : 500
}

const METHODS: Record<string, number> = { GET: CoapCode.GET, POST: CoapCode.POST, PUT: CoapCode.PUT, DELETE: CoapCode.DELETE }

export interface HttpFrontOptions {
    host?: string
    port: number
    /** Bearer token required on every request; undefined or "" = no check (loopback use only). */
    token?: string
    /** Largest request body. Default 64 KiB. */
    maxBody?: number
    /** A request (head and body) must arrive within this (408 and closed otherwise). Default 30 s. */
    requestTimeoutMs?: number
}

export class HttpFront {
    private server: Server | undefined

    constructor(
        private reg: BoardRegistry,
        private front: CoapFront | undefined,
        private opts: HttpFrontOptions
    ) {}

    async listen(): Promise<number> {
        // a client that opens a request and never finishes it (a longer Content-Length than it
        // sends, a head without its end) holds a connection for requestTimeoutMs, not Node's 300 s
        const limit = this.opts.requestTimeoutMs ?? 30000
        const srv = createServer(
            { requestTimeout: limit, headersTimeout: limit, connectionsCheckingInterval: Math.min(limit / 4, 30000) },
            (req, res) => this.handleGuarded(req, res)
        )
        this.server = srv
        await new Promise<void>((resolve, reject) => {
            srv.once("error", reject)
            srv.listen(this.opts.port, this.opts.host ?? "127.0.0.1", () => resolve())
        })
        const a = srv.address()
        return typeof a === "object" && a ? a.port : 0
    }

    async close(): Promise<void> {
        const srv = this.server
        this.server = undefined
        if (srv) {
            srv.closeAllConnections()
            await new Promise<void>((r) => srv.close(() => r()))
        }
    }

    private authorized(req: IncomingMessage): boolean {
        const token = this.opts.token
        if (!token) return true
        const h = req.headers["authorization"] ?? ""
        const m = /^Bearer\s+(.+)$/i.exec(h)
        if (!m) return false
        const a = Buffer.from(m[1].trim())
        const b = Buffer.from(token)
        return a.length === b.length && timingSafeEqual(a, b)
    }

    /** One request, inside the gateway's boundary: a fault answers 500 (or drops the connection). */
    private handleGuarded(req: IncomingMessage, res: ServerResponse): void {
        // a client that goes away mid-body makes the streams emit "error"; unheard, that kills the process
        req.on("error", () => {})
        res.on("error", () => {})
        guard(
            "http",
            () => this.handle(req, res),
            () => internalError(res)
        )
    }

    private handle(req: IncomingMessage, res: ServerResponse): void {
        const send = (status: number, type: string | undefined, body: Buffer | string) => {
            // a board's late or repeated answer after the response went out is dropped
            if (res.headersSent || res.destroyed) return
            const headers: Record<string, string> = {}
            if (type && status !== 204 && status !== 304) headers["content-type"] = type
            res.writeHead(status, headers)
            res.end(status === 204 || status === 304 ? undefined : body)
        }
        if (!this.authorized(req)) {
            res.setHeader("www-authenticate", 'Bearer realm="devs-link gateway"')
            return send(401, "text/plain", "missing or wrong bearer token\n")
        }
        const target = parseTarget(req.url)
        if (target === undefined) return send(400, "text/plain", "bad request target (URL or percent-escape)\n")
        const { url, parts } = target
        if (url.pathname === "/.well-known/core" && req.method === "GET" && this.front) {
            return send(200, "application/link-format", serializeLinks(discoveryLinks(this.front.server.resources)))
        }
        if (parts.length === 1 && parts[0] === "devices" && req.method === "GET") {
            const list = this.reg.list().map((b) => ({
                id: b.id,
                binding: b.binding,
                online: b.online,
                reason: b.reason || undefined,
                resources: b.links.map((l) => l.href),
            }))
            return send(200, "application/json", JSON.stringify(list))
        }
        if (parts.length < 3 || parts[0] !== "devices") return send(404, "text/plain", "not found: use /devices/<id>/<path>\n")
        const method = METHODS[req.method ?? ""]
        if (method === undefined) return send(405, "text/plain", "method not allowed\n")
        const accept = this.acceptOf(req.headers["accept"])
        const cf = contentFormatOf(req.headers["content-type"])
        if (req.headers["content-type"] && cf === undefined && (method === CoapCode.PUT || method === CoapCode.POST))
            return send(415, "text/plain", "unsupported content type\n")
        const chunks: Buffer[] = []
        let size = 0
        const max = this.opts.maxBody ?? 65536
        req.on("data", (c: Buffer) => {
            size += c.length
            if (size <= max) chunks.push(c)
        })
        req.on("end", () =>
            guard(
                "http",
                () => {
                    if (size > max) return send(413, "text/plain", "body too large\n")
                    const query: string[] = []
                    url.searchParams.forEach((v, k) => query.push(v === "" ? k : k + "=" + v))
                    forward(
                        this.reg,
                        parts[1],
                        { method, segments: parts.slice(2), query, accept, contentFormat: cf, payload: Buffer.concat(chunks) },
                        (r) =>
                            guard(
                                "http",
                                () => {
                                    const m = r.response
                                    const type =
                                        mediaTypeOf(getUintOption(m, OptionNumber.ContentFormat)) ??
                                        (m.payload.length > 0 ? "text/plain" : undefined)
                                    send(httpStatusOf(m.code), type, m.payload)
                                },
                                () => internalError(res)
                            )
                    )
                },
                () => internalError(res)
            )
        )
    }

    /** The first media type of Accept we know (quality values ignored); */
    private acceptOf(h: string | undefined): number | undefined {
        if (!h) return undefined
        for (const part of h.split(",")) {
            const cf = contentFormatOf(part)
            if (cf !== undefined) return cf
        }
        return undefined
    }
}

/**
 * The request target as a URL and its decoded path segments, or undefined when it is not one
 * (RFC 9112 3.2: answered 400): an absolute form that does not parse (`http://[x/devices`), or a
 * segment with a broken percent-escape (`%ZZ`, a lone `%`) or escapes that are not UTF-8
 * (`%C0%AF`, RFC 3986 2.1 / RFC 3629 3).
 */
export function parseTarget(raw: string | undefined): { url: URL; parts: string[] } | undefined {
    let url: URL
    try {
        url = new URL(raw ?? "/", "http://gateway")
    } catch {
        return undefined
    }
    const parts: string[] = []
    for (const s of url.pathname.split("/")) {
        if (s.length === 0) continue
        try {
            parts.push(decodeURIComponent(s))
        } catch {
            return undefined
        }
    }
    return { url, parts }
}

/** The boundary's answer: 500 when nothing went out yet, else the connection is cut. */
function internalError(res: ServerResponse): void {
    if (res.destroyed) return
    if (res.headersSent) {
        res.destroy()
        return
    }
    res.writeHead(500, { "content-type": "text/plain" })
    res.end("internal error\n")
}
