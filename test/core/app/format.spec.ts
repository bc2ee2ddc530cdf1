import { describe, test, expect, beforeEach } from "@devicescript/test"
import { pause } from "../../../src/util/pause"
import { formatFixed, formatInteger, formatNumber, formatScaled, roundHalfAway, toScaled } from "../../../src/util/decimal"
import { jsonString, toJson, JsonRaw } from "../../../src/util/json"

describe("number formatting", () => {
    beforeEach(async () => {
        await pause()
    })
    test("scaled integers print with exactly their decimals", () => {
        expect(formatScaled(2153, 2)).toBe("21.53")
        expect(formatScaled(-5, 2)).toBe("-0.05")
        expect(formatScaled(5, 2)).toBe("0.05")
        expect(formatScaled(0, 2)).toBe("0.00")
        expect(formatScaled(101325, 1)).toBe("10132.5")
        expect(formatScaled(-2150, 2)).toBe("-21.50")
        expect(formatScaled(7, 0)).toBe("7")
        expect(formatScaled(1234567890123, 3)).toBe("1234567890.123")
    })
    test("readings are rounded half away from zero, never by the runtime's printer", () => {
        expect(formatFixed(21.534, 2)).toBe("21.53")
        expect(formatFixed(21.535001, 2)).toBe("21.54")
        expect(formatFixed(-21.535001, 2)).toBe("-21.54")
        expect(formatFixed(1013.25, 1)).toBe("1013.3")
        expect(formatFixed(123456.789, 3)).toBe("123456.789")
        expect(formatFixed(-0.004, 2)).toBe("0.00")
        expect(formatFixed(40.2, 1)).toBe("40.2")
        expect(toScaled(21.53, 2)).toBe(2153)
        expect(roundHalfAway(-2.5)).toBe(-3)
        expect(roundHalfAway(2.5)).toBe(3)
        expect(roundHalfAway(-0.4)).toBe(0)
    })
    test("integers print exactly up to 2^53", () => {
        expect(formatInteger(0)).toBe("0")
        expect(formatInteger(-7)).toBe("-7")
        expect(formatInteger(2147483648)).toBe("2147483648")
        expect(formatInteger(123456789012)).toBe("123456789012")
        expect(formatInteger(999999999999999)).toBe("999999999999999")
        expect(formatInteger(9007199254740991)).toBe("9007199254740991")
        expect(formatScaled(9007199254740991, 0)).toBe("9007199254740991")
        expect(formatInteger(1e20)).toBe("1e20")
    })
    test("general numbers: fewest decimals that reproduce the value", () => {
        expect(formatNumber(0.5)).toBe("0.5")
        // More than 15 decimals needed: 16 significant digits with an exponent (src/util/decimal.ts is
        // the one formatter since SenML and the JSON writer shared it; it used to round to 9 decimals).
        expect(formatNumber(1 / 3)).toBe("3.333333333333333e-1")
        expect(formatNumber(0.1 + 0.2)).toBe("3.000000000000001e-1")
        expect(formatNumber(123456.789)).toBe("123456.789")
        expect(formatNumber(-1.25)).toBe("-1.25")
        expect(formatNumber(1.5e-7)).toBe("0.00000015")
        expect(formatNumber(1e-12)).toBe("0.000000000001")
        expect(formatNumber(0 / 0)).toBe("null")
        expect(formatNumber(1 / 0)).toBe("null")
        expect(formatNumber(-32700)).toBe("-32700")
        expect(formatNumber(9007199254740991)).toBe("9007199254740991")
        expect(formatNumber(3.4e38)).toBe("3.4e38")
    })
    test("JSON writer escapes only what RFC 8259 requires", () => {
        expect(jsonString("plain")).toBe('"plain"')
        expect(jsonString('a"b\\c')).toBe('"a\\"b\\\\c"')
        expect(jsonString("t\tn\nr\r" + String.fromCharCode(1))).toBe('"t\\tn\\nr\\r\\u0001"')
        expect(jsonString("Küche °C")).toBe('"Küche °C"')
        expect(jsonString(String.fromCharCode(0) + "a" + String.fromCharCode(31) + "\u007f")).toBe('"\\u0000a\\u001f\u007f"')
        expect(jsonString('"')).toBe('"\\""')
        expect(jsonString("\\")).toBe('"\\\\"')
        expect(toJson({ a: [1, "x", null, true], b: undefined, c: { d: 0.25 } })).toBe('{"a":[1,"x",null,true],"c":{"d":0.25}}')
        expect(toJson({ t: new JsonRaw("21.50") })).toBe('{"t":21.50}')
        // UTF-8 bytes on the wire are the characters' own, not \u00XX per byte.
        expect(Buffer.from(toJson("é")).toString("hex")).toBe("22c3a922")
    })
    test("the writer refuses values nested too deeply instead of overflowing the stack", () => {
        let v: any = 1
        for (let i = 0; i < 20; i++) v = [v]
        expect(() => toJson(v)).toThrow()
        // MAX_WRITE_DEPTH (16) levels are written, one more is refused
        let ok: any = 1
        for (let i = 0; i < 16; i++) ok = [ok]
        expect(toJson(ok).length).toBe(33)
        expect(() => toJson([ok])).toThrow()
        expect(toJson({ a: [undefined, () => 1], f: () => 1, u: undefined, r: new JsonRaw("1.50") })).toBe('{"a":[null,null],"r":1.50}')
    })
})
