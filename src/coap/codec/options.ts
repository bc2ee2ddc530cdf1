// The CoAP option registry as data (RFC 7252 5.10 table 4, RFC 7641 2, RFC 7959 2.1/4,
// RFC 7967 2, RFC 8323 5.3-5.6 for signaling), plus the rules that only need the registry:
// critical/unsafe/no-cache-key from the number bits (RFC 7252 5.4.6), recognition and
// the "first unrecognised critical option" check (5.4.1, 5.4.3, 5.4.5), and Block values.
// One table row per option (bytes in a hex string); no per-option branches anywhere.

import type { CoapOption } from "./message"

export const enum OptionNumber {
    IfMatch = 1,
    UriHost = 3,
    ETag = 4,
    IfNoneMatch = 5,
    Observe = 6,
    UriPort = 7,
    LocationPath = 8,
    UriPath = 11,
    ContentFormat = 12,
    MaxAge = 14,
    UriQuery = 15,
    Accept = 17,
    LocationQuery = 20,
    Block2 = 23,
    Block1 = 27,
    Size2 = 28,
    ProxyUri = 35,
    ProxyScheme = 39,
    Size1 = 60,
    NoResponse = 258,
}

/** RFC 8323 5.3-5.6: signaling option numbers, meaningful only with their 7.xx code. */
export const enum SignalingOption {
    MaxMessageSize = 2, // 7.01 CSM
    BlockWiseTransfer = 4, // 7.01 CSM
    Custody = 2, // 7.02 Ping, 7.03 Pong
    AlternativeAddress = 2, // 7.04 Release
    HoldOff = 4, // 7.04 Release
    BadCsmOption = 2, // 7.05 Abort
}

/** RFC 7252 3.2 option value formats. */
export const enum OptionFormat {
    Empty = 0,
    Opaque = 1,
    Uint = 2,
    String = 3,
}

export interface OptionDef {
    number: number
    name: string
    format: OptionFormat
    minLength: number
    maxLength: number
    repeatable: boolean
}

/** RFC 8323 signaling options, keyed by their 7.xx code. */
export interface SignalingOptionDef extends OptionDef {
    code: number
}

// The registry as data: one 7-byte row per option, in hex, because a table of objects is built by
// code at start-up and costs board bytecode, strings do not. A row is
//   code (00 = request/response option, else the 7.xx signaling code it belongs to),
//   number (2 bytes), min length, max length (2 bytes), flags (OptionFormat | 4 when repeatable);
// e.g. "00 0001 00 0008 05": If-Match, 0..8 bytes, opaque, repeatable.
// Request/response options are sorted by number; OPTION_NAMES has the names in the same order.
const ROW = 7
const OPTION_TABLE = Buffer.from(
    "00000100000805" + // If-Match (7252 5.10.8.1)
        "0000030100ff03" + // Uri-Host (7252 5.10.1)
        "00000401000805" + // ETag (7252 5.10.6; repeatable in requests)
        "00000500000000" + // If-None-Match (7252 5.10.8.2)
        "00000600000302" + // Observe (7641 2)
        "00000700000202" + // Uri-Port (7252 5.10.1)
        "0000080000ff07" + // Location-Path (7252 5.10.7)
        "00000b0000ff07" + // Uri-Path (7252 5.10.1)
        "00000c00000202" + // Content-Format (7252 5.10.3)
        "00000e00000402" + // Max-Age (7252 5.10.5)
        "00000f0000ff07" + // Uri-Query (7252 5.10.1)
        "00001100000202" + // Accept (7252 5.10.4)
        "0000140000ff07" + // Location-Query (7252 5.10.7)
        "00001700000302" + // Block2 (7959 2.1)
        "00001b00000302" + // Block1 (7959 2.1)
        "00001c00000402" + // Size2 (7959 4)
        "00002301040a03" + // Proxy-Uri (7252 5.10.2)
        "0000270100ff03" + // Proxy-Scheme (7252 5.10.2)
        "00003c00000402" + // Size1 (7252 5.10.9)
        "00010200000102" + // No-Response (7967 2)
        "e1000200000402" + // 7.01 CSM Max-Message-Size (8323 5.3.1)
        "e1000400000000" + // 7.01 CSM Block-Wise-Transfer (8323 5.3.2)
        "e2000200000000" + // 7.02 Ping Custody (8323 5.4)
        "e3000200000000" + // 7.03 Pong Custody (8323 5.4)
        "e400020100ff07" + // 7.04 Release Alternative-Address (8323 5.5)
        "e4000400000302" + // 7.04 Release Hold-Off (8323 5.5)
        "e5000200000202", // 7.05 Abort Bad-CSM-Option (8323 5.6)
    "hex"
)
const OPTION_NAMES =
    "If-Match,Uri-Host,ETag,If-None-Match,Observe,Uri-Port,Location-Path,Uri-Path,Content-Format,Max-Age," +
    "Uri-Query,Accept,Location-Query,Block2,Block1,Size2,Proxy-Uri,Proxy-Scheme,Size1,No-Response," +
    "Max-Message-Size,Block-Wise-Transfer,Custody,Custody,Alternative-Address,Hold-Off,Bad-CSM-Option"

