// Compact CBOR (RFC 8949) for the values CoAP payloads here need (application/cbor 60,
// application/senml+cbor 112). Portable: no DataView/Float64Array (DeviceScript has neither);
// floats are encoded with each runtime's native binary64 write (putF64be) and decoded bit by bit
// with exact power-of-two arithmetic.
//
// Value model (CborValue):
//   number      unsigned/negative integers (exact up to 2^53) and floats
//   string      text string (major 3), Buffer = byte string (major 2)
//   boolean, null, undefined   simple values 20..23
//   CborValue[] array (major 4)
//   object      map with TEXT keys (major 5)
//   CborMap     map whose keys are integers and/or text (SenML+CBOR labels, RFC 8428 6)
// Encoding: integer-valued finite numbers in +-2^53 as major 0/1 (shortest head), every other
// number (fractions, -0, NaN, +-Infinity, huge) as float64. Definite lengths only.
// Decoding: strict (RFC 8949 5.3.1 well-formedness): truncation, reserved additional info,
// non-preferred simple 24 < 32, break outside indefinite items, wrong chunk types, non-text/int
// map keys, duplicate keys, nesting over the depth limit and tags all raise CborError.
// Half/single/double floats and indefinite-length strings/arrays/maps are accepted.
// On DeviceScript: subnormal floats are flushed to zero and a -0 may come back as +0 (its
// number representation does both); everything else is bit-identical with Node.
import { concatBytes, u32be } from "../../util/bytes"

export type CborValue = any

/** A map whose keys are not all text (e.g. SenML's integer labels). Entries keep their order. */
export class CborMap {
    keys: (number | string)[]
    values: CborValue[]
    constructor() {
        this.keys = []
        this.values = []
    }
    set(key: number | string, value: CborValue): CborMap {
        for (let i = 0; i < this.keys.length; i++)
            if (this.keys[i] === key) {
                this.values[i] = value
                return this
            }
        this.keys.push(key)
        this.values.push(value)
        return this
    }
    get(key: number | string): CborValue {
        for (let i = 0; i < this.keys.length; i++) if (this.keys[i] === key) return this.values[i]
        return undefined
    }
    size(): number {
        return this.keys.length
    }
}

export class CborError extends Error {
    /** Byte offset where decoding failed (-1 for encoder errors). */
    offset: number
    constructor(reason: string, offset: number) {
        super(reason)
        this.name = "CborError"
        this.offset = offset
    }
}

const TWO32 = 4294967296
const TWO52 = 4503599627370496
const MAX_SAFE = 9007199254740992 // 2^53

// ---- floats ----

/**
 * Writes the IEEE 754 binary64 bits of v big-endian at b[off..off+8), with the runtime's own
 * conversion (a bit-by-bit one cost ~400 bytes of board bytecode): Node's writeDoubleBE, or
 * DeviceScript's Buffer.setAt "f64" (little-endian only, so the bytes are reversed). Any NaN is
 * written as the canonical quiet NaN 7ff8000000000000.
 */
function putF64be(b: Buffer, off: number, v: number): void {
    if (v !== v) v = NaN
    const nb: any = b
    if (nb.writeDoubleBE) {
        nb.writeDoubleBE(v, off)
        return
    }
    // DeviceScript only: setAt is a compiler intrinsic (typed Buffer, literal format), unknown to Node's types
    // @ts-ignore
    b.setAt(off, "f64", v)
    for (let i = 0; i < 4; i++) {
        const t = b[off + i]
        b[off + i] = b[off + 7 - i]
        b[off + 7 - i] = t
    }
}

/** IEEE 754 binary64 bits of v as [hi32, lo32] (unsigned). */
export function float64Bits(v: number): number[] {
    const b = Buffer.alloc(8)
    putF64be(b, 0, v)
    return [u32be(b, 0), u32be(b, 4)]
}

/** Number from binary64 bits. */
export function float64FromBits(hi: number, lo: number): number {
    const sign = hi >>> 31 ? -1 : 1
    const exp = (hi >>> 20) & 0x7ff
    const m = (hi & 0xfffff) * TWO32 + (lo >>> 0)
    if (exp === 0) return sign * m * Math.pow(2, -1074)
    if (exp === 0x7ff) return m === 0 ? sign * Infinity : NaN
    return sign * (1 + m / TWO52) * Math.pow(2, exp - 1023)
}

