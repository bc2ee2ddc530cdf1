import { describe, test, expect } from "@devicescript/test"
import {
    CoapCode,
    CoapMessage,
    CoapType,
    getUintOption,
    hasOption,
    newMessage,
    setUintOption,
    setUriPath,
} from "../../../src/coap/codec/message"
import { OptionNumber, SignalingOption } from "../../../src/coap/codec/options"
import { CoapReply, CoapTcpConnection, tcpConnectionStatus } from "../../../src/coap/transport/tcp-connection"
import { encodeTcpMessage } from "../../../src/coap/codec/codec"
import { concatBytes } from "../../../src/util/bytes"
import { FakeClock, FakePeer, SeqRandom, signal } from "./fakes"

interface Rig {
    conn: CoapTcpConnection
    peer: FakePeer
    clock: FakeClock
    log: string[]
    requests: CoapMessage[]
    replies: CoapReply[]
}

function rig(): Rig {
    const clock = new FakeClock()
    const log: string[] = []
    const requests: CoapMessage[] = []
    const replies: CoapReply[] = []
    const peer = new FakePeer({ host: "h", port: 1, tls: false }, undefined)
    const conn = new CoapTcpConnection(
        (b: Buffer) => peer.take(b),
        () => log.push("stream-closed"),
        clock,
        new SeqRandom(7),
        {
            onRequest: (req: CoapMessage, reply: CoapReply) => {
                requests.push(req)
                replies.push(reply)
            },
            onReady: () => log.push("ready"),
            onClosed: (reason: string, holdOffMs: number) => log.push("closed:" + holdOffMs + ":" + reason),
        },
        { maxMessageSize: 600, pingIdleMs: 5000, pongTimeoutMs: 2000, csmTimeoutMs: 3000, requestTimeoutMs: 4000 }
    )
    peer.events = {
        onOpen: () => {},
        onData: (b: Buffer) => conn.onData(b),
        onClose: (r: string) => conn.onStreamClosed(r),
    }
    conn.start()
    return { conn: conn, peer: peer, clock: clock, log: log, requests: requests, replies: replies }
}

function csm(mms: number): CoapMessage {
    const m = signal(CoapCode.CSM)
    setUintOption(m, SignalingOption.MaxMessageSize, mms)
    return m
}

function readyRig(): Rig {
    const r = rig()
    r.peer.sendMsg(csm(2048))
    return r
}

function get(path: string): CoapMessage {
    const m = newMessage(CoapType.CON, CoapCode.GET, 0)
    setUriPath(m, path)
    return m
}

function content(token: Buffer, text: string): CoapMessage {
    const m = newMessage(CoapType.CON, CoapCode.Content, 0, token)
    m.payload = Buffer.from(text)
    return m
}