/**
 * Offset of the table row for option `num` in a message with `code` (signaling options depend on
 * their 7.xx code, RFC 8323 5), or -1 when the option is not registered.
 */
function optionRow(code: number, num: number): number {
    const c = code >> 5 === 7 ? code : 0
    const t = OPTION_TABLE
    for (let r = 0; r < t.length; r += ROW) if (t[r] === c && ((t[r + 1] << 8) | t[r + 2]) === num) return r
    return -1
}

/** The i-th name of OPTION_NAMES (no split(): DeviceScript's runs in bytecode, char by char). */
function nthName(i: number): string {
    let s = 0
    for (let k = 0; k < i; k++) s = OPTION_NAMES.indexOf(",", s) + 1
    const e = OPTION_NAMES.indexOf(",", s)
    return OPTION_NAMES.slice(s, e < 0 ? OPTION_NAMES.length : e)
}

function rowDef(r: number): SignalingOptionDef | undefined {
    if (r < 0) return undefined
    const t = OPTION_TABLE
    return {
        code: t[r],
        number: (t[r + 1] << 8) | t[r + 2],
        name: nthName(r / ROW),
        format: t[r + 6] & 3,
        minLength: t[r + 3],
        maxLength: (t[r + 4] << 8) | t[r + 5],
        repeatable: (t[r + 6] & 4) !== 0,
    }
}

/** Registered options for requests/responses (codes 0.xx-5.xx), sorted by number. */
export function optionRegistry(): OptionDef[] {
    const r: OptionDef[] = []
    for (let i = 0; i < OPTION_TABLE.length; i += ROW) if (OPTION_TABLE[i] === 0) r.push(rowDef(i) as OptionDef) // i is a row
    return r
}

/** Registry entry for a request/response option number, or undefined. */
export function findOptionDef(num: number): OptionDef | undefined {
    return rowDef(optionRow(0, num))
}

/** Registry entry for an option of a 7.xx signaling message, or undefined. */
export function findSignalingOptionDef(code: number, num: number): SignalingOptionDef | undefined {
    return rowDef(optionRow(code, num))
}

/** Option definition for a message with this code (signaling options depend on the code). */
export function optionDefFor(code: number, num: number): OptionDef | undefined {
    return rowDef(optionRow(code, num))
}

export function optionName(num: number): string {
    const d = findOptionDef(num)
    return d ? d.name : "Option" + num
}

// RFC 7252 5.4.6: the properties are encoded in the number itself.
export function isCritical(num: number): boolean {
    return (num & 1) !== 0
}
export function isUnsafe(num: number): boolean {
    return (num & 2) !== 0
}
export function isNoCacheKey(num: number): boolean {
    return (num & 0x1e) === 0x1c
}

