// Node-only properties of the CoAP codec layer (fast-check): encode/decode round trips for
// datagrams, RFC 8323 frames (any chunking) and CBOR, and the canonical-form property:
// any bytes that decode re-encode to exactly the same bytes.
import { describe, test, expect } from "vitest"
import fc from "fast-check"
import {
    CoapTcpFrameReader,
    decodeMessage,
    decodeTcpMessage,
    encodeMessage,
    encodeTcpMessage,
    tcpFrameLength,
} from "../../../src/coap/codec/codec"
import { CoapMessage } from "../../../src/coap/codec/message"
import { bytesArb, messageArb } from "./arbitraries"
import { CborMap, decodeCbor, encodeCbor, float64Bits } from "../../../src/coap/formats/cbor"
import { formatNumber } from "../../../src/util/decimal"
import { SenmlRecord, senmlFromCbor, senmlFromJson, senmlToCbor, senmlToJson } from "../../../src/coap/formats/senml"
import { parseLinks, serializeLinks, makeLink, linkText } from "../../../src/coap/formats/linkformat"

function sameMessage(a: CoapMessage, b: CoapMessage, withHeader: boolean): void {
    if (withHeader) {
        expect(b.type).toBe(a.type)
        expect(b.messageId).toBe(a.messageId)
    }
    expect(b.code).toBe(a.code)
    expect(b.token.toString("hex")).toBe(a.token.toString("hex"))
    expect(b.options.map((o) => o.number + ":" + o.value.toString("hex"))).toEqual(
        a.options.map((o) => o.number + ":" + o.value.toString("hex"))
    )
    expect(b.payload.toString("hex")).toBe(a.payload.toString("hex"))
}

describe("coap codec properties", () => {
    test("datagram encode/decode round trip", () => {
        fc.assert(
            fc.property(messageArb, (m) => {
                sameMessage(m, decodeMessage(encodeMessage(m)), true)
            }),
            { numRuns: 2000 }
        )
    })
    test("TCP frame encode/decode round trip and frame length", () => {
        fc.assert(
            fc.property(messageArb, (m) => {
                const f = encodeTcpMessage(m)
                expect(tcpFrameLength(f, 0)).toBe(f.length)
                sameMessage(m, decodeTcpMessage(f), false)
            }),
            { numRuns: 2000 }
        )
    })
    test("frame reader: any chunking of any sequence of frames gives the same messages", () => {
        fc.assert(
            fc.property(
                fc.array(messageArb, { minLength: 1, maxLength: 5 }),
                fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1 }),
                (msgs, cuts) => {
                    const stream = Buffer.concat(msgs.map(encodeTcpMessage))
                    const r = new CoapTcpFrameReader(1 << 20)
                    const got: CoapMessage[] = []
                    let off = 0
                    let i = 0
                    while (off < stream.length) {
                        const n = Math.min(cuts[i++ % cuts.length], stream.length - off)
                        r.push(Buffer.from(stream.subarray(off, off + n)))
                        off += n
                        for (let m = r.nextMessage(); m !== undefined; m = r.nextMessage()) got.push(m)
                    }
                    expect(got.length).toBe(msgs.length)
                    msgs.forEach((m, k) => sameMessage(m, got[k], false))
                    expect(r.pending()).toBe(0)
                }
            ),
            { numRuns: 500 }
        )
    })
    test("canonical form: bytes that decode re-encode identically (datagram and TCP)", () => {
        fc.assert(
            fc.property(messageArb, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), (m, flips) => {
                for (const [enc, dec] of [
                    [encodeMessage, decodeMessage],
                    [encodeTcpMessage, decodeTcpMessage],
                ] as const) {
                    const b = Buffer.from(enc(m))
                    for (const [pos, v] of flips) b[pos % b.length] = v
                    let d: CoapMessage
                    try {
                        d = dec(b)
                    } catch {
                        continue // typed errors are checked in robustness.spec.ts
                    }
                    expect(enc(d).toString("hex")).toBe(b.toString("hex"))
                }
            }),
            { numRuns: 3000 }
        )
    })
    test("Len 65804 and 65805 select the 2- and 4-byte TCP length extensions", () => {
        for (const [len, head] of [
            [65804, "e0ffff"],
            [65805, "f000000000"],
            [65806, "f000000001"],
        ] as const) {
            const m: CoapMessage = {
                type: 0,
                code: 0x45,
                messageId: 0,
                token: Buffer.alloc(0),
                options: [],
                payload: Buffer.alloc(len - 1, 0x41),
            }
            const f = encodeTcpMessage(m)
            expect(f.subarray(0, head.length / 2).toString("hex")).toBe(head)
            expect(f.length).toBe(2 + head.length / 2 - 1 + len)
            expect(decodeTcpMessage(f).payload.length).toBe(len - 1)
        }
    })
    test("option length 65804 (14-nibble maximum) round trips, 65805 is refused", () => {
        const m: CoapMessage = {
            type: 1,
            code: 2,
            messageId: 7,
            token: Buffer.alloc(0),
            options: [{ number: 2, value: Buffer.alloc(65804, 1) }],
            payload: Buffer.alloc(0),
        }
        const e = encodeMessage(m)
        expect(e.subarray(4, 7).toString("hex")).toBe("2effff")
        expect(decodeMessage(e).options[0].value.length).toBe(65804)
        m.options[0].value = Buffer.alloc(65805)
        expect(() => encodeMessage(m)).toThrow(/too long/)
    })
})

