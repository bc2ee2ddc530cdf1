// The CoAP message model (RFC 7252 section 3 and 5.4, RFC 8323 section 3.2) as plain data.
// The codec (./codec) turns a CoapMessage into bytes and back; everything above the codec
// (endpoint, exchanges, resources, observe, block-wise) works only on this model.
//
// Shapes, for the layers built on top:
//   CoapMessage = { type: CoapType (0..3), code: number (class << 5 | detail),
//                   messageId: number (0..65535), token: Buffer (0..8 bytes),
//                   options: CoapOption[], payload: Buffer }
//   CoapOption  = { number: number, value: Buffer }
//   - `options` is kept SORTED by option number (stable: repeated options keep their order,
//     e.g. Uri-Path segments). Use the helpers below (setOption/addOption/...) which keep it
//     sorted; the encoder also accepts an unsorted list and sorts a copy (it never mutates).
//   - A repeatable option (Uri-Path, Uri-Query, ETag, If-Match, Location-*) appears once per value.
//   - uint options are stored as their minimal big-endian bytes (0 is the empty value, 5.3.2).
//   - payload is Buffer.alloc(0) when absent; token is Buffer.alloc(0) when absent.
//   - With RFC 8323 (TCP) framing, `type` and `messageId` are not on the wire: the TCP
//     decoder sets them to CoapType.CON / 0 and the TCP encoder ignores them.
// Option numbers and the option registry (formats, lengths, critical/unsafe bits) live in
// ./options; content-format numbers are in ContentFormat below.

import { OptionNumber } from "./options"

/** RFC 7252 3: the 2-bit message type. */
export const enum CoapType {
    CON = 0,
    NON = 1,
    ACK = 2,
    RST = 3,
}

/** One option instance; `number` is the absolute option number (the codec handles deltas). */
export interface CoapOption {
    number: number
    value: Buffer
}

export interface CoapMessage {
    type: CoapType
    /** class << 5 | detail, e.g. 2.05 Content = 0x45 = 69. See CoapCode. */
    code: number
    messageId: number
    token: Buffer
    /** Sorted by number; repeatable options repeated. */
    options: CoapOption[]
    payload: Buffer
}

/** Codes (RFC 7252 12.1, RFC 7959 2.9, RFC 8323 11.1), value = class << 5 | detail. */
export const enum CoapCode {
    Empty = 0x00, // 0.00
    GET = 0x01, // 0.01
    POST = 0x02, // 0.02
    PUT = 0x03, // 0.03
    DELETE = 0x04, // 0.04
    Created = 0x41, // 2.01
    Deleted = 0x42, // 2.02
    Valid = 0x43, // 2.03
    Changed = 0x44, // 2.04
    Content = 0x45, // 2.05
    Continue = 0x5f, // 2.31 (RFC 7959)
    BadRequest = 0x80, // 4.00
    Unauthorized = 0x81, // 4.01
    BadOption = 0x82, // 4.02
    Forbidden = 0x83, // 4.03
    NotFound = 0x84, // 4.04
    MethodNotAllowed = 0x85, // 4.05
    NotAcceptable = 0x86, // 4.06
    RequestEntityIncomplete = 0x88, // 4.08 (RFC 7959)
    PreconditionFailed = 0x8c, // 4.12
    RequestEntityTooLarge = 0x8d, // 4.13
    UnsupportedContentFormat = 0x8f, // 4.15
    InternalServerError = 0xa0, // 5.00
    NotImplemented = 0xa1, // 5.01
    BadGateway = 0xa2, // 5.02
    ServiceUnavailable = 0xa3, // 5.03
    GatewayTimeout = 0xa4, // 5.04
    ProxyingNotSupported = 0xa5, // 5.05
    CSM = 0xe1, // 7.01 (RFC 8323 signaling)
    Ping = 0xe2, // 7.02
    Pong = 0xe3, // 7.03
    Release = 0xe4, // 7.04
    Abort = 0xe5, // 7.05
}

