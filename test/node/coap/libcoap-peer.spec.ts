// The codec layer against a real peer: libcoap's coap-server-notls on a free loopback port.
// Our encoder builds the requests, our decoder reads libcoap's replies (UDP datagrams and
// RFC 8323 TCP frames), and our link-format parser/filter reads its /.well-known/core.
// No endpoint involved: this checks the bytes alone.
import { describe, test, expect, beforeAll, afterAll } from "vitest"
import { spawn, ChildProcess } from "node:child_process"
import * as dgram from "node:dgram"
import * as net from "node:net"
import { CoapTcpFrameReader, decodeMessage, encodeMessage, encodeTcpMessage } from "../../../src/coap/codec/codec"
import {
    CoapCode,
    CoapMessage,
    CoapType,
    ContentFormat,
    addOption,
    getContentFormat,
    getUintOption,
    newMessage,
    setUintOption,
    setUriPath,
} from "../../../src/coap/codec/message"
import { OptionNumber, decodeBlock, encodeBlock } from "../../../src/coap/codec/options"
import { filterLinks, getLinkAttr, parseLinks } from "../../../src/coap/formats/linkformat"
import { until, untilAsync } from "../../helpers/wait"

const SERVER = "/usr/bin/coap-server-notls"
let server: ChildProcess
let port = 0

/** A port free for both UDP and TCP right now (libcoap listens on both). */
async function freePort(): Promise<number> {
    for (;;) {
        const p = await new Promise<number>((resolve) => {
            const s = net.createServer().listen(0, "127.0.0.1", () => {
                const a = s.address() as net.AddressInfo
                s.close(() => resolve(a.port))
            })
        })
        const ok = await new Promise<boolean>((resolve) => {
            const u = dgram.createSocket("udp4")
            u.once("error", () => resolve(false))
            u.bind(p, "127.0.0.1", () => u.close(() => resolve(true)))
        })
        if (ok) return p
    }
}

/**
 * The request is sent once (no RFC 7252 retransmission: loopback loses nothing), so a reply that has
 * not come by this deadline is not coming: the exchange fails with "no reply".
 */
const REPLY_DEADLINE_MS = 3000

/** Before the server has bound its port a CoAP ping is lost; each start-up probe gives up this soon and the next is sent. */
const PROBE_DEADLINE_MS = 200

function udpExchange(req: Buffer, replyDeadlineMs = REPLY_DEADLINE_MS): Promise<CoapMessage> {
    return new Promise((resolve, reject) => {
        const sock = dgram.createSocket("udp4")
        const timer = setTimeout(() => {
            sock.close()
            reject(new Error("no reply"))
        }, replyDeadlineMs)
        sock.on("message", (buf) => {
            clearTimeout(timer)
            sock.close()
            try {
                resolve(decodeMessage(buf))
            } catch (e) {
                reject(e)
            }
        })
        sock.send(req, port, "127.0.0.1")
    })
}

/** The server is up once it answers a CoAP ping (RFC 7252 4.3). */
async function waitForServer(): Promise<void> {
    const ping = encodeMessage(newMessage(CoapType.CON, CoapCode.Empty, 1))
    await untilAsync(
        () =>
            udpExchange(ping, PROBE_DEADLINE_MS).then(
                () => true,
                () => false
            ),
        10_000,
        "coap-server-notls answering a CoAP ping"
    )
}

