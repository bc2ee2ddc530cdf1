// Node-only checks of the endpoint: async handlers that reject, and random datagrams (fast-check)
// that must never make the message layer throw or answer with anything but well-formed CoAP.
import { describe, test, expect } from "vitest"
import fc from "fast-check"
import { Harness, get, withUint } from "../../core/coap-endpoint/harness"
import { CoapCode, CoapType } from "../../../src/coap/codec/message"
import { OptionNumber } from "../../../src/coap/codec/options"
import { decodeMessage, encodeMessage } from "../../../src/coap/codec/codec"
import type { CoapRequest, Reply } from "../../../src/coap/server/resources"
import { until } from "../../helpers/wait"

function server(): Harness {
    const h = new Harness({ random: [0.3] })
    h.server.add({
        path: "/a",
        observable: true,
        formats: [0, 50],
        get: (req: CoapRequest, reply: Reply) => reply({ code: CoapCode.Content, payload: Buffer.alloc(1500, 0x41) }),
    })
    h.server.add({
        path: "/b",
        put: (req: CoapRequest, reply: Reply) => reply({ code: CoapCode.Changed }),
        post: (req: CoapRequest, reply: Reply) => reply({ code: CoapCode.Created }),
    })
    return h
}

describe("coap endpoint robustness (Node)", () => {
    test("an async handler that rejects is answered 5.00", async () => {
        const h = new Harness({})
        h.server.add({
            path: "/async",
            get: async (req: CoapRequest, reply: Reply) => {
                // fails on a later turn of the event loop, not while the request is delivered
                await new Promise((r) => setTimeout(r, 5))
                throw new Error("late failure")
            },
        })
        h.deliver(get(1, "aa", "/async"))
        await until(() => h.sent.length > 0 && h.last().code !== CoapCode.Empty, 3000, "the answer to the failed handler")
        expect(h.last().code).toBe(CoapCode.InternalServerError)
        expect(h.last().messageId).toBe(1)
    })

    test("random datagrams never throw and every answer decodes", () => {
        fc.assert(
            fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 20 }), (datagrams) => {
                const h = server()
                for (const d of datagrams) h.ml.receive(Buffer.from(d), "fuzz")
                h.advance(300000)
                for (const s of h.sent) decodeMessage(s.bytes)
            }),
            { numRuns: 500 }
        )
    })

    test("mutated valid requests never throw; every CON gets exactly one answer or RST", () => {
        const seeds = [
            encodeMessage(withUint(get(1, "0102", "/a"), OptionNumber.Observe, 0)),
            encodeMessage(withUint(get(2, "03", "/a"), OptionNumber.Block2, 0x16)),
            encodeMessage(withUint(withUint(get(3, "04", "/b"), OptionNumber.Block1, 0x0a), OptionNumber.ContentFormat, 0)),
        ]
        fc.assert(
            fc.property(fc.integer({ min: 0, max: 2 }), fc.array(fc.tuple(fc.nat(80), fc.nat(255)), { maxLength: 4 }), (which, flips) => {
                const h = server()
                const b = Buffer.from(seeds[which])
                for (const [i, v] of flips) if (i < b.length) b[i] = v
                h.ml.receive(b, "fuzz")
                const answers = h.sent.map((s) => decodeMessage(s.bytes))
                const isCon = b.length >= 4 && b[0] >> 6 === 1 && ((b[0] >> 4) & 3) === CoapType.CON
                const mid = b.length >= 4 ? b.readUInt16BE(2) : -1
                if (isCon) {
                    // an ACK (piggybacked) or an RST with the request's Message ID
                    const direct = answers.filter((m) => (m.type === CoapType.ACK || m.type === CoapType.RST) && m.messageId === mid)
                    expect(direct.length).toBe(1)
                }
            }),
            { numRuns: 1000 }
        )
    })
})