/** Content-Format numbers (RFC 7252 12.3, RFC 8428 12.3.x) used by this project. */
export const enum ContentFormat {
    TextPlain = 0, // text/plain;charset=utf-8
    LinkFormat = 40, // application/link-format
    Xml = 41,
    OctetStream = 42,
    Exi = 47,
    Json = 50, // application/json
    Cbor = 60, // application/cbor
    SenmlJson = 110, // application/senml+json
    SenmlCbor = 112, // application/senml+cbor
}

// ---- codes ----

export function makeCode(cls: number, detail: number): number {
    return ((cls & 7) << 5) | (detail & 31)
}
export function codeClass(code: number): number {
    return (code >> 5) & 7
}
export function codeDetail(code: number): number {
    return code & 31
}
/** "2.05" style (RFC 7252 3: c.dd). */
export function codeToString(code: number): string {
    const d = codeDetail(code)
    return "" + codeClass(code) + "." + (d < 10 ? "0" : "") + d
}
/** 0.01..0.31 are requests; 0.00 is the Empty message (RFC 7252 5.8 / 4.1). */
export function isRequestCode(code: number): boolean {
    return codeClass(code) === 0 && code !== 0
}
/** 2.xx, 4.xx, 5.xx. */
export function isResponseCode(code: number): boolean {
    const c = codeClass(code)
    return c === 2 || c === 4 || c === 5
}
/** 7.xx (RFC 8323 5). */
export function isSignalingCode(code: number): boolean {
    return codeClass(code) === 7
}

// ---- construction ----

export function emptyBytes(): Buffer {
    return Buffer.alloc(0)
}

/** A message with the given header fields and no token/options/payload (fill them after). */
export function newMessage(type: CoapType, code: number, messageId: number, token?: Buffer): CoapMessage {
    return {
        type: type,
        code: code,
        messageId: messageId,
        token: token ? token : Buffer.alloc(0),
        options: [],
        payload: Buffer.alloc(0),
    }
}

// ---- options (the list stays sorted by number; insertion is stable) ----

/** First value of option `num`, or undefined. */
export function getOption(msg: CoapMessage, num: number): Buffer | undefined {
    for (const o of msg.options) if (o.number === num) return o.value
    return undefined
}

export function hasOption(msg: CoapMessage, num: number): boolean {
    return getOption(msg, num) !== undefined
}

/** All values of option `num`, in message order. */
export function getOptions(msg: CoapMessage, num: number): Buffer[] {
    const r: Buffer[] = []
    for (const o of msg.options) if (o.number === num) r.push(o.value)
    return r
}

/** Appends one more instance of `num` after any existing ones (repeatable options). */
export function addOption(msg: CoapMessage, num: number, value: Buffer): void {
    const opts = msg.options
    const o: CoapOption = { number: num, value: value }
    // push then shift down: portable (no splice in DS) and stable for equal numbers
    let i = opts.length
    opts.push(o)
    while (i > 0 && opts[i - 1].number > num) {
        opts[i] = opts[i - 1]
        i--
    }
    opts[i] = o
}

/** Removes every instance of `num`. */
export function removeOption(msg: CoapMessage, num: number): void {
    const r: CoapOption[] = []
    for (const o of msg.options) if (o.number !== num) r.push(o)
    msg.options = r
}

/** Replaces all instances of `num` by one with `value`. */
export function setOption(msg: CoapMessage, num: number, value: Buffer): void {
    removeOption(msg, num)
    addOption(msg, num, value)
}

/** RFC 7252 3.2 uint: minimal big-endian bytes, 0 is empty. Integers 0..2^32-1. */
export function encodeUint(v: number): Buffer {
    let n = 0
    let t = v
    while (t > 0) {
        n++
        t = Math.floor(t / 256)
    }
    const b = Buffer.alloc(n)
    t = v
    for (let i = n - 1; i >= 0; i--) {
        // no `%`: DeviceScript computes it on int32 (3000000000 % 256 is wrong there)
        const q = Math.floor(t / 256)
        b[i] = t - q * 256
        t = q
    }
    return b
}

