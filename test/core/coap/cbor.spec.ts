// CBOR (RFC 8949) Appendix A vectors within our subset, plus malformed input (Appendix F).
// Portable (vitest + simulator): the float conversions must give the same bits on the board.
import { describe, test, expect } from "@devicescript/test"
import { CborError, CborMap, MAX_DEPTH, decodeCbor, encodeCbor, float64Bits } from "../../../src/coap/formats/cbor"

function bytes(h: string): Buffer {
    return Buffer.from(h, "hex")
}
function enc(v: any): string {
    return encodeCbor(v).toString("hex")
}
function dec(h: string): any {
    return decodeCbor(bytes(h))
}
/** Offset of the CborError thrown decoding h, -1 when none, -2 for any other error. */
function errAt(h: string): number {
    try {
        decodeCbor(bytes(h))
        return -1
    } catch (e) {
        if (e instanceof CborError) return e.offset
        return -2
    }
}
function bitsHex(v: number): string {
    const b = float64Bits(v)
    const buf = Buffer.alloc(8)
    for (let i = 0; i < 4; i++) {
        buf[i] = (b[0] >>> (24 - 8 * i)) & 0xff
        buf[4 + i] = (b[1] >>> (24 - 8 * i)) & 0xff
    }
    return buf.toString("hex")
}

// [value, encoding] pairs from RFC 8949 Appendix A that encode the same way here
const INTS: number[] = [0, 1, 10, 23, 24, 25, 100, 1000, 1000000, 1000000000000, -1, -10, -100, -1000]
const INT_HEX: string[] = [
    "00",
    "01",
    "0a",
    "17",
    "1818",
    "1819",
    "1864",
    "1903e8",
    "1a000f4240",
    "1b000000e8d4a51000",
    "20",
    "29",
    "3863",
    "3903e7",
]

describe("cbor: RFC 8949 Appendix A", () => {
    test("integers encode and decode", () => {
        for (let i = 0; i < INTS.length; i++) {
            expect(enc(INTS[i])).toBe(INT_HEX[i])
            expect(dec(INT_HEX[i])).toBe(INTS[i])
        }
        expect(dec("1b001fffffffffffff")).toBe(9007199254740991)
        expect(dec("3b001ffffffffffffe")).toBe(-9007199254740991)
    })
    test("float64 vectors encode bit-exactly", () => {
        expect(enc(1.1)).toBe("fb3ff199999999999a")
        expect(enc(1.0e300)).toBe("fb7e37e43c8800759c")
        expect(enc(-4.1)).toBe("fbc010666666666666")
        expect(dec("fb3ff199999999999a")).toBe(1.1)
        expect(dec("fb7e37e43c8800759c")).toBe(1.0e300)
        expect(dec("fbc010666666666666")).toBe(-4.1)
    })
    test("float16 and float32 vectors decode", () => {
        expect(dec("f90000")).toBe(0)
        // -0.0 decodes to a zero; its sign is not kept on DeviceScript (zero results of float
        // arithmetic come back as +0 there), so only Node checks the sign (test/node/coap)
        expect(dec("f98000") === 0).toBe(true)
        expect(dec("f93c00")).toBe(1)
        expect(dec("f93e00")).toBe(1.5)
        expect(dec("f97bff")).toBe(65504)
        expect(dec("fa47c35000")).toBe(100000)
        expect(dec("fa7f7fffff")).toBe(3.4028234663852886e38)
        expect(dec("f90001")).toBe(5.960464477539063e-8)
        expect(dec("f90400")).toBe(0.00006103515625)
        expect(dec("f9c400")).toBe(-4)
        expect(dec("f97c00")).toBe(Infinity)
        expect(dec("f9fc00")).toBe(-Infinity)
        const nan = dec("f97e00")
        expect(nan === nan).toBe(false)
        expect(dec("fa7f800000")).toBe(Infinity)
        expect(dec("fbfff0000000000000")).toBe(-Infinity)
    })
    test("float64 bits of edge values match IEEE 754", () => {
        expect(bitsHex(0.1)).toBe("3fb999999999999a")
        expect(bitsHex(21.53)).toBe("403587ae147ae148")
        // Subnormals are checked in test/node/coap only: DeviceScript flushes them to zero
        // (Math.pow(2, -1074) is 0 there) and a literal 5e-324 fails its bytecode verifier (-1044).
        expect(bitsHex(2.2250738585072014e-308)).toBe("0010000000000000")
        expect(bitsHex(1.7976931348623157e308)).toBe("7fefffffffffffff")
        expect(bitsHex(Infinity)).toBe("7ff0000000000000")
        expect(bitsHex(1 / 3)).toBe("3fd5555555555555")
        expect(bitsHex(Math.PI)).toBe("400921fb54442d18")
        expect(enc(0.5)).toBe("fb3fe0000000000000")
    })
    test("simple values", () => {
        expect(enc(false)).toBe("f4")
        expect(enc(true)).toBe("f5")
        expect(enc(null)).toBe("f6")
        expect(enc(undefined)).toBe("f7")
        expect(dec("f4")).toBe(false)
        expect(dec("f5")).toBe(true)
        expect(dec("f6")).toBe(null)
        expect(dec("f7")).toBe(undefined)
    })
    test("byte and text strings", () => {
        expect(enc(Buffer.alloc(0))).toBe("40")
        expect(enc(bytes("01020304"))).toBe("4401020304")
        expect(enc("")).toBe("60")
        expect(enc("a")).toBe("6161")
        expect(enc("IETF")).toBe("6449455446")
        expect(enc('"\\')).toBe("62225c")
        expect(enc("\u00fc")).toBe("62c3bc")
        expect(enc("\u6c34")).toBe("63e6b0b4")
        expect(dec("4401020304").toString("hex")).toBe("01020304")
        expect(dec("6449455446")).toBe("IETF")
        expect(dec("62c3bc")).toBe("\u00fc")
    })
    test("arrays and maps", () => {
        expect(enc([])).toBe("80")
        expect(enc([1, 2, 3])).toBe("83010203")
        expect(enc([1, [2, 3], [4, 5]])).toBe("8301820203820405")
        expect(enc({})).toBe("a0")
        expect(enc({ a: 1, b: [2, 3] })).toBe("a26161016162820203")
        expect(enc(["a", { b: "c" }])).toBe("826161a161626163")
        const m = new CborMap()
        m.set(1, 2).set(3, 4)
        expect(enc(m)).toBe("a201020304")
        const d = dec("a201020304")
        expect(d instanceof CborMap).toBe(true)
        expect(d.get(3)).toBe(4)
        const o = dec("a26161016162820203")
        expect(o["a"]).toBe(1)
        expect(o["b"][1]).toBe(3)
        const big = [] as number[]
        for (let i = 1; i <= 25; i++) big.push(i)
        expect(enc(big).slice(0, 6)).toBe("981901")
    })
    test("indefinite-length items decode", () => {
        expect(dec("5f42010243030405ff").toString("hex")).toBe("0102030405")
        expect(dec("7f657374726561646d696e67ff")).toBe("streaming")
        expect(dec("9fff").length).toBe(0)
        expect(dec("9f018202039f0405ffff")[2][1]).toBe(5)
        expect(dec("83019f0203ff820405")[1][1]).toBe(3)
        expect(dec("bf61610161629f0203ffff")["b"][0]).toBe(2)
        const f = dec("bf6346756ef563416d7421ff")
        expect(f["Fun"]).toBe(true)
        expect(f["Amt"]).toBe(-2)
    })
})

