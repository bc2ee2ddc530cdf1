// Property tests of the MQTT codec (Node only): round trips of arbitrary valid packets, the
// assembler under random chunking, bad input that must only ever raise MqttProtocolError,
// and the hand-written UTF-8 code against Node's own.
import { describe, expect, test } from "vitest"
import fc from "fast-check"
import { encodePacket, encodePublish, remainingLengthSize } from "../../../src/mqtt/codec/encode"
import {
    decodeFrame,
    decodeFromServer,
    decodePacket,
    PacketDecoder,
    readRemainingLength,
    readRemainingLengthBytes,
} from "../../../src/mqtt/codec/decode"
import { FrameAssembler } from "../../../src/mqtt/codec/frames"
import { MqttProtocolError } from "../../../src/mqtt/codec/errors"
import { Packet, PacketType } from "../../../src/mqtt/codec/packets"
import { topicMatchesFilter, validateTopicFilter } from "../../../src/mqtt/codec/topics"
import { checkUtf8, utf8Bytes, utf8String } from "../../../src/mqtt/codec/utf8"
import { anyPacket, bytes, mqttString, topicName } from "./arbitraries"

function drainAll(a: FrameAssembler): Packet[] {
    const out: Packet[] = []
    for (let p = a.next(); p !== undefined; p = a.next()) out.push(p)
    return out
}

/** Runs fn; any error other than MqttProtocolError fails the property. */
function onlyProtocolErrors(fn: () => void): void {
    try {
        fn()
    } catch (e) {
        if (!(e instanceof MqttProtocolError)) throw e
        expect(e.rule).toMatch(/^(MQTT-\d|max-packet-size$)/)
    }
}

function feedAll(data: Buffer, maxPacketSize?: number, role: PacketDecoder = decodePacket): void {
    const a = new FrameAssembler(maxPacketSize, role)
    a.push(data)
    // after a body error the assembler goes on; after a header error it stays failed
    for (let i = 0; i < 1000; i++) {
        try {
            if (a.next() === undefined) return
        } catch (e) {
            if (!(e instanceof MqttProtocolError)) throw e
            if (
                e.rule === "MQTT-2.2.1" ||
                e.rule === "MQTT-2.2.3" ||
                e.rule === "max-packet-size" ||
                /^MQTT-(2\.2\.2|3\.\d+\.1-1|3\.3\.1)/.test(e.rule)
            )
                return
        }
    }
}

const mutation = fc.oneof(
    fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
    fc.record({ kind: fc.constant("set" as const), at: fc.nat(), v: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant("cut" as const), at: fc.nat() }),
    fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), v: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant("delete" as const), at: fc.nat() })
)
type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never

function mutate(frame: Buffer, ms: Mutation[]): Buffer {
    let b = Buffer.from(frame)
    for (const m of ms) {
        if (b.length === 0) break
        const at = m.at % b.length
        if (m.kind === "flip") b[at] ^= 1 << m.bit
        else if (m.kind === "set") b[at] = m.v
        else if (m.kind === "cut") b = b.subarray(0, at)
        else if (m.kind === "insert") b = Buffer.concat([b.subarray(0, at), Buffer.from([m.v]), b.subarray(at)])
        else b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1)])
    }
    return b
}

