// RFC details of the Node UDP endpoint (src/host/coap-udp.ts: MessageLayer + CoapServer) that
// an attacker found wrong, each against the real socket: libcoap's coap-client-notls where it can
// express the case, raw UDP datagrams where it cannot (a reserved SZX, a chosen Message ID, a
// burst).
import { afterEach, beforeAll, describe, expect, test } from "vitest"
import dgram from "node:dgram"
import { startCoapUdpServer, CoapUdpServer } from "../../../src/host/coap-udp"
import { decodeMessage, encodeMessage } from "../../../src/coap/codec/codec"
import { CoapCode, CoapMessage, CoapType, getUintOption, newMessage, setUintOption, setUriPath } from "../../../src/coap/codec/message"
import { OptionNumber, encodeBlock } from "../../../src/coap/codec/options"
import type { CoapRequest, Reply } from "../../../src/coap/server/resources"
import { coapClient, requireCoapClient } from "./client"
import { until } from "../../helpers/wait"

beforeAll(() => requireCoapClient())

interface Rig {
    ep: CoapUdpServer
    /** Handler runs of POST /toggle. */
    toggles: number
    /** Bodies PUT to /upload. */
    uploads: Buffer[]
}

const rigs: Rig[] = []
const peers: RawPeer[] = []

async function rig(): Promise<Rig> {
    const ep = await startCoapUdpServer({ host: "127.0.0.1", port: 0 })
    const r: Rig = { ep, toggles: 0, uploads: [] }
    ep.server.add({
        path: "/toggle",
        post: (req: CoapRequest, reply: Reply) => reply({ code: CoapCode.Changed, payload: Buffer.from(String(++r.toggles)) }),
    })
    ep.server.add({
        path: "/hello",
        get: (req: CoapRequest, reply: Reply) => reply({ code: CoapCode.Content, payload: Buffer.from("hello") }),
    })
    ep.server.add({
        path: "/obs",
        observable: true,
        get: (req: CoapRequest, reply: Reply) => reply({ code: CoapCode.Content, payload: Buffer.from("v") }),
    })
    ep.server.add({
        path: "/big",
        get: (req: CoapRequest, reply: Reply) => reply({ code: CoapCode.Content, payload: Buffer.alloc(3000, 0x61) }),
    })
    ep.server.add({
        path: "/upload",
        put: (req: CoapRequest, reply: Reply) => {
            r.uploads.push(req.payload)
            reply({ code: CoapCode.Changed })
        },
    })
    rigs.push(r)
    return r
}

/** A client socket that sends chosen datagrams and keeps every reply. */
class RawPeer {
    replies: CoapMessage[] = []
    private constructor(
        private s: dgram.Socket,
        private port: number
    ) {
        s.on("message", (m) => this.replies.push(decodeMessage(m)))
    }
    static async open(port: number): Promise<RawPeer> {
        // big enough that our own side does not drop a burst of answers
        const s = dgram.createSocket({ type: "udp4", recvBufferSize: 4 * 1024 * 1024 })
        await new Promise<void>((r) => s.bind(0, "127.0.0.1", () => r()))
        const p = new RawPeer(s, port)
        peers.push(p)
        return p
    }
    send(m: CoapMessage): void {
        this.s.send(encodeMessage(m), this.port, "127.0.0.1")
    }
    sendBytes(b: Buffer): void {
        this.s.send(b, this.port, "127.0.0.1")
    }
    /** The replies with Message ID `mid` (ACK/RST) once there are `n` of them. */
    async answersTo(mid: number, n = 1): Promise<CoapMessage[]> {
        await until(() => this.replies.filter((m) => m.messageId === mid).length >= n, 5000, `${n} answer(s) to Message ID ${mid}`)
        return this.replies.filter((m) => m.messageId === mid)
    }
    close(): Promise<void> {
        return new Promise((r) => this.s.close(() => r()))
    }
}

function request(code: number, mid: number, token: string, path: string): CoapMessage {
    const m = newMessage(CoapType.CON, code, mid, Buffer.from(token, "hex"))
    setUriPath(m, path)
    return m
}

afterEach(async () => {
    for (const p of peers.splice(0)) await p.close()
    for (const r of rigs.splice(0)) await r.ep.close()
})

describe("RFC 7959 2.2: SZX 7 is reserved", () => {
    test("a Block2 option with SZX=7 in a request is answered 4.00", async () => {
        const r = await rig()
        const p = await RawPeer.open(r.ep.port)
        const m = request(CoapCode.GET, 0x100, "b2", "/big")
        setUintOption(m, OptionNumber.Block2, encodeBlock({ num: 0, more: false, szx: 7 }))
        p.send(m)
        const [a] = await p.answersTo(0x100)
        expect(a.code).toBe(CoapCode.BadRequest)
        // a valid size still works
        const ok = await coapClient(["-B", "5", "-b", "1024", `coap://127.0.0.1:${r.ep.port}/big`])
        expect(ok.stdout.trimEnd()).toBe("a".repeat(3000))
    })
})

