// The seam (src/coap/transport/exchange.ts): the request/response layer runs unchanged over a reliable,
// token-matched transport (RFC 8323 framing, no message ids, no ACKs), as the TCP (RFC 8323) and
// MQTT bindings do (src/coap/transport/tcp-connection.ts, src/coap/transport/mqtt-binding.ts). The binding here is a minimal in-memory one written against the seam.
import { describe, test, expect } from "@devicescript/test"
import { CoapServer } from "../../../src/coap/server/endpoint"
import { ReliableBinding } from "../../../src/coap/transport/exchange-reliable"
import { CoapCode, CoapMessage, CoapType, getUintOption, newMessage, setUintOption, setUriPath } from "../../../src/coap/codec/message"
import { OptionNumber, decodeBlock, encodeBlock } from "../../../src/coap/codec/options"
import { decodeTcpMessage, encodeTcpMessage } from "../../../src/coap/codec/codec"
import { CoapRequest, Reply } from "../../../src/coap/server/resources"
import { FakeClock, pause } from "./harness"

/** A connection table for the test: RFC 8323 frames written per peer, and which peers are up. */
class Wire {
    frames: Buffer[]
    up: Record<string, boolean>
    binding: ReliableBinding
    server: CoapServer
    constructor() {
        this.frames = []
        this.up = {}
        const self = this
        this.binding = new ReliableBinding((peer: string, msg: CoapMessage) => {
            if (!self.up[peer]) return false
            self.frames.push(encodeTcpMessage(msg))
            return true
        }, 6)
        this.server = new CoapServer(this.binding, { clock: new FakeClock() })
        this.binding.attach(this.server)
    }
    /** A frame arrives from `peer` (the binding would have split the stream into frames). */
    receive(peer: string, frame: Buffer): void {
        this.up[peer] = true
        this.binding.receive(peer, decodeTcpMessage(frame))
    }
    last(): CoapMessage {
        return decodeTcpMessage(this.frames[this.frames.length - 1])
    }
}

function frame(code: number, token: string, path: string): CoapMessage {
    const m = newMessage(CoapType.CON, code, 0, Buffer.from(token, "hex"))
    setUriPath(m, path)
    return m
}

function setup(): { b: Wire; server: CoapServer; value: number[] } {
    const b = new Wire()
    const server = b.server
    const value = [1]
    const big = Buffer.alloc(3000)
    server.add({
        path: "/obs",
        observable: true,
        get: (req: CoapRequest, reply: Reply) => reply({ code: CoapCode.Content, payload: Buffer.from("v" + value[0]) }),
    })
    server.add({ path: "/big", get: (req: CoapRequest, reply: Reply) => reply({ code: CoapCode.Content, payload: big }) })
    return { b: b, server: server, value: value }
}

describe("coap request layer over a reliable (RFC 8323-style) binding", () => {
    test("requests are answered by token, with no message id or type on the wire", async () => {
        await pause()
        const s = setup()
        s.b.receive("conn-1", encodeTcpMessage(frame(CoapCode.GET, "c0ffee", "/obs")))
        const r = s.b.last()
        expect(r.code).toBe(CoapCode.Content)
        expect(r.token.toString("hex")).toBe("c0ffee")
        expect(r.payload.toString("utf-8")).toBe("v1")
        // RFC 8323 3.2: Len/TKL, code, token: no version, type or Message ID bytes
        expect(s.b.frames[0][0] & 15).toBe(3)
    })

    test("Observe notifications and their removal when the connection goes", async () => {
        await pause()
        const s = setup()
        const reg = frame(CoapCode.GET, "0b", "/obs")
        setUintOption(reg, OptionNumber.Observe, 0)
        s.b.receive("conn-1", encodeTcpMessage(reg))
        expect(getUintOption(s.b.last(), OptionNumber.Observe)).toBe(2)
        s.value[0] = 2
        s.server.changed("/obs")
        expect(s.b.last().payload.toString("utf-8")).toBe("v2")
        expect(getUintOption(s.b.last(), OptionNumber.Observe)).toBe(3)
        s.b.binding.connectionClosed("conn-1")
        expect(s.server.observerCount()).toBe(0)
        const n = s.b.frames.length
        s.server.changed("/obs")
        expect(s.b.frames.length).toBe(n)
    })

    test("a notification that cannot be written (connection gone) ends the observation", async () => {
        await pause()
        const s = setup()
        const reg = frame(CoapCode.GET, "0c", "/obs")
        setUintOption(reg, OptionNumber.Observe, 0)
        s.b.receive("conn-2", encodeTcpMessage(reg))
        expect(s.server.observerCount()).toBe(1)
        s.b.up["conn-2"] = false
        s.server.changed("/obs")
        expect(s.server.observerCount()).toBe(0)
    })

    test("signaling and responses are left to the binding; No-Response sends nothing", async () => {
        await pause()
        const s = setup()
        const csm = newMessage(CoapType.CON, CoapCode.CSM, 0)
        expect(s.b.binding.receive("conn-1", csm)).toBe(false)
        expect(s.b.binding.receive("conn-1", newMessage(CoapType.CON, CoapCode.Content, 0))).toBe(false)
        const quiet = frame(CoapCode.GET, "0d", "/obs")
        setUintOption(quiet, OptionNumber.NoResponse, 2)
        s.b.receive("conn-1", encodeTcpMessage(quiet))
        expect(s.b.frames.length).toBe(0)
    })

    test("block-wise and error handling are the same as over UDP", async () => {
        await pause()
        const s = setup()
        s.b.receive("conn-1", encodeTcpMessage(frame(CoapCode.GET, "01", "/big")))
        const b = decodeBlock(getUintOption(s.b.last(), OptionNumber.Block2))
        expect(b.more).toBe(true)
        expect(b.szx).toBe(6)
        await pause()
        const next = frame(CoapCode.GET, "02", "/big")
        setUintOption(next, OptionNumber.Block2, encodeBlock({ num: 2, more: false, szx: 6 }))
        s.b.receive("conn-1", encodeTcpMessage(next))
        expect(s.b.last().payload.length).toBe(3000 - 2048)
        await pause()
        s.b.receive("conn-1", encodeTcpMessage(frame(CoapCode.DELETE, "03", "/obs")))
        expect(s.b.last().code).toBe(CoapCode.MethodNotAllowed)
    })
})