describe("codec against libcoap coap-server-notls", () => {
    beforeAll(async () => {
        // libcoap3-bin is a required test peer (.ci/run installs it): a missing binary fails here
        port = await freePort()
        server = spawn(SERVER, ["-A", "127.0.0.1", "-p", String(port)], { stdio: "ignore" })
        await waitForServer()
    }, 20000)
    afterAll(() => {
        if (server && server.pid) process.kill(server.pid)
    })

    test("CoAP ping (empty CON) is answered with RST of the same Message ID", async () => {
        const r = await udpExchange(encodeMessage(newMessage(CoapType.CON, CoapCode.Empty, 0x4242)))
        expect(r.type).toBe(CoapType.RST)
        expect(r.code).toBe(CoapCode.Empty)
        expect(r.messageId).toBe(0x4242)
    })

    test("GET /.well-known/core: piggybacked 2.05 link-format, parsed and filtered", async () => {
        const req = newMessage(CoapType.CON, CoapCode.GET, 0x7d34, Buffer.from("cafe0001", "hex"))
        setUriPath(req, "/.well-known/core")
        const r = await udpExchange(encodeMessage(req))
        expect(r.type).toBe(CoapType.ACK)
        expect(r.messageId).toBe(0x7d34)
        expect(r.token.toString("hex")).toBe("cafe0001")
        expect(r.code).toBe(CoapCode.Content)
        expect(getContentFormat(r)).toBe(ContentFormat.LinkFormat)
        const links = parseLinks(r.payload.toString())
        const time = filterLinks(links, ["rt=tick*"])
        expect(time.map((l) => l.href)).toEqual(["/time"])
        expect(getLinkAttr(time[0], "obs")).toBe("")
        expect(getLinkAttr(time[0], "title")).toBe("Internal Clock")
        expect(filterLinks(links, ["href=/ex*"]).map((l) => l.href)).toEqual(["/example_data"])
    })

    test("Block2 early negotiation with 16-byte blocks (RFC 7959): reassembles the resource", async () => {
        const parts: Buffer[] = []
        for (let num = 0; num < 64; num++) {
            const req = newMessage(CoapType.CON, CoapCode.GET, 100 + num, Buffer.from([num]))
            setUintOption(req, OptionNumber.Block2, encodeBlock({ num, more: false, szx: 0 }))
            const r = await udpExchange(encodeMessage(req))
            expect(r.code).toBe(CoapCode.Content)
            const b = decodeBlock(getUintOption(r, OptionNumber.Block2))
            expect(b.num).toBe(num)
            expect(b.szx).toBe(0)
            parts.push(r.payload)
            if (!b.more) break
            expect(r.payload.length).toBe(16)
        }
        expect(parts.length).toBeGreaterThan(2)
        expect(Buffer.concat(parts).toString()).toMatch(/^This is a test server made with libcoap/)
    })

    test("an unrecognised critical option (number 9) in a request gets 4.02 Bad Option", async () => {
        const req = newMessage(CoapType.CON, CoapCode.GET, 0x0909, Buffer.from("09", "hex"))
        setUriPath(req, "/time")
        addOption(req, 9, Buffer.from("x"))
        const r = await udpExchange(encodeMessage(req))
        expect(r.messageId).toBe(0x0909)
        expect(r.code).toBe(CoapCode.BadOption)
    })

    test("RFC 8323 over TCP: CSM exchange, then GET /.well-known/core", async () => {
        const sock = net.connect(port, "127.0.0.1")
        const reader = new CoapTcpFrameReader(65536)
        const got: CoapMessage[] = []
        sock.on("data", (d) => {
            reader.push(Buffer.from(d))
            for (let m = reader.nextMessage(); m !== undefined; m = reader.nextMessage()) got.push(m)
        })
        const next = async (): Promise<CoapMessage> => {
            await until(() => got.length > 0, 3000, "a frame from coap-server")
            return got.shift()!
        }
        await new Promise<void>((r) => sock.once("connect", () => r()))
        const csm = newMessage(CoapType.CON, CoapCode.CSM, 0)
        setUintOption(csm, 2, 1152) // Max-Message-Size
        sock.write(encodeTcpMessage(csm))
        const theirCsm = await next()
        expect(theirCsm.code).toBe(CoapCode.CSM)
        const req = newMessage(CoapType.CON, CoapCode.GET, 0, Buffer.from("abcd", "hex"))
        setUriPath(req, "/.well-known/core")
        sock.write(encodeTcpMessage(req))
        const r = await next()
        sock.destroy()
        expect(r.code).toBe(CoapCode.Content)
        expect(r.token.toString("hex")).toBe("abcd")
        expect(parseLinks(r.payload.toString()).map((l) => l.href)).toContain("/time")
    })
})

// The other direction: libcoap's coap-client-notls sends, our decoder reads its requests and
// our encoder answers.
describe("codec serving libcoap coap-client-notls", () => {
    function serveOnce(
        reply: (req: CoapMessage) => CoapMessage
    ): Promise<{ port: number; got: Promise<CoapMessage[]>; close: () => void }> {
        return new Promise((resolve) => {
            const sock = dgram.createSocket("udp4")
            const seen: CoapMessage[] = []
            let done: (m: CoapMessage[]) => void
            const got = new Promise<CoapMessage[]>((r) => (done = r))
            sock.on("message", (buf, rinfo) => {
                const req = decodeMessage(buf)
                seen.push(req)
                const res = reply(req)
                if (res) sock.send(encodeMessage(res), rinfo.port, rinfo.address)
                done(seen)
            })
            sock.bind(0, "127.0.0.1", () => resolve({ port: (sock.address() as net.AddressInfo).port, got, close: () => sock.close() }))
        })
    }
    function runClient(args: string[]): Promise<{ code: number; out: string }> {
        return new Promise((resolve) => {
            const p = spawn("/usr/bin/coap-client-notls", args)
            let out = ""
            p.stdout.on("data", (d) => (out += d))
            p.on("close", (code) => resolve({ code: code ?? -1, out }))
        })
    }

    test("POST with path segments, queries, content formats, token and a custom option", async () => {
        const srv = await serveOnce((req) => {
            const res = newMessage(CoapType.ACK, CoapCode.Changed, req.messageId, req.token)
            res.payload = Buffer.from("done")
            return res
        })
        const r = await runClient([
            "-m",
            "post",
            "-e",
            "hello",
            "-t",
            "50",
            "-A",
            "112",
            "-T",
            "cafe",
            "-O",
            "65000,abc",
            "-B",
            "3",
            `coap://127.0.0.1:${srv.port}/a/bb/c%20d?x=1&y=two`,
        ])
        const [req] = await srv.got
        srv.close()
        expect(r.code).toBe(0)
        expect(r.out).toContain("done")
        expect(req.type).toBe(CoapType.CON)
        expect(req.code).toBe(CoapCode.POST)
        // -T takes text and is only the STARTING token: libcoap 4.3.1 increments it before use ("caff")
        expect(req.token.length).toBe(4)
        expect(req.token.toString().slice(0, 3)).toBe("caf")
        expect(req.options.filter((o) => o.number === OptionNumber.UriPath).map((o) => o.value.toString())).toEqual(["a", "bb", "c d"])
        expect(req.options.filter((o) => o.number === OptionNumber.UriQuery).map((o) => o.value.toString())).toEqual(["x=1", "y=two"])
        expect(getContentFormat(req)).toBe(50)
        expect(getUintOption(req, OptionNumber.Accept)).toBe(112)
        expect(req.options.find((o) => o.number === 65000)!.value.toString()).toBe("abc")
        expect(req.payload.toString()).toBe("hello")
    })
})