describe("mqtt codec properties", () => {
    test("encode then decode gives the same packet, for every packet type", () => {
        fc.assert(
            fc.property(anyPacket, (p) => {
                const frame = encodePacket(p)
                expect(decodeFrame(frame)).toStrictEqual(p)
                // and the frame size is what its header says, with a minimal varint
                const rl = readRemainingLength(frame, 1, frame.length)
                expect(frame.length).toBe(1 + remainingLengthSize(rl) + rl)
            }),
            { numRuns: 2000 }
        )
    })

    test("decode then encode gives the same bytes", () => {
        fc.assert(
            fc.property(anyPacket, (p) => {
                const frame = encodePacket(p)
                expect(encodePacket(decodeFrame(frame)).equals(frame)).toBe(true)
            }),
            { numRuns: 1000 }
        )
    })

    test("encodePublish equals encodePacket for PUBLISH", () => {
        fc.assert(
            fc.property(
                topicName,
                bytes(100),
                fc.constantFrom(0, 1, 2),
                fc.boolean(),
                fc.boolean(),
                fc.integer({ min: 1, max: 65535 }),
                (t, pl, q, r, d, id) => {
                    const dup = q > 0 && d
                    const a = encodePublish(t, pl, q, r, dup, id)
                    const p: any = { type: PacketType.PUBLISH, topic: t, payload: pl, qos: q, retain: r, dup }
                    if (q > 0) p.packetId = id
                    expect(a.equals(encodePacket(p))).toBe(true)
                }
            ),
            { numRuns: 500 }
        )
    })

    test("the assembler yields the same packets for any chunking", () => {
        fc.assert(
            fc.property(fc.array(anyPacket, { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 12 }), (ps, cuts) => {
                const stream = Buffer.concat(ps.map(encodePacket))
                const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((x, y) => x - y)
                const a = new FrameAssembler(undefined, decodePacket)
                const out: Packet[] = []
                let prev = 0
                for (const at of [...points, stream.length]) {
                    a.push(stream.subarray(prev, at))
                    out.push(...drainAll(a))
                    prev = at
                }
                expect(out).toStrictEqual(ps)
                expect(a.buffered).toBe(0)
            }),
            { numRuns: 500 }
        )
    })

    test("random bytes raise nothing but MqttProtocolError", () => {
        fc.assert(
            fc.property(fc.uint8Array({ maxLength: 64 }), fc.integer({ min: 0, max: 255 }), (arr, header) => {
                const b = Buffer.from(arr)
                onlyProtocolErrors(() => decodeFrame(b))
                onlyProtocolErrors(() => decodePacket(header, b, 0, b.length))
                feedAll(b)
                feedAll(b, 16)
                feedAll(b, undefined, decodeFromServer)
            }),
            { numRuns: 10000 }
        )
    })

    test("mutated valid frames raise nothing but MqttProtocolError", () => {
        fc.assert(
            fc.property(
                fc.array(anyPacket, { minLength: 1, maxLength: 3 }),
                fc.array(mutation, { minLength: 1, maxLength: 4 }),
                (ps, ms) => {
                    const frame = mutate(Buffer.concat(ps.map(encodePacket)), ms)
                    onlyProtocolErrors(() => decodeFrame(frame))
                    feedAll(frame)
                }
            ),
            { numRuns: 5000 }
        )
    })

    test("a decoded mutated frame re-encodes to the same bytes (nothing lenient slips through)", () => {
        fc.assert(
            fc.property(anyPacket, fc.array(mutation, { minLength: 1, maxLength: 2 }), (p, ms) => {
                const frame = mutate(encodePacket(p), ms)
                let q: Packet
                try {
                    q = decodeFrame(frame)
                } catch (e) {
                    if (e instanceof MqttProtocolError) return
                    throw e
                }
                // same first byte and same body; only the Remaining Length may have been written
                // longer than needed in the input (accepted in 3.1.1), so it is skipped
                const again = encodePacket(q)
                const body = (b: Buffer) => b.subarray(1 + readRemainingLengthBytes(b, 1, b.length))
                expect(again[0]).toBe(frame[0])
                expect(body(again).equals(body(frame))).toBe(true)
            }),
            { numRuns: 5000 }
        )
    })
})

describe("UTF-8 (1.5.3) against Node's decoder and encoder", () => {
    const fatal = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true })
    const nodeAccepts = (b: Buffer) => {
        try {
            fatal.decode(b)
            return !b.includes(0)
        } catch {
            return false
        }
    }
    const ours = (b: Buffer) => {
        try {
            checkUtf8(b, 0, b.length)
            return true
        } catch (e) {
            if (!(e instanceof MqttProtocolError)) throw e
            return false
        }
    }
    test("checkUtf8 accepts exactly what a fatal TextDecoder accepts (minus U+0000)", () => {
        // bias towards bytes that make multi-byte sequences
        const byte = fc.oneof(
            fc.integer({ min: 0, max: 255 }),
            fc.integer({ min: 0x80, max: 0xbf }),
            fc.constantFrom(0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff)
        )
        fc.assert(
            fc.property(fc.array(byte, { maxLength: 12 }), (arr) => {
                const b = Buffer.from(arr)
                expect(ours(b)).toBe(nodeAccepts(b))
            }),
            { numRuns: 20000 }
        )
    })
    test("utf8String (native fast path) accepts the same as checkUtf8 and decodes like Node", () => {
        const byte = fc.oneof(
            fc.integer({ min: 0x20, max: 0x7e }),
            fc.integer({ min: 0, max: 255 }),
            fc.constantFrom(0x80, 0xc3, 0xa9, 0xed, 0xa0, 0xef, 0xbf, 0xbd, 0xf0, 0x9f)
        )
        fc.assert(
            fc.property(fc.array(byte, { maxLength: 12 }), fc.nat(3), (arr, pad) => {
                // the string sits inside a larger buffer, with bytes (a NUL too) around it
                const b = Buffer.concat([Buffer.alloc(pad, 0x41), Buffer.from(arr), Buffer.from([0, 0x41])])
                let s: string | undefined
                try {
                    s = utf8String(b, pad, pad + arr.length)
                } catch (e) {
                    if (!(e instanceof MqttProtocolError)) throw e
                }
                expect(s !== undefined).toBe(nodeAccepts(Buffer.from(arr)))
                if (s !== undefined) expect(s).toBe(Buffer.from(arr).toString("utf-8"))
            }),
            { numRuns: 15000 }
        )
    })
    test("utf8Bytes equals Buffer.from for valid strings", () => {
        fc.assert(
            fc.property(mqttString(0, 30), (s) => {
                expect(utf8Bytes(s).equals(Buffer.from(s))).toBe(true)
            }),
            { numRuns: 2000 }
        )
        expect(() => utf8Bytes("a\u0000")).toThrow(/MQTT-1\.5\.3-2/)
        expect(() => utf8Bytes("é\u0000")).toThrow(/MQTT-1\.5\.3-2/)
        expect(() => utf8Bytes("\ud800")).toThrow(/MQTT-1\.5\.3-1/)
    })
    test("valid strings of any code points validate", () => {
        fc.assert(
            fc.property(mqttString(0, 30), (s) => {
                expect(ours(Buffer.from(s))).toBe(true)
            }),
            { numRuns: 2000 }
        )
    })
    test("lone surrogates are refused on encode (1.5.3-1)", () => {
        for (const s of ["\ud800", "a\udc00", "\ud83d", "\ude00\ud83d", "x\ud83dy"]) {
            expect(() => utf8Bytes(s)).toThrow(MqttProtocolError)
            expect(() => encodePublish(s, Buffer.alloc(0), 0, false, false, 0)).toThrow(/MQTT-1\.5\.3-1/)
        }
    })
})

