// Node-only: random and mutated bytes never make the decoders throw anything but their typed
// errors (and never hang): CoapFormatError, CborError, LinkFormatError, SenmlError.
import { describe, test, expect } from "vitest"
import fc from "fast-check"
import {
    CoapFormatError,
    CoapTcpFrameReader,
    decodeMessage,
    decodeTcpMessage,
    encodeMessage,
    encodeTcpMessage,
} from "../../../src/coap/codec/codec"
import { CborError, decodeCbor, encodeCbor } from "../../../src/coap/formats/cbor"
import { LinkFormatError, parseLinks, filterLinks } from "../../../src/coap/formats/linkformat"
import { SenmlError, senmlFromCbor, senmlFromJson } from "../../../src/coap/formats/senml"
import { firstBadCriticalOption, recognisedOptions } from "../../../src/coap/codec/options"
import { messageArb } from "./arbitraries"

function onlyTyped(f: () => unknown, ...types: Function[]): void {
    try {
        f()
    } catch (e) {
        if (!types.some((t) => e instanceof t)) throw new Error("untyped error " + String(e))
    }
}

/** A valid encoding with up to 6 random edits: overwrite, insert, delete, truncate. */
const mutated = (enc: (m: any) => Buffer) =>
    fc
        .tuple(messageArb, fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }))
        .map(([m, edits]) => {
            const b = [...enc(m)]
            for (const [op, pos, v] of edits) {
                const p = b.length ? pos % b.length : 0
                if (op === 0 && b.length) b[p] = v
                else if (op === 1) b.splice(p, 0, v)
                else if (op === 2) b.splice(p, 1)
                else b.length = p
            }
            return Buffer.from(b)
        })

const anyBytes = fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a))

describe("decoders under garbage", () => {
    test("decodeMessage: random bytes and mutations of valid datagrams", () => {
        fc.assert(
            fc.property(fc.oneof(anyBytes, mutated(encodeMessage)), (b) => {
                onlyTyped(() => {
                    const m = decodeMessage(b)
                    firstBadCriticalOption(m.code, m.options)
                    recognisedOptions(m.code, m.options)
                }, CoapFormatError)
            }),
            { numRuns: 20000 }
        )
    })
    test("decodeTcpMessage and the frame reader: random bytes and mutations", () => {
        fc.assert(
            fc.property(fc.oneof(anyBytes, mutated(encodeTcpMessage)), fc.integer({ min: 1, max: 9 }), (b, step) => {
                onlyTyped(() => decodeTcpMessage(b), CoapFormatError)
                onlyTyped(() => {
                    const r = new CoapTcpFrameReader(2048)
                    for (let i = 0; i < b.length; i += step) {
                        r.push(Buffer.from(b.subarray(i, i + step)))
                        while (r.nextMessage() !== undefined) {}
                    }
                }, CoapFormatError)
            }),
            { numRuns: 20000 }
        )
    })
    test("decodeCbor and SenML+CBOR: random bytes and mutations of valid CBOR", () => {
        const validCbor = fc.jsonValue().map((v) => encodeCbor(v))
        const mut = fc
            .tuple(validCbor, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }))
            .map(([b, flips]) => {
                const c = Buffer.from(b)
                for (const [p, v] of flips) if (c.length) c[p % c.length] = v
                return c
            })
        fc.assert(
            fc.property(fc.oneof(anyBytes, mut), (b) => {
                onlyTyped(() => decodeCbor(b), CborError)
                onlyTyped(() => senmlFromCbor(b), CborError, SenmlError)
            }),
            { numRuns: 20000 }
        )
    })
    test("parseLinks, filterLinks and senmlFromJson: random text", () => {
        const text = fc.oneof(
            fc.string({ maxLength: 60 }),
            fc
                .array(fc.constantFrom("<", ">", "/a", ";", ",", "=", '"', "\\", "rt", "obs", " ", "ct=0", "*"), { maxLength: 20 })
                .map((a) => a.join(""))
        )
        fc.assert(
            fc.property(text, fc.array(fc.string({ maxLength: 6 }), { maxLength: 2 }), (s, q) => {
                onlyTyped(() => filterLinks(parseLinks(s), q), LinkFormatError)
                onlyTyped(() => senmlFromJson(s), SenmlError)
            }),
            { numRuns: 20000 }
        )
    })
    test("deep nesting is refused, not a stack overflow", () => {
        expect(() => decodeCbor(Buffer.alloc(100000, 0x81))).toThrow(CborError)
        expect(() => decodeCbor(Buffer.alloc(100000, 0x9f))).toThrow(CborError)
        expect(() => senmlFromJson("[".repeat(100000))).toThrow(SenmlError)
    })
})