/** Reads a uint option value (leading zero bytes tolerated, as 3.2 says a recipient must). */
export function decodeUint(b: Buffer): number {
    let v = 0
    for (let i = 0; i < b.length; i++) v = v * 256 + b[i]
    return v
}

/** Value of a uint option, or undefined when absent. */
export function getUintOption(msg: CoapMessage, num: number): number | undefined {
    const b = getOption(msg, num)
    return b === undefined ? undefined : decodeUint(b)
}

export function setUintOption(msg: CoapMessage, num: number, v: number): void {
    setOption(msg, num, encodeUint(v))
}

export function getStringOption(msg: CoapMessage, num: number): string | undefined {
    const b = getOption(msg, num)
    return b === undefined ? undefined : b.toString("utf-8")
}

export function setStringOption(msg: CoapMessage, num: number, s: string): void {
    setOption(msg, num, Buffer.from(s))
}

/** Every value of a repeatable string option (Uri-Path, Uri-Query, Location-*). */
export function getStringOptions(msg: CoapMessage, num: number): string[] {
    const r: string[] = []
    for (const o of msg.options) if (o.number === num) r.push(o.value.toString("utf-8"))
    return r
}

/** Replaces option `num` with one instance per string, in order. */
export function setStringOptions(msg: CoapMessage, num: number, values: string[]): void {
    removeOption(msg, num)
    for (const s of values) addOption(msg, num, Buffer.from(s))
}

/** Uri-Path segments (no percent-decoding: option values are already raw, RFC 7252 6.4). */
export function getUriPathSegments(msg: CoapMessage): string[] {
    return getStringOptions(msg, OptionNumber.UriPath)
}

/** "/a/b" from Uri-Path options; "/" when there are none (RFC 7252 6.5 step 8). */
export function getUriPath(msg: CoapMessage): string {
    return "/" + getUriPathSegments(msg).join("/")
}

/** Splits "/a/b" (leading "/" optional, "/" alone = no segments) into Uri-Path options. */
export function setUriPath(msg: CoapMessage, path: string): void {
    setStringOptions(msg, OptionNumber.UriPath, splitPath(path))
}

/** "a/b" or "/a/b" -> ["a","b"]; "" and "/" -> []. A trailing "/" gives a final empty segment. */
export function splitPath(path: string): string[] {
    let p = path
    if (p.length > 0 && p.charAt(0) === "/") p = p.slice(1)
    if (p.length === 0) return []
    return p.split("/")
}

/** Uri-Query options, each "k=v" or "k". */
export function getUriQuery(msg: CoapMessage): string[] {
    return getStringOptions(msg, OptionNumber.UriQuery)
}

export function setUriQuery(msg: CoapMessage, query: string[]): void {
    setStringOptions(msg, OptionNumber.UriQuery, query)
}

/** Location-Path as "/a/b" (RFC 7252 5.10.7). */
export function getLocationPath(msg: CoapMessage): string {
    return "/" + getStringOptions(msg, OptionNumber.LocationPath).join("/")
}

export function setLocationPath(msg: CoapMessage, path: string): void {
    setStringOptions(msg, OptionNumber.LocationPath, splitPath(path))
}

/** Content-Format, or undefined when absent. */
export function getContentFormat(msg: CoapMessage): number | undefined {
    return getUintOption(msg, OptionNumber.ContentFormat)
}

export function setContentFormat(msg: CoapMessage, cf: number): void {
    setUintOption(msg, OptionNumber.ContentFormat, cf)
}

/** A stably sorted copy of an option list (insertion sort: lists are short, sort() differs in DS). */
export function sortedOptions(options: CoapOption[]): CoapOption[] {
    const m = newMessage(CoapType.CON, 0, 0)
    for (const o of options) addOption(m, o.number, o.value)
    return m.options
}