function refMatch(topic: string, filter: string): boolean {
    if ((filter[0] === "+" || filter[0] === "#") && topic[0] === "$") return false
    const t = topic.split("/")
    const f = filter.split("/")
    for (let i = 0; i < f.length; i++) {
        if (f[i] === "#") return true
        if (i >= t.length) return false
        if (f[i] !== "+" && f[i] !== t[i]) return false
    }
    return t.length === f.length
}

describe("topic matching against a split-based reference", () => {
    const lvl = fc.constantFrom("a", "b", "", "$x", "ab", "é", "😀")
    const topic = fc
        .array(lvl, { minLength: 1, maxLength: 5 })
        .map((l) => l.join("/"))
        .filter((t) => t.length > 0)
    // filters derived from a topic (so that many match) or independent
    const derived = topic.chain((t) =>
        fc
            .tuple(fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }), fc.integer({ min: 0, max: 6 }), fc.boolean())
            .map(([plus, cut, hash]) => {
                let ls = t.split("/").map((l, i) => (plus[i] ? "+" : l))
                if (cut < ls.length) ls = ls.slice(0, cut)
                if (hash) ls.push("#")
                return [t, ls.join("/")] as [string, string]
            })
    )
    const independent = fc.tuple(
        topic,
        fc
            .array(fc.oneof(lvl, fc.constant("+")), { minLength: 1, maxLength: 5 })
            .chain((ls) => fc.boolean().map((h) => (h ? [...ls, "#"] : ls).join("/")))
    )
    test("same answer as the reference", () => {
        fc.assert(
            fc.property(fc.oneof(derived, independent), ([t, f]) => {
                if (f.length === 0) return
                validateTopicFilter(f)
                expect(topicMatchesFilter(t, f)).toBe(refMatch(t, f))
            }),
            { numRuns: 10000 }
        )
    })
})

describe("sizes only Node can afford", () => {
    test("remaining length boundaries with real packets (table 2.4)", () => {
        for (const rl of [127, 128, 16383, 16384, 2097151, 2097152]) {
            // PUBLISH QoS 0 to topic "t": remaining = 2 + 1 + payload
            const frame = encodePublish("t", Buffer.alloc(rl - 3, 7), 0, false, false, 0)
            expect(frame.length).toBe(1 + remainingLengthSize(rl) + rl)
            const a = new FrameAssembler()
            for (let o = 0; o < frame.length; o += 1460) a.push(frame.subarray(o, o + 1460))
            const p = a.next() as any
            expect(p.payload.length).toBe(rl - 3)
            expect(p.payload.equals(Buffer.alloc(rl - 3, 7))).toBe(true)
        }
    })
    test("fields over 65535 bytes are refused (1.5.3)", () => {
        const big = Buffer.alloc(65536)
        expect(() =>
            encodePacket({ type: PacketType.CONNECT, clientId: "c", cleanSession: true, keepalive: 1, username: "u", password: big })
        ).toThrow(/MQTT-1\.5\.3/)
        expect(() => encodePublish("a".repeat(65536), Buffer.alloc(0), 0, false, false, 0)).toThrow(/MQTT-4\.7\.3-3/)
        expect(() => encodePacket({ type: PacketType.CONNECT, clientId: "é".repeat(32768), cleanSession: true, keepalive: 1 })).toThrow(
            /MQTT-1\.5\.3/
        )
        expect(encodePublish("a".repeat(65535), Buffer.alloc(0), 0, false, false, 0).length).toBe(1 + 3 + 2 + 65535)
    })
})