// ---- CBOR ----

const cborLeaf = fc.oneof(
    fc.integer(),
    fc.maxSafeInteger(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined),
    fc.string({ unit: "grapheme", maxLength: 20 }),
    bytesArb(20)
)
const { cbor: cborArb } = fc.letrec((tie) => ({
    cbor: fc.oneof({ depthSize: "small", withCrossShrink: true }, cborLeaf, tie("arr"), tie("obj"), tie("imap")),
    arr: fc.array(tie("cbor"), { maxLength: 5 }),
    obj: fc.dictionary(fc.string({ maxLength: 6 }), tie("cbor"), { maxKeys: 5 }).filter((o) => !Object.keys(o).includes("__proto__")),
    imap: fc.uniqueArray(fc.integer({ min: -100, max: 100 }), { maxLength: 4 }).chain((keys) =>
        fc.array(tie("cbor"), { minLength: keys.length, maxLength: keys.length }).map((vals) => {
            const m = new CborMap()
            keys.forEach((k, i) => m.set(k, vals[i]))
            return m
        })
    ),
}))

function sameCbor(a: any, b: any): boolean {
    if (typeof a === "number") return Object.is(a, b)
    if (Buffer.isBuffer(a)) return Buffer.isBuffer(b) && a.equals(b)
    if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => sameCbor(x, b[i]))
    if (a instanceof CborMap) {
        if (a.size() === 0) return b instanceof CborMap ? b.size() === 0 : typeof b === "object" && Object.keys(b).length === 0
        return (
            b instanceof CborMap &&
            a.keys.length === b.keys.length &&
            a.keys.every((k, i) => b.keys[i] === k && sameCbor(a.values[i], b.values[i]))
        )
    }
    if (a !== null && typeof a === "object")
        return (
            b !== null &&
            typeof b === "object" &&
            !(b instanceof CborMap) &&
            Object.keys(a).length === Object.keys(b).length &&
            Object.keys(a).every((k) => sameCbor(a[k], b[k]))
        )
    return a === b
}

describe("cbor properties", () => {
    test("decode(encode(v)) equals v (NaN, -0, subnormals, int-keyed maps included)", () => {
        fc.assert(
            fc.property(cborArb, (v) => {
                expect(sameCbor(v, decodeCbor(encodeCbor(v)))).toBe(true)
            }),
            { numRuns: 3000 }
        )
    })
    test("float64 bits equal Node's writeDoubleBE for any double", () => {
        fc.assert(
            fc.property(fc.double({ noNaN: true }), (v) => {
                const b = Buffer.alloc(8)
                b.writeDoubleBE(v)
                const [hi, lo] = float64Bits(v)
                expect(hi).toBe(b.readUInt32BE(0))
                expect(lo).toBe(b.readUInt32BE(4))
            }),
            { numRuns: 20000 }
        )
    })
    test("subnormals and -0 (not representable on the board)", () => {
        expect(encodeCbor(5e-324).toString("hex")).toBe("fb0000000000000001")
        expect(decodeCbor(Buffer.from("fb000fffffffffffff", "hex"))).toBe(2.225073858507201e-308)
        expect(Object.is(decodeCbor(Buffer.from("f98000", "hex")), -0)).toBe(true)
        expect(encodeCbor(-0).toString("hex")).toBe("fb8000000000000000")
        expect(decodeCbor(Buffer.from("f90001", "hex"))).toBe(5.960464477539063e-8)
        expect(decodeCbor(Buffer.from("fa00000001", "hex"))).toBe(1.401298464324817e-45)
    })
    test("a __proto__ key does not become the prototype", () => {
        const d = decodeCbor(Buffer.from("a169__proto__a0".replace("__proto__", Buffer.from("__proto__").toString("hex")), "hex"))
        expect(d instanceof CborMap).toBe(true)
        expect(({} as any).polluted).toBe(undefined)
    })
})