/** Number from binary32 bits. */
export function float32FromBits(bits: number): number {
    const sign = bits >>> 31 ? -1 : 1
    const exp = (bits >>> 23) & 0xff
    const m = bits & 0x7fffff
    if (exp === 0) return sign * m * Math.pow(2, -149)
    if (exp === 0xff) return m === 0 ? sign * Infinity : NaN
    return sign * (1 + m / 8388608) * Math.pow(2, exp - 127)
}

/** Number from binary16 bits (RFC 8949 Appendix D). */
export function float16FromBits(bits: number): number {
    const sign = bits & 0x8000 ? -1 : 1
    const exp = (bits >> 10) & 0x1f
    const m = bits & 0x3ff
    if (exp === 0) return sign * m * Math.pow(2, -24)
    if (exp === 31) return m === 0 ? sign * Infinity : NaN
    return sign * (1 + m / 1024) * Math.pow(2, exp - 15)
}

// ---- encoder: items are appended to a list of byte chunks, joined once at the end ----

/** Initial byte + shortest argument (RFC 8949 3, preferred serialization 4.2.1). */
export function cborHead(out: Buffer[], major: number, v: number): void {
    const n = v < 24 ? 0 : v < 256 ? 1 : v < 65536 ? 2 : v < TWO32 ? 4 : 8
    const b = Buffer.alloc(n + 1)
    b[0] = (major << 5) | (n === 0 ? v : n < 4 ? 23 + n : n === 4 ? 26 : 27)
    // big-endian argument; no `%` or shifts: v may exceed 32 bits
    let t = v
    for (let i = n; i > 0; i--) {
        const q = Math.floor(t / 256)
        b[i] = t - q * 256
        t = q
    }
    out.push(b)
}

function isIntegral(v: number): boolean {
    // integral (not NaN), within the exact range (so finite), and not -0 (which must stay a float)
    return Math.floor(v) === v && v <= MAX_SAFE && v >= -MAX_SAFE && !(v === 0 && 1 / v < 0)
}

/**
 * Appends a number, text string, byte string, boolean, null or undefined; returns false (and
 * appends nothing) for anything else (arrays, maps), which encodeItem handles.
 */
export function cborScalar(out: Buffer[], v: CborValue): boolean {
    if (typeof v === "number") {
        if (isIntegral(v)) {
            if (v >= 0) cborHead(out, 0, v)
            else cborHead(out, 1, -1 - v)
            return true
        }
        const f = Buffer.alloc(9)
        f[0] = 0xfb
        putF64be(f, 1, v)
        out.push(f)
    } else if (typeof v === "string") {
        const b = Buffer.from(v)
        cborHead(out, 3, b.length)
        out.push(b)
    } else if (v instanceof Buffer) {
        cborHead(out, 2, v.length)
        out.push(v)
    } else if (v === undefined || v === null || v === true || v === false) {
        // simple values 20 false, 21 true, 22 null, 23 undefined
        cborHead(out, 7, v === undefined ? 23 : v === null ? 22 : v ? 21 : 20)
    } else return false
    return true
}

function encodeItem(out: Buffer[], v: CborValue, depth: number): void {
    if (depth > MAX_DEPTH) throw new CborError("nesting too deep", -1)
    if (cborScalar(out, v)) return
    if (Array.isArray(v)) {
        cborHead(out, 4, v.length)
        for (const x of v) encodeItem(out, x, depth + 1)
    } else if (v instanceof CborMap) {
        const m = v as CborMap
        cborHead(out, 5, m.keys.length)
        for (let i = 0; i < m.keys.length; i++) {
            encodeItem(out, m.keys[i], depth + 1)
            encodeItem(out, m.values[i], depth + 1)
        }
    } else if (typeof v === "object") {
        const keys = Object.keys(v)
        cborHead(out, 5, keys.length)
        for (const k of keys) {
            encodeItem(out, k, depth + 1)
            encodeItem(out, v[k], depth + 1)
        }
    } else throw new CborError("cannot encode " + typeof v, -1)
}

