// Properties of the portable JSON writer, number formatter and dispatcher, checked against Node's
// own JSON and Number implementations with fast-check (Node-only: the simulator has neither).
import { describe, expect, test } from "vitest"
import fc from "fast-check"
import { jsonString, toJson } from "../../../src/util/json"
import { formatInteger, formatNumber, formatScaled } from "../../../src/util/decimal"
import { Dispatcher, handleToText } from "../../../src/rpc/jsonrpc"

// JSON values whose numbers are safe integers or have at most 6 decimals: formatNumber writes
// the shortest plain decimal with at most 15 decimals when one reads back exactly, so these must.
const num = fc.oneof(
    fc.integer({ min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
    fc.tuple(fc.integer({ min: -1e9, max: 1e9 }), fc.integer({ min: 0, max: 6 })).map(([n, d]) => n / 10 ** d)
)
const value = fc.letrec((tie) => ({
    v: fc.oneof(
        { depthSize: "small", maxDepth: 4 },
        fc.constant(null),
        fc.boolean(),
        num,
        fc.string({ unit: "grapheme" }),
        fc.array(tie("v"), { maxLength: 5 }),
        fc.dictionary(
            fc.string({ unit: "grapheme", maxLength: 8 }).filter((k) => k !== "__proto__"),
            tie("v"),
            { maxKeys: 5 }
        )
    ),
})).v

describe("JSON writer vs JSON.parse", () => {
    test("any string survives jsonString -> JSON.parse (full Unicode, controls, quotes)", () => {
        fc.assert(
            fc.property(fc.string({ unit: "binary" }), (s) => {
                expect(JSON.parse(jsonString(s))).toBe(s)
            }),
            { numRuns: 2000 }
        )
    })
    test("any JSON value with safe-integer or short-decimal numbers round-trips exactly", () => {
        fc.assert(
            fc.property(value, (v) => {
                expect(JSON.parse(toJson(v))).toEqual(v)
            }),
            { numRuns: 1000 }
        )
    })
})

describe("number formatting vs Node", () => {
    test("formatInteger equals String(n) for safe integers", () => {
        fc.assert(
            fc.property(fc.integer({ min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }), (n) => {
                expect(formatInteger(n)).toBe(String(n))
            }),
            { numRuns: 5000 }
        )
    })
    test("formatScaled(n, d) equals (n / 10^d).toFixed(d) below 1e12", () => {
        fc.assert(
            fc.property(fc.integer({ min: -1e12, max: 1e12 }), fc.integer({ min: 0, max: 4 }), (n, d) => {
                expect(formatScaled(n, d)).toBe((n / 10 ** d).toFixed(d))
            }),
            { numRuns: 5000 }
        )
    })
    test("formatNumber reads back as the same double whenever 9 decimals suffice", () => {
        fc.assert(
            fc.property(fc.integer({ min: -1e6, max: 1e6 }), fc.integer({ min: 0, max: 9 }), (n, d) => {
                const x = n / 10 ** d
                expect(Number(formatNumber(x))).toBe(x)
            }),
            { numRuns: 5000 }
        )
    })
})

describe("dispatcher never throws and always answers with valid JSON-RPC", () => {
    const d = new Dispatcher({ maxDepth: 8 })
    d.register({ name: "echo", description: "", params: [{ name: "x", type: "any" }], handler: async (p) => p["x"] })
    test("random text", async () => {
        await fc.assert(
            fc.asyncProperty(fc.oneof(fc.string({ unit: "binary" }), fc.json()), async (text) => {
                const reply = await handleToText(d, text)
                if (reply === undefined) return
                const r = JSON.parse(reply)
                const list = Array.isArray(r) ? r : [r]
                for (const one of list) {
                    expect(one.jsonrpc).toBe("2.0")
                    expect("result" in one || typeof one.error?.code === "number").toBe(true)
                }
            }),
            { numRuns: 2000 }
        )
    })
    test("random requests to echo come back unchanged", async () => {
        await fc.assert(
            fc.asyncProperty(value, fc.integer(), async (x, id) => {
                const reply = await handleToText(d, JSON.stringify({ jsonrpc: "2.0", method: "echo", params: { x }, id }))
                const r = JSON.parse(reply as string)
                expect(r.id).toBe(id)
                expect(r.result).toEqual(x)
            }),
            { numRuns: 1000 }
        )
    })
})