describe("RFC 8323 connection: CSM (5.3)", () => {
    test("our CSM is the first message, with Max-Message-Size and Block-Wise-Transfer", () => {
        const r = rig()
        const first = r.peer.messages()[0]
        expect(r.peer.messages().length).toBe(1)
        expect(first.code).toBe(CoapCode.CSM)
        expect(getUintOption(first, SignalingOption.MaxMessageSize)).toBe(600)
        expect(hasOption(first, SignalingOption.BlockWiseTransfer)).toBe(true)
    })
    test("the peer's CSM makes the connection ready and sets its limits", () => {
        const r = rig()
        expect(tcpConnectionStatus(r.conn).ready).toBe(false)
        expect(tcpConnectionStatus(r.conn).peerMaxMessageSize).toBe(1152)
        const m = csm(4096)
        m.options.push({ number: SignalingOption.BlockWiseTransfer, value: Buffer.alloc(0) })
        r.peer.sendMsg(m)
        expect(tcpConnectionStatus(r.conn).ready).toBe(true)
        expect(tcpConnectionStatus(r.conn).peerMaxMessageSize).toBe(4096)
        expect(tcpConnectionStatus(r.conn).peerBlockWise).toBe(true)
        expect(r.log.join(",")).toBe("ready")
    })
    test("a first message that is not a CSM aborts the connection", () => {
        const r = rig()
        r.peer.sendMsg(get("/x"))
        const last = r.peer.messages()[r.peer.messages().length - 1]
        expect(last.code).toBe(CoapCode.Abort)
        expect(tcpConnectionStatus(r.conn).open).toBe(false)
        expect(r.log[0]).toBe("stream-closed")
        expect(r.requests.length).toBe(0)
    })
    test("an unknown critical CSM option aborts with Bad-CSM-Option naming it", () => {
        const r = rig()
        const m = csm(1000)
        m.options.push({ number: 9, value: Buffer.alloc(0) })
        r.peer.sendMsg(m)
        const last = r.peer.messages()[r.peer.messages().length - 1]
        expect(last.code).toBe(CoapCode.Abort)
        expect(getUintOption(last, SignalingOption.BadCsmOption)).toBe(9)
        expect(tcpConnectionStatus(r.conn).open).toBe(false)
    })
    test("an unknown elective CSM option is ignored", () => {
        const r = rig()
        const m = csm(1000)
        m.options.push({ number: 10, value: Buffer.alloc(0) })
        r.peer.sendMsg(m)
        expect(tcpConnectionStatus(r.conn).ready).toBe(true)
    })
    test("no CSM within the timeout aborts", () => {
        const r = rig()
        r.clock.advance(2999)
        r.conn.tick()
        expect(tcpConnectionStatus(r.conn).open).toBe(true)
        r.clock.advance(1)
        r.conn.tick()
        expect(tcpConnectionStatus(r.conn).open).toBe(false)
        expect(r.peer.messages()[1].code).toBe(CoapCode.Abort)
    })
})

describe("RFC 8323 connection: Ping/Pong (5.4)", () => {
    test("a Ping is answered with a Pong carrying its token", () => {
        const r = readyRig()
        r.peer.sendMsg(signal(CoapCode.Ping, Buffer.from([1, 2, 3])))
        const last = r.peer.messages()[1]
        expect(last.code).toBe(CoapCode.Pong)
        expect(last.token.toString("hex")).toBe("010203")
    })
    test("an idle link gets our Ping; a Pong keeps it open", () => {
        const r = readyRig()
        r.clock.advance(4999)
        r.conn.tick()
        expect(r.peer.messages().length).toBe(1)
        r.clock.advance(1)
        r.conn.tick()
        const ping = r.peer.messages()[1]
        expect(ping.code).toBe(CoapCode.Ping)
        r.clock.advance(1000)
        r.peer.sendMsg(signal(CoapCode.Pong, ping.token))
        r.clock.advance(1500)
        r.conn.tick()
        expect(tcpConnectionStatus(r.conn).open).toBe(true)
    })
    test("a missing Pong closes the link", () => {
        const r = readyRig()
        r.clock.advance(5000)
        r.conn.tick()
        expect(r.peer.messages()[1].code).toBe(CoapCode.Ping)
        r.clock.advance(1999)
        r.conn.tick()
        expect(tcpConnectionStatus(r.conn).open).toBe(true)
        r.clock.advance(1)
        r.conn.tick()
        expect(tcpConnectionStatus(r.conn).open).toBe(false)
        expect(r.log[r.log.length - 1].indexOf("no Pong") >= 0).toBe(true)
    })
    test("a Pong with another token does not count", () => {
        const r = readyRig()
        r.clock.advance(5000)
        r.conn.tick()
        r.peer.sendMsg(signal(CoapCode.Pong, Buffer.from([9, 9, 9, 9, 9])))
        r.clock.advance(2000)
        r.conn.tick()
        expect(tcpConnectionStatus(r.conn).open).toBe(false)
    })
    test("a Pong without a token answers our Ping (libcoap 4.3.1 sends those)", () => {
        const r = readyRig()
        r.clock.advance(5000)
        r.conn.tick()
        r.peer.sendMsg(signal(CoapCode.Pong))
        r.clock.advance(2000)
        r.conn.tick()
        expect(tcpConnectionStatus(r.conn).open).toBe(true)
    })
    test("traffic from the peer postpones the Ping", () => {
        const r = readyRig()
        r.clock.advance(4000)
        r.peer.sendMsg(signal(CoapCode.Empty))
        r.clock.advance(4000)
        r.conn.tick()
        expect(r.peer.messages().length).toBe(1)
    })
})

