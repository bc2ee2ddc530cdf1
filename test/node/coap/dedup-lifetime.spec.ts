// RFC 7252 4.5 in the message layer: a duplicate is recognised for EXCHANGE_LIFETIME (247 s)
// however many exchanges come in between, and the cache's memory is capped by pairs and by bytes
// of cached answers (MessageLayerOptions.dedupCapacity / dedupBytes). Fake clock.
import { describe, expect, test } from "vitest"
import { MessageLayer } from "../../../src/coap/transport/messagelayer"
import { CoapServer } from "../../../src/coap/server/endpoint"
import { decodeMessage, encodeMessage } from "../../../src/coap/codec/codec"
import { CoapCode, CoapType, newMessage, setUriPath } from "../../../src/coap/codec/message"

function rig(opts: { dedupCapacity?: number; dedupBytes?: number } = {}, answerSize = 1) {
    const clock = { t: 0, now: () => clock.t }
    const sent: Buffer[] = []
    const ml = new MessageLayer({ clock, random: { next: () => 0.5 }, send: (b) => sent.push(b), ...opts })
    const server = new CoapServer(ml, { clock })
    ml.attach(server)
    let runs = 0
    server.add({
        path: "/toggle",
        post: (req, reply) => reply({ code: CoapCode.Changed, payload: Buffer.alloc(answerSize, 0x30 + (++runs % 10)) }),
    })
    const post = (mid: number, peer: string) => {
        const m = newMessage(CoapType.CON, CoapCode.POST, mid, Buffer.from("01", "hex"))
        setUriPath(m, "/toggle")
        ml.receive(encodeMessage(m), peer)
    }
    return { clock, sent, ml, post, runs: () => runs }
}

describe("duplicate detection over EXCHANGE_LIFETIME", () => {
    test("a CON repeated after 10,000 other exchanges within 247 s gets the first answer again", () => {
        const r = rig()
        r.post(7, "client")
        const first = r.sent[r.sent.length - 1]
        for (let i = 0; i < 10000; i++) r.post(i & 0xffff, "other-" + (i % 50))
        r.clock.t = 246000
        r.post(7, "client")
        expect(r.sent[r.sent.length - 1].equals(first)).toBe(true)
        expect(r.runs()).toBe(10001)
    })

    test("after EXCHANGE_LIFETIME the same Message ID is a new request", () => {
        const r = rig()
        r.post(7, "client")
        r.clock.t = 247001
        r.post(7, "client")
        expect(r.runs()).toBe(2)
        expect(r.ml.dedupSize()).toBe(1)
    })

    test("the cached answers' bytes are capped: the oldest pairs go first", () => {
        const r = rig({ dedupBytes: 4 * 1030 }, 1024)
        for (let mid = 1; mid <= 10; mid++) r.post(mid, "client")
        expect(r.ml.dedupSize()).toBe(4)
        // the newest is still a duplicate, the oldest is not
        r.post(10, "client")
        expect(r.runs()).toBe(10)
        r.post(1, "client")
        expect(r.runs()).toBe(11)
        expect(decodeMessage(r.sent[r.sent.length - 1]).code).toBe(CoapCode.Changed)
    })
})