describe("RFC 7641 4.1: an observer the server cannot add", () => {
    test("the 17th registration is answered as a plain GET: 2.05 without Observe", async () => {
        const r = await rig()
        const p = await RawPeer.open(r.ep.port)
        for (let i = 0; i < 16; i++) {
            const m = request(CoapCode.GET, 0x200 + i, "0b" + i.toString(16).padStart(2, "0"), "/obs")
            setUintOption(m, OptionNumber.Observe, 0)
            p.send(m)
            const [a] = await p.answersTo(0x200 + i)
            expect(getUintOption(a, OptionNumber.Observe), `registration ${i + 1}`).toBeDefined()
        }
        expect(r.ep.server.observerCount("/obs")).toBe(16)
        // the 17th, from libcoap: it asks to observe for 1 s and prints every response it gets
        const c = await coapClient(["-B", "3", "-s", "1", "-v", "6", `coap://127.0.0.1:${r.ep.port}/obs`])
        const answers = (c.stdout + c.stderr).split("\n").filter((l) => / c:2\.05 /.test(l))
        expect(answers.length, c.stdout + c.stderr).toBeGreaterThan(0)
        for (const a of answers) expect(a).not.toMatch(/Observe:/)
        expect(r.ep.server.observerCount("/obs")).toBe(16)
    })
})

describe("RFC 7252 4.5: duplicates are recognised for EXCHANGE_LIFETIME", () => {
    test("a CON POST retransmitted after 300 other exchanges is answered from the cache, the handler runs once", async () => {
        const r = await rig()
        const p = await RawPeer.open(r.ep.port)
        const toggle = request(CoapCode.POST, 0x3000, "70", "/toggle")
        p.send(toggle)
        const [first] = await p.answersTo(0x3000)
        expect(first.payload.toString()).toBe("1")
        for (let i = 1; i <= 300; i++) {
            p.send(request(CoapCode.GET, 0x3000 + i, "71", "/hello"))
            await p.answersTo(0x3000 + i)
        }
        // the client's retransmission (its ACK got lost): same Message ID, same bytes
        p.send(toggle)
        const again = await p.answersTo(0x3000, 2)
        expect(again[1].code).toBe(CoapCode.Changed)
        expect(again[1].payload.toString()).toBe("1")
        expect(r.toggles).toBe(1)
    })
})

describe("RFC 7959 2.5 / RFC 7252 4.5: a Block1 block sent again with a new Message ID", () => {
    test("is taken as a repeat of that block, and the transfer completes", async () => {
        const r = await rig()
        const p = await RawPeer.open(r.ep.port)
        const body = Buffer.alloc(64 * 3 + 10)
        for (let i = 0; i < body.length; i++) body[i] = i & 0xff
        const block = (num: number, mid: number) => {
            const m = request(CoapCode.PUT, mid, "b1", "/upload")
            const more = (num + 1) * 64 < body.length
            setUintOption(m, OptionNumber.Block1, encodeBlock({ num, more, szx: 2 }))
            m.payload = body.subarray(num * 64, Math.min(body.length, (num + 1) * 64))
            return m
        }
        p.send(block(0, 0x400))
        expect((await p.answersTo(0x400))[0].code).toBe(CoapCode.Continue)
        p.send(block(1, 0x401))
        expect((await p.answersTo(0x401))[0].code).toBe(CoapCode.Continue)
        // the 2.31 for block 1 was lost and the client's stack sends block 1 again as a new message
        p.send(block(1, 0x402))
        expect((await p.answersTo(0x402))[0].code).toBe(CoapCode.Continue)
        p.send(block(2, 0x403))
        expect((await p.answersTo(0x403))[0].code).toBe(CoapCode.Continue)
        p.send(block(3, 0x404))
        expect((await p.answersTo(0x404))[0].code).toBe(CoapCode.Changed)
        expect(r.uploads.length).toBe(1)
        expect(r.uploads[0].equals(body)).toBe(true)
    })
})

describe("Node UDP binding under a burst", () => {
    test("every one of 1,000 CON requests sent at once is answered", async () => {
        const r = await rig()
        const p = await RawPeer.open(r.ep.port)
        const n = 1000
        for (let i = 0; i < n; i++) p.send(request(CoapCode.GET, i, "cc", "/hello"))
        const answered = () =>
            new Set(p.replies.filter((m) => m.type === CoapType.ACK && m.code === CoapCode.Content).map((m) => m.messageId)).size
        // no retransmissions from our side: a request the socket dropped stays unanswered
        await until(() => answered() === n, 15000, `answers to all ${n} requests (got ${answered()})`).catch(() => {})
        expect(answered()).toBe(n)
    })
})