describe("RFC 8323 connection: Release (5.5) and Abort (5.6)", () => {
    test("Release fails pending requests and reports Hold-Off in ms", () => {
        const r = readyRig()
        let err = ""
        r.conn.request(get("/a"), (resp: CoapMessage, e: string) => (err = e))
        const rel = signal(CoapCode.Release)
        setUintOption(rel, SignalingOption.HoldOff, 30)
        r.peer.sendMsg(rel)
        expect(tcpConnectionStatus(r.conn).open).toBe(false)
        expect(err.indexOf("closed") === 0).toBe(true)
        expect(r.log[r.log.length - 1]).toBe("closed:30000:released by peer")
    })
    test("Abort from the peer closes with its diagnostic", () => {
        const r = readyRig()
        const ab = signal(CoapCode.Abort)
        ab.payload = Buffer.from("bye")
        r.peer.sendMsg(ab)
        expect(tcpConnectionStatus(r.conn).open).toBe(false)
        expect(r.log[r.log.length - 1]).toBe("closed:0:aborted by peer: bye")
    })
    test("release() sends Release and closes the stream", () => {
        const r = readyRig()
        r.conn.release("done")
        expect(r.peer.messages()[1].code).toBe(CoapCode.Release)
        expect(r.log.indexOf("stream-closed") >= 0).toBe(true)
    })
    test("a malformed frame (TKL 9) is answered with Abort", () => {
        const r = readyRig()
        r.peer.sendBytes(Buffer.from([0x09, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 9]))
        expect(r.peer.messages()[1].code).toBe(CoapCode.Abort)
        expect(tcpConnectionStatus(r.conn).open).toBe(false)
    })
    test("a frame above our Max-Message-Size is answered with Abort", () => {
        const r = readyRig()
        const big = content(Buffer.from([1]), "")
        big.payload = Buffer.alloc(700)
        r.peer.sendMsg(big)
        expect(r.peer.messages()[1].code).toBe(CoapCode.Abort)
    })
    test("nothing is sent after close", () => {
        const r = readyRig()
        r.peer.drop("reset")
        const n = r.peer.messages().length
        let err = ""
        r.conn.request(get("/a"), (resp: CoapMessage, e: string) => (err = e))
        r.peer.sendMsg(signal(CoapCode.Ping))
        expect(r.peer.messages().length).toBe(n)
        expect(err).toBe("closed")
    })
})

