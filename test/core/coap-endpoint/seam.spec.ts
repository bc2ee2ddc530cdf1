// The seam (src/coap/exchange.ts): the request/response layer runs unchanged over a reliable,
// token-matched transport (RFC 8323 framing, no message ids, no ACKs), as issue 5's TCP and
// MQTT bindings will. The binding here is a minimal in-memory one written against the seam.
import { describe, test, expect } from "@devicescript/test"
import { CoapServer } from "../../../src/coap/endpoint"
import { Exchange, Outcome, Transport } from "../../../src/coap/exchange"
import { CoapCode, CoapMessage, CoapType, getUintOption, newMessage, setUintOption, setUriPath } from "../../../src/coap/message"
import { OptionNumber, decodeBlock, encodeBlock } from "../../../src/coap/options"
import { decodeTcpMessage, encodeTcpMessage } from "../../../src/coap/codec"
import { CoapRequest, Reply } from "../../../src/coap/resources"
import { FakeClock, pause } from "./harness"

/** Everything the server writes, as RFC 8323 frames per peer. */
class StreamBinding implements Transport {
    frames: Buffer[]
    peers: string[]
    server: CoapServer
    constructor() {
        this.frames = []
        this.peers = []
    }
    maxBlockSzx(peer: string): number {
        return 6
    }
    notify(peer: string, msg: CoapMessage, confirmable: boolean, key: string, done: (o: Outcome) => void): void {
        this.write(peer, msg)
        // a reliable stream has no ACK: written is delivered (the connection's loss is peerGone)
        done(Outcome.Delivered)
    }
    write(peer: string, msg: CoapMessage): void {
        this.frames.push(encodeTcpMessage(msg))
        this.peers.push(peer)
    }
    /** A frame arrives from `peer`: decode and hand it up as an exchange. */
    receive(peer: string, frame: Buffer): void {
        const msg = decodeTcpMessage(frame)
        const self = this
        const ex: Exchange = {
            peer: () => peer,
            request: () => msg,
            respond: (r: CoapMessage) => self.write(peer, r),
        }
        this.server.handleRequest(ex)
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

function setup(): { b: StreamBinding; server: CoapServer; value: number[] } {
    const b = new StreamBinding()
    const server = new CoapServer(b, { clock: new FakeClock() })
    b.server = server
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
        s.server.peerGone("conn-1")
        expect(s.server.observerCount()).toBe(0)
        const n = s.b.frames.length
        s.server.changed("/obs")
        expect(s.b.frames.length).toBe(n)
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