/**
 * RFC 7252 5.4.3/5.4.5: an option is "recognised" when registered, its length is in range, and
 * it is not a supernumerary occurrence of a non-repeatable option. `occurrence` is 0 for the
 * first instance of this number in the message.
 */
export function isRecognisedOption(code: number, opt: CoapOption, occurrence: number): boolean {
    const r = optionRow(code, opt.number)
    if (r < 0) return false
    const t = OPTION_TABLE
    const n = opt.value.length
    return n >= t[r + 3] && n <= ((t[r + 4] << 8) | t[r + 5]) && (occurrence === 0 || (t[r + 6] & 4) !== 0)
}

/**
 * One pass over a message's options (sorted by number, as decoded): returns the number of the
 * first unrecognised CRITICAL option (RFC 7252 5.4.1: a request gets 4.02 Bad Option, a response is
 * rejected; for CSM, RFC 8323 5.3 says Abort), or -1 when the message can be processed; and when
 * `keep` is given, appends every recognised option to it (unrecognised elective ones are silently
 * ignored, 5.4.1 / 5.4.3).
 */
export function scanOptions(code: number, options: CoapOption[], keep: CoapOption[] | undefined): number {
    let bad = -1
    let prev = -1
    let occ = 0
    for (const o of options) {
        occ = o.number === prev ? occ + 1 : 0
        prev = o.number
        if (isRecognisedOption(code, o, occ)) {
            if (keep !== undefined) keep.push(o)
        } else if (bad < 0 && isCritical(o.number)) {
            if (keep === undefined) return o.number
            bad = o.number
        }
    }
    return bad
}

/** The first unrecognised critical option's number, or -1 (see scanOptions). */
export function firstBadCriticalOption(code: number, options: CoapOption[]): number {
    return scanOptions(code, options, undefined)
}

/** The options a handler should see: unrecognised elective ones removed (5.4.1, 5.4.3). */
export function recognisedOptions(code: number, options: CoapOption[]): CoapOption[] {
    const r: CoapOption[] = []
    scanOptions(code, options, r)
    return r
}

// ---- Block1/Block2 values (RFC 7959 2.2) ----

export interface BlockValue {
    /** Block number, 0..2^20-1. */
    num: number
    /** M bit: more blocks follow. */
    more: boolean
    /** Size exponent 0..7; size = 2^(szx+4). 7 is reserved (BERT in RFC 8323 6). */
    szx: number
}

/** szx 0..6 -> 16..1024 bytes. szx 7 is reserved in RFC 7959 (BERT, RFC 8323): returns 1024. */
export function szxToSize(szx: number): number {
    return 1 << ((szx < 7 ? szx : 6) + 4)
}

/** Largest szx whose size <= `size` (clamped to 0..6), e.g. 1024 -> 6, 100 -> 2 (64). */
export function sizeToSzx(size: number): number {
    let szx = 0
    while (szx < 6 && 1 << (szx + 5) <= size) szx++
    return szx
}

/** Block option uint value -> fields. */
export function decodeBlock(v: number): BlockValue {
    return { num: Math.floor(v / 16), more: (v & 8) !== 0, szx: v & 7 }
}

/** Fields -> Block option uint value (NUM << 4 | M << 3 | SZX), num < 2^20. */
export function encodeBlock(b: BlockValue): number {
    return b.num * 16 + (b.more ? 8 : 0) + (b.szx & 7)
}

/** True when szx is 7, which RFC 7959 2.2 reserves (a 4.00 for non-BERT endpoints). */
export function isReservedSzx(szx: number): boolean {
    return szx === 7
}

/** Byte offset of a block: num * size. */
export function blockOffset(b: BlockValue): number {
    return b.num * szxToSize(b.szx)
}