/** Encodes a value (see CborValue above). Throws CborError for unsupported values. */
export function encodeCbor(v: CborValue): Buffer {
    const out: Buffer[] = []
    encodeItem(out, v, 0)
    return concatBytes(out)
}

// ---- decoder ----

/** Nesting limit: DeviceScript allows ~100 call frames per fiber (deeper panics with StackOverflow). */
export const MAX_DEPTH = 16

/** Marker returned by readItem for a "break" (0xff) byte. */
const BREAK = {}

class Reader {
    buf: Buffer
    off: number
    constructor(buf: Buffer) {
        this.buf = buf
        this.off = 0
    }
    fail(reason: string): CborError {
        return new CborError(reason, this.off)
    }
    need(k: number): void {
        if (this.off + k > this.buf.length) throw this.fail("truncated")
    }
    u8(): number {
        this.need(1)
        return this.buf[this.off++]
    }
    u16(): number {
        this.need(2)
        const b = this.buf
        const o = this.off
        this.off += 2
        return (b[o] << 8) | b[o + 1]
    }
    u32(): number {
        this.need(4)
        const b = this.buf
        const o = this.off
        this.off += 4
        return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0
    }
    /** Argument for additional info `ai` (0..27); 28..30 are reserved (RFC 8949 3). */
    arg(ai: number): number {
        if (ai < 24) return ai
        if (ai === 24) return this.u8()
        if (ai === 25) return this.u16()
        if (ai === 26) return this.u32()
        if (ai === 27) {
            const hi = this.u32()
            return hi * TWO32 + this.u32()
        }
        throw this.fail("reserved additional information")
    }
    bytes(n: number): Buffer {
        if (n > this.buf.length - this.off) throw this.fail("truncated")
        const r = Buffer.alloc(n)
        for (let i = 0; i < n; i++) r[i] = this.buf[this.off + i]
        this.off += n
        return r
    }
}

/**
 * RFC 3629 well-formed UTF-8 (no overlongs, surrogates or code points above U+10FFFF).
 * RFC 8949 5.3.2: a text string with invalid UTF-8 is not valid CBOR, so it is refused instead
 * of being turned into U+FFFD by Buffer.toString.
 */
export function isValidUtf8(b: Buffer): boolean {
    const n = b.length
    let i = 0
    while (i < n) {
        const c = b[i]
        if (c < 0x80) {
            i++
            continue
        }
        let more = 0
        let lo = 0x80
        let hi = 0xbf
        if (c >= 0xc2 && c <= 0xdf) more = 1
        else if (c >= 0xe0 && c <= 0xef) {
            more = 2
            if (c === 0xe0) lo = 0xa0
            else if (c === 0xed) hi = 0x9f
        } else if (c >= 0xf0 && c <= 0xf4) {
            more = 3
            if (c === 0xf0) lo = 0x90
            else if (c === 0xf4) hi = 0x8f
        } else return false
        if (i + more >= n) return false
        const c1 = b[i + 1]
        if (c1 < lo || c1 > hi) return false
        for (let k = 2; k <= more; k++) {
            const ck = b[i + k]
            if (ck < 0x80 || ck > 0xbf) return false
        }
        i += more + 1
    }
    return true
}

function readText(r: Reader, b: Buffer): string {
    if (!isValidUtf8(b)) throw r.fail("invalid UTF-8 in text string")
    return b.toString("utf-8")
}

/** Reads a string whose chunks (indefinite length, RFC 8949 3.2.3) are definite strings of `major`. */
function readIndefiniteString(r: Reader, major: number): Buffer {
    const parts: Buffer[] = []
    while (true) {
        const ib = r.u8()
        if (ib === 0xff) break
        if (ib >> 5 !== major || (ib & 31) === 31) throw r.fail("bad chunk in indefinite string")
        const p = r.bytes(r.arg(ib & 31))
        // 3.2.3: text chunks start at code point boundaries, so each must be valid on its own
        if (major === 3 && !isValidUtf8(p)) throw r.fail("invalid UTF-8 in text string")
        parts.push(p)
    }
    return concatBytes(parts)
}