describe("decimal and SenML properties", () => {
    test("formatNumber reads back exactly for values with up to 15 decimals", () => {
        fc.assert(
            fc.property(fc.integer({ min: -1e12, max: 1e12 }), fc.integer({ min: 0, max: 6 }), (n, d) => {
                const v = n / 10 ** d
                expect(Number(formatNumber(v))).toBe(v)
            }),
            { numRuns: 5000 }
        )
    })
    test("formatNumber of any finite double stays within 1e-15 relative and is valid JSON", () => {
        fc.assert(
            fc.property(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e300, max: 1e300 }), (v) => {
                const s = formatNumber(v)
                const back = JSON.parse(s)
                expect(typeof back).toBe("number")
                if (v !== 0) expect(Math.abs(back - v) / Math.abs(v)).toBeLessThan(2e-15)
            }),
            { numRuns: 5000 }
        )
    })
    test("SenML JSON and CBOR round trip, JSON equals JSON.stringify for such records", () => {
        const rec: fc.Arbitrary<SenmlRecord> = fc.record(
            {
                bn: fc.string({ unit: "grapheme", maxLength: 10 }),
                n: fc.string({ unit: "grapheme", maxLength: 10 }),
                u: fc.constantFrom("Cel", "%RH", "lx", "V"),
                v: fc.integer({ min: -100000, max: 100000 }).map((x) => x / 100),
                vs: fc.string({ maxLength: 10 }),
                vb: fc.boolean(),
                t: fc.integer({ min: -1000, max: 2000000000 }),
            },
            { requiredKeys: [] }
        )
        fc.assert(
            fc.property(fc.array(rec, { maxLength: 4 }), (pack) => {
                const json = senmlToJson(pack)
                const order = ["bn", "n", "u", "v", "vs", "vb", "t"]
                const expected = JSON.stringify(
                    pack.map((r) => Object.fromEntries(order.filter((k) => (r as any)[k] !== undefined).map((k) => [k, (r as any)[k]])))
                )
                expect(json).toBe(expected)
                expect(senmlToJson(senmlFromJson(json))).toBe(json)
                expect(senmlToJson(senmlFromCbor(senmlToCbor(pack)))).toBe(json)
            }),
            { numRuns: 1000 }
        )
    })
    test("link-format serialize/parse round trip", () => {
        const attrs = fc.record(
            {
                rt: fc.string({ maxLength: 8 }),
                iface: fc.string({ maxLength: 8 }),
                ct: fc.array(fc.integer({ min: 0, max: 65535 }), { maxLength: 3 }),
                obs: fc.boolean(),
                sz: fc.nat(),
                title: fc.string({ maxLength: 8 }),
            },
            { requiredKeys: [] }
        )
        const href = fc.stringMatching(/^\/[a-z0-9/._-]{0,12}$/)
        fc.assert(
            fc.property(fc.array(fc.tuple(href, attrs), { maxLength: 4 }), (ls) => {
                const links = ls.map(([h, a]) => makeLink(h, a))
                const text = serializeLinks(links)
                // the board's direct writer gives the same text
                expect(ls.map(([h, a]) => linkText(h, a)).join(",")).toBe(text)
                expect(serializeLinks(parseLinks(text))).toBe(text)
                const back = parseLinks(text)
                expect(back.length).toBe(links.length)
                back.forEach((l, i) =>
                    expect(l.attrs.map((a) => a.name + "=" + a.value)).toEqual(links[i].attrs.map((a) => a.name + "=" + a.value))
                )
            }),
            { numRuns: 1000 }
        )
    })
})
