// The CoAP option registry as data (RFC 7252 5.10 table 4, RFC 7641 2, RFC 7959 2.1/4,
// RFC 7967 2, RFC 8323 5.3-5.6 for signaling), plus the rules that only need the registry:
// critical/unsafe/no-cache-key from the number bits (RFC 7252 5.4.6), recognition and
// the "first unrecognised critical option" check (5.4.1, 5.4.3, 5.4.5), and Block values.
// One table row per option; no per-option branches anywhere.

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

function def(
    number: number,
    name: string,
    format: OptionFormat,
    minLength: number,
    maxLength: number,
    repeatable: boolean
): OptionDef {
    return { number: number, name: name, format: format, minLength: minLength, maxLength: maxLength, repeatable: repeatable }
}

/** Registered options for requests/responses (codes 0.xx-5.xx), sorted by number. */
export const OPTION_REGISTRY: OptionDef[] = [
    def(1, "If-Match", OptionFormat.Opaque, 0, 8, true), // 7252 5.10.8.1
    def(3, "Uri-Host", OptionFormat.String, 1, 255, false), // 7252 5.10.1
    def(4, "ETag", OptionFormat.Opaque, 1, 8, true), // 7252 5.10.6 (repeatable in requests)
    def(5, "If-None-Match", OptionFormat.Empty, 0, 0, false), // 7252 5.10.8.2
    def(6, "Observe", OptionFormat.Uint, 0, 3, false), // 7641 2
    def(7, "Uri-Port", OptionFormat.Uint, 0, 2, false), // 7252 5.10.1
    def(8, "Location-Path", OptionFormat.String, 0, 255, true), // 7252 5.10.7
    def(11, "Uri-Path", OptionFormat.String, 0, 255, true), // 7252 5.10.1
    def(12, "Content-Format", OptionFormat.Uint, 0, 2, false), // 7252 5.10.3
    def(14, "Max-Age", OptionFormat.Uint, 0, 4, false), // 7252 5.10.5
    def(15, "Uri-Query", OptionFormat.String, 0, 255, true), // 7252 5.10.1
    def(17, "Accept", OptionFormat.Uint, 0, 2, false), // 7252 5.10.4
    def(20, "Location-Query", OptionFormat.String, 0, 255, true), // 7252 5.10.7
    def(23, "Block2", OptionFormat.Uint, 0, 3, false), // 7959 2.1
    def(27, "Block1", OptionFormat.Uint, 0, 3, false), // 7959 2.1
    def(28, "Size2", OptionFormat.Uint, 0, 4, false), // 7959 4
    def(35, "Proxy-Uri", OptionFormat.String, 1, 1034, false), // 7252 5.10.2
    def(39, "Proxy-Scheme", OptionFormat.String, 1, 255, false), // 7252 5.10.2
    def(60, "Size1", OptionFormat.Uint, 0, 4, false), // 7252 5.10.9
    def(258, "No-Response", OptionFormat.Uint, 0, 1, false), // 7967 2
]

/** RFC 8323 signaling options, keyed by their 7.xx code. */
export interface SignalingOptionDef extends OptionDef {
    code: number
}

function sdef(code: number, d: OptionDef): SignalingOptionDef {
    return {
        code: code,
        number: d.number,
        name: d.name,
        format: d.format,
        minLength: d.minLength,
        maxLength: d.maxLength,
        repeatable: d.repeatable,
    }
}

export const SIGNALING_OPTION_REGISTRY: SignalingOptionDef[] = [
    sdef(0xe1, def(2, "Max-Message-Size", OptionFormat.Uint, 0, 4, false)), // 8323 5.3.1
    sdef(0xe1, def(4, "Block-Wise-Transfer", OptionFormat.Empty, 0, 0, false)), // 8323 5.3.2
    sdef(0xe2, def(2, "Custody", OptionFormat.Empty, 0, 0, false)), // 8323 5.4
    sdef(0xe3, def(2, "Custody", OptionFormat.Empty, 0, 0, false)), // 8323 5.4
    sdef(0xe4, def(2, "Alternative-Address", OptionFormat.String, 1, 255, true)), // 8323 5.5
    sdef(0xe4, def(4, "Hold-Off", OptionFormat.Uint, 0, 3, false)), // 8323 5.5
    sdef(0xe5, def(2, "Bad-CSM-Option", OptionFormat.Uint, 0, 2, false)), // 8323 5.6
]

/** Registry entry for a request/response option number, or undefined. */
export function findOptionDef(num: number): OptionDef {
    for (const d of OPTION_REGISTRY) if (d.number === num) return d
    return undefined
}

/** Registry entry for an option of a 7.xx signaling message, or undefined. */
export function findSignalingOptionDef(code: number, num: number): OptionDef {
    for (const d of SIGNALING_OPTION_REGISTRY) if (d.code === code && d.number === num) return d
    return undefined
}

/** Option definition for a message with this code (signaling options depend on the code). */
export function optionDefFor(code: number, num: number): OptionDef {
    return (code >> 5) === 7 ? findSignalingOptionDef(code, num) : findOptionDef(num)
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
    const d = optionDefFor(code, opt.number)
    if (d === undefined) return false
    const n = opt.value.length
    if (n < d.minLength || n > d.maxLength) return false
    if (occurrence > 0 && !d.repeatable) return false
    return true
}

/**
 * RFC 7252 5.4.1: the number of the first unrecognised CRITICAL option (so a request gets 4.02
 * Bad Option and a response is rejected; for CSM, RFC 8323 5.3 says Abort), or -1 when the
 * message can be processed. Unrecognised elective options are silently ignored.
 * `options` must be sorted by number (as decoded).
 */
export function firstBadCriticalOption(code: number, options: CoapOption[]): number {
    let prev = -1
    let occ = 0
    for (const o of options) {
        occ = o.number === prev ? occ + 1 : 0
        prev = o.number
        if (isCritical(o.number) && !isRecognisedOption(code, o, occ)) return o.number
    }
    return -1
}

/** The options a handler should see: unrecognised elective ones removed (5.4.1, 5.4.3). */
export function recognisedOptions(code: number, options: CoapOption[]): CoapOption[] {
    const r: CoapOption[] = []
    let prev = -1
    let occ = 0
    for (const o of options) {
        occ = o.number === prev ? occ + 1 : 0
        prev = o.number
        if (isRecognisedOption(code, o, occ)) r.push(o)
    }
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
