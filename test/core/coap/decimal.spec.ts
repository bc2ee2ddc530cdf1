// Exact decimal text (src/util/decimal.ts): the board's own number->string is lossy.
// Portable (vitest + simulator): these strings must be identical on both.
import { describe, test, expect } from "@devicescript/test"
import { formatFixed, formatInteger, formatNumber, formatScaled } from "../../../src/util/decimal"

describe("decimal formatting", () => {
    test("scaled integers with a number of decimals", () => {
        expect(formatScaled(2153, 2)).toBe("21.53")
        expect(formatScaled(-5, 2)).toBe("-0.05")
        expect(formatScaled(5, 3)).toBe("0.005")
        expect(formatScaled(100, 2)).toBe("1.00")
        expect(formatScaled(0, 2)).toBe("0.00")
        expect(formatScaled(7, 0)).toBe("7")
        expect(formatScaled(-2153, 1)).toBe("-215.3")
        expect(formatScaled(123456789012345, 4)).toBe("12345678901.2345")
    })
    test("fixed decimals, half away from zero", () => {
        expect(formatFixed(21.534, 2)).toBe("21.53")
        expect(formatFixed(-2.5, 0)).toBe("-3")
        expect(formatFixed(2.5, 0)).toBe("3")
        expect(formatFixed(0.125, 2)).toBe("0.13")
        expect(formatFixed(-0.001, 2)).toBe("0.00")
        expect(formatFixed(1013.25, 1)).toBe("1013.3")
    })
    test("integers are exact up to 2^53", () => {
        expect(formatInteger(0)).toBe("0")
        expect(formatInteger(-42)).toBe("-42")
        expect(formatInteger(999999999999999)).toBe("999999999999999")
        expect(formatInteger(9007199254740992)).toBe("9007199254740992")
    })
    test("shortest round-trip decimals", () => {
        expect(formatNumber(21.53)).toBe("21.53")
        expect(formatNumber(0.1)).toBe("0.1")
        expect(formatNumber(-3)).toBe("-3")
        expect(formatNumber(123456.789)).toBe("123456.789")
        expect(formatNumber(0.00000015)).toBe("0.00000015")
        expect(formatNumber(1e15)).toBe("1000000000000000")
        expect(formatNumber(-1013.25)).toBe("-1013.25")
        // Non-finite: "null" like JSON.stringify (it was "Infinity", which made jsonObject() in
        // src/coap/server/device-resources.ts write invalid JSON); every caller writes JSON.
        expect(formatNumber(1 / 0)).toBe("null")
        expect(formatNumber(-1 / 0)).toBe("null")
        expect(formatNumber(0 / 0)).toBe("null")
    })
    test("values needing more than 15 decimals use an exponent", () => {
        expect(formatNumber(1 / 3)).toBe("3.333333333333333e-1")
        expect(formatNumber(1e300)).toBe("1e300")
        expect(formatNumber(-2.5e-20)).toBe("-2.5e-20")
        // 17 significant digits are beyond exact integer arithmetic: 16 are kept
        expect(formatNumber(0.1 + 0.2)).toBe("3.000000000000001e-1")
        expect(formatNumber(2 / 3)).toBe("6.666666666666666e-1")
    })
})