describe("RFC 8323 connection: token-matched requests both ways (3.3)", () => {
    test("responses are matched by token, in any order", () => {
        const r = readyRig()
        const got: string[] = []
        const t1 = r.conn.request(get("/a"), (resp: CoapMessage, e: string) => got.push("a=" + resp.payload.toString()))
        const t2 = r.conn.request(get("/b"), (resp: CoapMessage, e: string) => got.push("b=" + resp.payload.toString()))
        expect(t1.toString("hex") === t2.toString("hex")).toBe(false)
        expect(r.peer.messages()[1].token.toString("hex")).toBe(t1.toString("hex"))
        r.peer.sendMsg(content(t2, "2"))
        r.peer.sendMsg(content(t1, "1"))
        r.peer.sendMsg(content(t1, "again"))
        expect(got.join(",")).toBe("b=2,a=1")
        expect(tcpConnectionStatus(r.conn).pending).toBe(0)
    })
    test("a request without a response times out", () => {
        const r = readyRig()
        let err = ""
        r.conn.request(get("/a"), (resp: CoapMessage, e: string) => (err = e))
        r.clock.advance(3999)
        r.conn.tick()
        expect(err).toBe("")
        r.clock.advance(1)
        r.conn.tick()
        expect(err).toBe("timeout")
    })
    test("an observation keeps receiving notifications until cancelled", () => {
        const r = readyRig()
        const m = get("/sensors/temperature")
        setUintOption(m, OptionNumber.Observe, 0)
        const got: string[] = []
        const t = r.conn.request(m, (resp: CoapMessage, e: string) => got.push(resp.payload.toString()))
        for (let i = 0; i < 3; i++) {
            const n = content(t, "v" + i)
            setUintOption(n, OptionNumber.Observe, i + 2)
            r.peer.sendMsg(n)
        }
        r.clock.advance(10000)
        r.conn.tick()
        expect(got.join(",")).toBe("v0,v1,v2")
        r.conn.cancel(t)
        r.peer.sendMsg(content(t, "late"))
        expect(got.length).toBe(3)
    })
    test("a notification without Observe ends the observation", () => {
        const r = readyRig()
        const m = get("/x")
        setUintOption(m, OptionNumber.Observe, 0)
        let n = 0
        const t = r.conn.request(m, (resp: CoapMessage, e: string) => n++)
        r.peer.sendMsg(content(t, "final"))
        r.peer.sendMsg(content(t, "more"))
        expect(n).toBe(1)
    })
    test("requests from the peer reach the handler and replies carry their token", () => {
        const r = readyRig()
        const req = get("/device")
        req.token = Buffer.from([0xab, 0xcd])
        r.peer.sendMsg(req)
        expect(r.requests.length).toBe(1)
        expect(r.requests[0].code).toBe(CoapCode.GET)
        expect(r.replies[0](content(Buffer.alloc(0), "info"))).toBe(true)
        const resp = r.peer.messages()[1]
        expect(resp.code).toBe(CoapCode.Content)
        expect(resp.token.toString("hex")).toBe("abcd")
        expect(resp.payload.toString()).toBe("info")
    })
    test("a reply after close reports false and sends nothing", () => {
        const r = readyRig()
        r.peer.sendMsg(get("/device"))
        r.peer.drop("gone")
        expect(r.replies[0](content(Buffer.alloc(0), "x"))).toBe(false)
        expect(r.peer.messages().length).toBe(1)
    })
    test("input split at every byte gives the same messages", () => {
        const r = rig()
        const c = csm(2048)
        const p = signal(CoapCode.Ping, Buffer.from([5]))
        const q = get("/sensors/humidity")
        q.token = Buffer.from([7, 7])
        const all = [c, p, q]
        const enc = encodeAll(all)
        for (let i = 0; i < enc.length; i++) r.peer.sendBytes(Buffer.from([enc[i]]))
        expect(tcpConnectionStatus(r.conn).ready).toBe(true)
        expect(r.peer.messages()[1].code).toBe(CoapCode.Pong)
        expect(r.requests.length).toBe(1)
        expect(r.requests[0].token.toString("hex")).toBe("0707")
    })
    test("a request larger than the peer's Max-Message-Size fails without being sent", () => {
        const r = rig()
        r.peer.sendMsg(csm(64))
        const m = newMessage(CoapType.CON, CoapCode.PUT, 0)
        m.payload = Buffer.alloc(100)
        let err = ""
        r.conn.request(m, (resp: CoapMessage, e: string) => (err = e))
        expect(err.indexOf("Max-Message-Size") >= 0).toBe(true)
        expect(r.peer.messages().length).toBe(1)
    })
})

function encodeAll(ms: CoapMessage[]): Buffer {
    const parts: Buffer[] = []
    for (const m of ms) parts.push(encodeTcpMessage(m))
    return concatBytes(parts)
}
