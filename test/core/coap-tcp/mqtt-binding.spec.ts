import { describe, test, expect } from "@devicescript/test"
import { CoapCode, CoapMessage, CoapType, getUintOption, getUriPath, newMessage, setUintOption, setUriPath } from "../../../src/coap/message"
import { OptionNumber } from "../../../src/coap/options"
import { decodeTcpMessage, encodeTcpMessage } from "../../../src/coap/codec"
import { CoapReply } from "../../../src/coap/tcp-connection"
import {
    CoapMqttClientBinding,
    CoapMqttServerBinding,
    boardIdFromResponseTopic,
    coapRequestTopic,
    coapResponseFilter,
} from "../../../src/coap/mqtt-binding"
import { FakeClock, SeqRandom } from "./fakes"

interface Wire {
    topic: string
    payload: Buffer
}

interface MRig {
    board: CoapMqttServerBinding
    gw: CoapMqttClientBinding
    clock: FakeClock
    wire: Wire[]
    requests: CoapMessage[]
    replies: CoapReply[]
    /** Delivers everything published so far to both sides, like a broker would. */
    flush: () => void
}

function mrig(): MRig {
    const clock = new FakeClock()
    const wire: Wire[] = []
    const requests: CoapMessage[] = []
    const replies: CoapReply[] = []
    let queue: Wire[] = []
    const pub = (topic: string, payload: Buffer) => {
        wire.push({ topic: topic, payload: payload })
        queue.push({ topic: topic, payload: payload })
    }
    const board = new CoapMqttServerBinding("devices", "b1", pub, (req: CoapMessage, reply: CoapReply) => {
        requests.push(req)
        replies.push(reply)
    })
    const gw = new CoapMqttClientBinding("devices", pub, clock, new SeqRandom(11), 3000)
    const flush = () => {
        while (queue.length > 0) {
            const q = queue
            queue = []
            for (const w of q) {
                board.onMessage(w.topic, w.payload)
                gw.onMessage(w.topic, w.payload)
            }
        }
    }
    return { board: board, gw: gw, clock: clock, wire: wire, requests: requests, replies: replies, flush: flush }
}

function get(path: string): CoapMessage {
    const m = newMessage(CoapType.CON, CoapCode.GET, 0)
    setUriPath(m, path)
    return m
}

function content(text: string): CoapMessage {
    const m = newMessage(CoapType.CON, CoapCode.Content, 0)
    m.payload = Buffer.from(text)
    return m
}

describe("CoAP over MQTT binding", () => {
    test("topic names", () => {
        expect(coapRequestTopic("devices", "abc")).toBe("devices/abc/coap/req")
        expect(coapResponseFilter("devices")).toBe("devices/+/coap/res")
        expect(boardIdFromResponseTopic("devices", "devices/abc/coap/res")).toBe("abc")
        expect(boardIdFromResponseTopic("devices", "devices/a/b/coap/res")).toBe(undefined)
        expect(boardIdFromResponseTopic("devices", "devices//coap/res")).toBe(undefined)
        expect(boardIdFromResponseTopic("devices", "devices/abc/tx")).toBe(undefined)
    })
    test("a request is one RFC 8323 frame on .../coap/req and the reply comes back by token", () => {
        const r = mrig()
        let got = ""
        const token = r.gw.request("b1", get("/device"), (resp: CoapMessage, e: string) => (got = resp.payload.toString()))
        expect(r.wire[0].topic).toBe("devices/b1/coap/req")
        const onWire = decodeTcpMessage(r.wire[0].payload)
        expect(getUriPath(onWire)).toBe("/device")
        expect(onWire.token.toString("hex")).toBe(token.toString("hex"))
        r.flush()
        expect(r.requests.length).toBe(1)
        expect(r.replies[0](content("info"))).toBe(true)
        expect(r.wire[1].topic).toBe("devices/b1/coap/res")
        r.flush()
        expect(got).toBe("info")
        expect(r.gw.pendingCount("b1")).toBe(0)
    })
    test("an observation receives every notification on the same token", () => {
        const r = mrig()
        const req = get("/sensors/temperature")
        setUintOption(req, OptionNumber.Observe, 0)
        const seen: string[] = []
        r.gw.request("b1", req, (resp: CoapMessage, e: string) => seen.push(resp.payload.toString() + "@" + getUintOption(resp, OptionNumber.Observe)))
        r.flush()
        for (let i = 0; i < 3; i++) {
            const n = content("t" + i)
            setUintOption(n, OptionNumber.Observe, 10 + i)
            r.replies[0](n)
            r.flush()
        }
        r.clock.advance(10000)
        r.gw.tick()
        expect(seen.join(",")).toBe("t0@10,t1@11,t2@12")
        expect(r.gw.pendingCount("b1")).toBe(1)
    })
    test("a board that does not answer gives a timeout", () => {
        const r = mrig()
        let err = ""
        r.gw.request("gone", get("/device"), (resp: CoapMessage, e: string) => (err = e))
        r.clock.advance(3000)
        r.gw.tick()
        expect(err).toBe("timeout")
    })
    test("malformed payloads and non-requests are dropped, not answered", () => {
        const r = mrig()
        expect(r.board.onMessage("devices/b1/coap/req", Buffer.from([0x0f, 1, 2]))).toBe(true)
        expect(r.board.onMessage("devices/b1/coap/req", encodeTcpMessage(content("x")))).toBe(true)
        expect(r.board.onMessage("devices/b1/rx", Buffer.from("{}"))).toBe(false)
        expect(r.board.droppedCount()).toBe(2)
        expect(r.requests.length).toBe(0)
        expect(r.wire.length).toBe(0)
        expect(r.gw.onMessage("devices/b1/coap/res", Buffer.from([0xff]))).toBe(true)
    })
    test("replies while offline report false and publish nothing", () => {
        const r = mrig()
        r.gw.request("b1", get("/device"), (resp: CoapMessage, e: string) => {})
        r.flush()
        r.board.setOnline(false)
        expect(r.replies[0](content("x"))).toBe(false)
        expect(r.wire.length).toBe(1)
    })
    test("failBoard ends pending requests and observations of that board only", () => {
        const r = mrig()
        const errs: string[] = []
        r.gw.request("b1", get("/a"), (resp: CoapMessage, e: string) => errs.push("b1:" + e))
        r.gw.request("b2", get("/a"), (resp: CoapMessage, e: string) => errs.push("b2:" + e))
        r.gw.failBoard("b1", "offline")
        expect(errs.join(",")).toBe("b1:offline")
        expect(r.gw.pendingCount("b2")).toBe(1)
    })
})
