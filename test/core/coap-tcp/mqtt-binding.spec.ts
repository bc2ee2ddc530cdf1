import { describe, test, expect } from "@devicescript/test"
import {
    CoapCode,
    CoapMessage,
    CoapType,
    getUintOption,
    getUriPath,
    newMessage,
    setUintOption,
    setUriPath,
} from "../../../src/coap/codec/message"
import { OptionNumber } from "../../../src/coap/codec/options"
import { decodeTcpMessage, encodeTcpMessage } from "../../../src/coap/codec/codec"
import { CoapReply } from "../../../src/coap/transport/tcp-connection"
import {
    CoapMqttClientBinding,
    CoapMqttServerBinding,
    boardIdFromResponseTopic,
    coapRequestTopic,
    coapResponseFilter,
} from "../../../src/coap/transport/mqtt-binding"
import { CoapBoardMqttLink } from "../../../src/coap/transport/board-mqtt-link"
import { CoapServerCore } from "../../../src/coap/server/endpoint"
import { CoapRequest, Reply } from "../../../src/coap/server/resources"
import { discoveryLinks } from "../../../src/coap/server/resources-discovery"
import { serializeLinks } from "../../../src/coap/formats/linkformat"
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
        r.gw.request("b1", req, (resp: CoapMessage, e: string) =>
            seen.push(resp.payload.toString() + "@" + getUintOption(resp, OptionNumber.Observe))
        )
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

interface LRig {
    link: CoapBoardMqttLink
    server: CoapServerCore
    wire: Wire[]
    value: string[]
    /** When set, publish throws (the MQTT client's outbox is full or the client ended). */
    broken: boolean[]
}

/** The board side as the firmware wires it: CoapServerCore behind a CoapBoardMqttLink. */
function lrig(): LRig {
    const wire: Wire[] = []
    const broken = [false]
    const value = ["21.5"]
    const link = new CoapBoardMqttLink("devices", "b1", (topic: string, payload: Buffer) => {
        if (broken[0]) throw new Error("outbox full")
        wire.push({ topic: topic, payload: payload })
    })
    const server = new CoapServerCore(link.transport, { clock: new FakeClock() })
    link.serve(server)
    server.add({
        path: "/t",
        observable: true,
        rt: "temp",
        formats: [0, 50],
        get: (req: CoapRequest, reply: Reply) => reply({ code: CoapCode.Content, payload: Buffer.from(value[0]) }),
    })
    server.add({ path: "/hidden", hidden: true, get: (req: CoapRequest, reply: Reply) => reply({ code: CoapCode.Content }) })
    server.add({
        path: "/led",
        iface: "core.a",
        title: 'a "b"',
        put: (req: CoapRequest, reply: Reply) => reply({ code: CoapCode.Changed }),
    })
    return { link: link, server: server, wire: wire, value: value, broken: broken }
}

function framed(m: CoapMessage, token: string): Buffer {
    m.token = Buffer.from(token, "hex")
    return encodeTcpMessage(m)
}

describe("CoAP over MQTT: the board's link", () => {
    test("a request on .../coap/req is answered on .../coap/res with its token", () => {
        const r = lrig()
        expect(r.link.requestTopic()).toBe("devices/b1/coap/req")
        expect(r.link.onMessage("devices/b1/coap/req", framed(get("/t"), "a1"))).toBe(true)
        expect(r.wire.length).toBe(1)
        expect(r.wire[0].topic).toBe("devices/b1/coap/res")
        const resp = decodeTcpMessage(r.wire[0].payload)
        expect(resp.code).toBe(CoapCode.Content)
        expect(resp.token.toString("hex")).toBe("a1")
        expect(resp.payload.toString()).toBe("21.5")
        r.link.onMessage("devices/b1/coap/req", framed(get("/nothing"), "a2"))
        expect(decodeTcpMessage(r.wire[1].payload).code).toBe(CoapCode.NotFound)
    })
    test("/.well-known/core is the whole list, whatever the query (filtering is the gateway's)", () => {
        const r = lrig()
        const q = get("/.well-known/core")
        q.options.push({ number: OptionNumber.UriQuery, value: Buffer.from("rt=nothing") })
        r.link.onMessage("devices/b1/coap/req", framed(q, "c1"))
        const resp = decodeTcpMessage(r.wire[0].payload)
        expect(getUintOption(resp, OptionNumber.ContentFormat)).toBe(40)
        const doc = '</t>;rt="temp";ct="0 50";obs,</led>;if="core.a";title="a \\"b\\""'
        expect(resp.payload.toString()).toBe(doc)
        expect(serializeLinks(discoveryLinks(r.server.resources))).toBe(doc)
    })
    test("other topics, malformed frames, responses and signaling are not answered", () => {
        const r = lrig()
        expect(r.link.onMessage("devices/b1/rx", framed(get("/t"), "01"))).toBe(false)
        expect(r.link.onMessage("devices/b2/coap/req", framed(get("/t"), "01"))).toBe(false)
        expect(r.link.onMessage("devices/b1/coap/req", Buffer.from([0x0f, 1, 2]))).toBe(true)
        expect(r.link.onMessage("devices/b1/coap/req", encodeTcpMessage(content("x")))).toBe(true)
        expect(r.link.onMessage("devices/b1/coap/req", encodeTcpMessage(newMessage(CoapType.CON, CoapCode.CSM, 0)))).toBe(true)
        expect(r.wire.length).toBe(0)
    })
    test("observe: notifications on the registration token; a failing publish ends the observation", () => {
        const r = lrig()
        const reg = get("/t")
        setUintOption(reg, OptionNumber.Observe, 0)
        r.link.onMessage("devices/b1/coap/req", framed(reg, "0b"))
        expect(getUintOption(decodeTcpMessage(r.wire[0].payload), OptionNumber.Observe) !== undefined).toBe(true)
        r.value[0] = "22.0"
        r.server.changed("/t")
        expect(r.wire.length).toBe(2)
        const n = decodeTcpMessage(r.wire[1].payload)
        expect(n.token.toString("hex")).toBe("0b")
        expect(n.payload.toString()).toBe("22.0")
        // the notification cannot be published: the observer is dropped, nothing throws
        r.broken[0] = true
        r.server.changed("/t")
        r.broken[0] = false
        r.server.changed("/t")
        expect(r.wire.length).toBe(2)
    })
})