describe("cbor: malformed input (RFC 8949 Appendix F) raises CborError", () => {
    test("truncated", () => {
        expect(errAt("")).toBe(0)
        expect(errAt("18")).toBe(1)
        expect(errAt("1a0102")).toBe(1)
        expect(errAt("62c3")).toBe(1)
        expect(errAt("83")).toBe(1)
        expect(errAt("a1")).toBe(1)
        expect(errAt("9f")).toBe(1)
        expect(errAt("5f4201")).toBe(2)
        // a huge declared length is refused without allocating it
        expect(errAt("5bffffffffffffffff") >= 0).toBe(true)
        expect(errAt("9bffffffffffffffff") >= 0).toBe(true)
        expect(errAt("bb00000000ffffffff") >= 0).toBe(true)
    })
    test("reserved additional information and bad simple values", () => {
        expect(errAt("1c") >= 0).toBe(true)
        expect(errAt("1d") >= 0).toBe(true)
        expect(errAt("fc") >= 0).toBe(true)
        expect(errAt("f818") >= 0).toBe(true)
        expect(errAt("f0") >= 0).toBe(true)
        expect(errAt("1f") >= 0).toBe(true)
        expect(errAt("3f") >= 0).toBe(true)
    })
    test("break in the wrong place, wrong chunk types", () => {
        expect(errAt("ff")).toBe(1)
        expect(errAt("81ff") >= 0).toBe(true)
        expect(errAt("5f01ff") >= 0).toBe(true)
        expect(errAt("5f6161ff") >= 0).toBe(true)
        expect(errAt("5f5f4100ffff") >= 0).toBe(true)
        expect(errAt("bf01ff") >= 0).toBe(true)
    })
    test("text strings must be well-formed UTF-8 (RFC 8949 5.3.2)", () => {
        expect(Buffer.from(dec("64f0908591")).toString("hex")).toBe("f0908591")
        expect(errAt("61ff") >= 0).toBe(true) // invalid byte
        expect(errAt("62c0af") >= 0).toBe(true) // overlong "/"
        expect(errAt("63eda080") >= 0).toBe(true) // UTF-16 surrogate
        expect(errAt("64f4908080") >= 0).toBe(true) // above U+10FFFF
        expect(errAt("62e282") >= 0).toBe(true) // truncated sequence
        expect(errAt("7f61c361a9ff") >= 0).toBe(true) // a character split across chunks (3.2.3)
        expect(dec("7f62c3a9ff")).toBe("\u00e9")
        expect(dec("4161").toString("hex")).toBe("61")
    })
    test("trailing bytes, tags, bad keys, duplicate keys", () => {
        expect(errAt("0000")).toBe(1)
        expect(errAt("c074323031332d30332d32315432303a30343a30305a") >= 0).toBe(true)
        expect(errAt("a1f401") >= 0).toBe(true)
        expect(errAt("a1800a") >= 0).toBe(true)
        expect(errAt("a2616101616102") >= 0).toBe(true)
    })
    test("nesting deeper than MAX_DEPTH", () => {
        let ok = ""
        for (let i = 0; i < MAX_DEPTH; i++) ok += "81"
        expect(dec(ok + "00") !== undefined).toBe(true)
        expect(errAt(ok + "8100") >= 0).toBe(true)
        let bad = ""
        for (let i = 0; i < 200; i++) bad += "9f"
        expect(errAt(bad) >= 0).toBe(true)
    })
    test("encoder refuses functions", () => {
        expect(() => encodeCbor(() => 1)).toThrow()
    })
})