function readItem(r: Reader, depth: number): CborValue {
    if (depth > MAX_DEPTH) throw r.fail("nesting too deep")
    const ib = r.u8()
    const major = ib >> 5
    const ai = ib & 31
    if (major === 7) return readSimple(r, ai)
    if (ai === 31) {
        // indefinite length: strings, arrays and maps only (RFC 8949 3.2)
        if (major === 2) return readIndefiniteString(r, 2)
        if (major === 3) return readIndefiniteString(r, 3).toString("utf-8")
        if (major === 4) {
            const a: CborValue[] = []
            while (true) {
                const x = readItem(r, depth + 1)
                if (x === BREAK) return a
                a.push(x)
            }
        }
        if (major === 5) return readMap(r, depth, -1)
        throw r.fail("indefinite length on an integer or tag")
    }
    const v = r.arg(ai)
    if (major === 0) return v
    if (major === 1) return -1 - v
    if (major === 2) return r.bytes(v)
    if (major === 3) return readText(r, r.bytes(v))
    if (major === 4) {
        // every item takes at least one byte: refuse counts the input cannot hold before allocating
        if (v > r.buf.length - r.off) throw r.fail("truncated")
        const a: CborValue[] = []
        for (let i = 0; i < v; i++) a.push(readDefiniteItem(r, depth + 1))
        return a
    }
    if (major === 5) {
        if (v * 2 > r.buf.length - r.off) throw r.fail("truncated")
        return readMap(r, depth, v)
    }
    throw r.fail("tags are not supported")
}

function readDefiniteItem(r: Reader, depth: number): CborValue {
    const x = readItem(r, depth)
    if (x === BREAK) throw r.fail("unexpected break")
    return x
}

/** count < 0: indefinite (until break). Text-keyed maps become objects, others CborMap. */
function readMap(r: Reader, depth: number, count: number): CborValue {
    const keys: (number | string)[] = []
    const values: CborValue[] = []
    let allText = true
    for (let i = 0; count < 0 || i < count; i++) {
        const at = r.off
        const k = readItem(r, depth + 1)
        if (k === BREAK) {
            if (count < 0) break
            throw r.fail("unexpected break")
        }
        if (typeof k !== "string" && typeof k !== "number") throw new CborError("map key must be text or integer", at)
        if (typeof k === "number" && Math.floor(k) !== k) throw new CborError("map key must be text or integer", at)
        // "__proto__" as an object key would replace the prototype instead of adding a key
        if (typeof k !== "string" || k === "__proto__") allText = false
        for (const e of keys) if (e === k) throw new CborError("duplicate map key", at)
        keys.push(k)
        values.push(readDefiniteItem(r, depth + 1))
    }
    if (allText) {
        const o: any = {}
        for (let i = 0; i < keys.length; i++) o[keys[i]] = values[i]
        return o
    }
    const m = new CborMap()
    m.keys = keys
    m.values = values
    return m
}

function readSimple(r: Reader, ai: number): CborValue {
    if (ai === 20) return false
    if (ai === 21) return true
    if (ai === 22) return null
    if (ai === 23) return undefined
    if (ai === 25) return float16FromBits(r.u16())
    if (ai === 26) return float32FromBits(r.u32())
    if (ai === 27) {
        const hi = r.u32()
        return float64FromBits(hi, r.u32())
    }
    if (ai === 31) return BREAK
    if (ai === 24) {
        const s = r.u8()
        if (s < 32) throw r.fail("simple value below 32 in two bytes")
        throw r.fail("unsupported simple value")
    }
    if (ai > 27) throw r.fail("reserved additional information")
    throw r.fail("unsupported simple value")
}

/** Decodes exactly one CBOR item filling all of `buf`. Throws CborError on anything else. */
export function decodeCbor(buf: Buffer): CborValue {
    const r = new Reader(buf)
    const v = readDefiniteItem(r, 0)
    if (r.off !== buf.length) throw r.fail("trailing bytes")
    return v
}
