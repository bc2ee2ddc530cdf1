// CoAP wire codec: RFC 7252 section 3 (datagram header) and RFC 8323 section 3.2 (TCP/TLS
// framing). Both framings share the same option and payload code below; only the first bytes
// differ. Pure functions over CoapMessage (./message); no state, no I/O.

import { CoapMessage, CoapOption, CoapType, sortedOptions } from "./message"
import { sliceBytes, u16be, u32be, putU16be, putU32be } from "../../util/bytes"

/** Why a message could not be decoded (or encoded). */
export const enum CoapErrorKind {
    /** Fewer bytes than the header, token, an option or an extension needs. */
    Truncated = 1,
    /** Version field is not 1: RFC 7252 3 says SILENTLY IGNORE (no RST). */
    BadVersion = 2,
    /** TKL 9..15 (RFC 7252 3). */
    BadTokenLength = 3,
    /** Option delta or length nibble 15 that is not the payload marker (RFC 7252 3.1). */
    ReservedNibble = 4,
    /** Payload marker followed by zero bytes (RFC 7252 3). */
    EmptyPayload = 5,
    /** Code 0.00 with a token, options or payload (RFC 7252 4.1). */
    EmptyNotEmpty = 6,
    /** Option number above 65535 after adding deltas. */
    OptionNumberOverflow = 7,
    /** TCP frame longer/shorter than its Len field says, or over the reader's limit (RFC 8323 3.2). */
    BadFrameLength = 8,
    /** Encoder input out of range (token > 8 bytes, option value too long, bad field). */
    BadField = 9,
}

/**
 * A message that is not well-formed CoAP (RFC 7252 3, 4.1; RFC 8323 3.2). When the 4-byte
 * datagram header was readable, `type`/`messageId`/`code` are set so the endpoint can
 * reject a malformed CON with a matching RST (RFC 7252 4.2; 4.3 allows it for NON); they are
 * -1 otherwise (and always for TCP framing, which has no type/message id; there the endpoint
 * answers with Abort 7.05, RFC 8323 5.6).
 */
export class CoapFormatError extends Error {
    kind: CoapErrorKind
    type: number
    messageId: number
    code: number
    constructor(reason: string, kind: CoapErrorKind, type: number, messageId: number, code: number) {
        super(reason)
        this.name = "CoapFormatError"
        this.kind = kind
        this.type = type
        this.messageId = messageId
        this.code = code
    }
}

/**
 * RFC 7252 4.2/4.3: a malformed message whose header was readable may be rejected with RST
 * echoing its Message ID; a wrong version must be silently ignored instead (section 3).
 */
export function canRejectWithReset(e: CoapFormatError): boolean {
    return e.messageId >= 0 && e.kind !== CoapErrorKind.BadVersion && e.type !== CoapType.ACK && e.type !== CoapType.RST
}

/** Context of the message being decoded, to put into errors. */
interface Ctx {
    type: number
    messageId: number
    code: number
}

function fail(ctx: Ctx, kind: CoapErrorKind, reason: string): CoapFormatError {
    return new CoapFormatError(reason, kind, ctx.type, ctx.messageId, ctx.code)
}

const NO_CTX: Ctx = { type: -1, messageId: -1, code: -1 }

// ---- shared: options and payload (RFC 7252 3.1; identical in RFC 8323 3.2) ----

const MAX_OPTION_NUMBER = 65535
/** 14-nibble extension covers up to 65535 + 269. */
const MAX_EXT = 65535 + 269

/** Extra bytes an option delta/length value needs: 0 (<13), 1 (<269), 2. */
function extSize(v: number): number {
    return v < 13 ? 0 : v < 269 ? 1 : 2
}

function nibble(v: number): number {
    return v < 13 ? v : v < 269 ? 13 : 14
}

/**
 * The options in wire order: the list itself when already sorted (the message helpers keep it so,
 * and encoding runs per message), else a stably sorted copy; the caller's list is never changed.
 */
function wireOptions(options: CoapOption[]): CoapOption[] {
    if (!options) return []
    for (let i = 1; i < options.length; i++) if (options[i - 1].number > options[i].number) return sortedOptions(options)
    return options
}

/** Bytes for options + (payload marker + payload when the payload is non-empty). */
function bodySize(options: CoapOption[], payload: Buffer): number {
    let n = 0
    let prev = 0
    for (const o of options) {
        const num = o.number
        const len = o.value.length
        if (!(num >= 0 && num <= MAX_OPTION_NUMBER) || Math.floor(num) !== num)
            throw fail(NO_CTX, CoapErrorKind.BadField, "option number out of range")
        if (len > MAX_EXT) throw fail(NO_CTX, CoapErrorKind.BadField, "option value too long")
        const delta = num - prev
        n += 1 + extSize(delta) + extSize(len) + len
        prev = num
    }
    if (payload.length > 0) n += 1 + payload.length
    return n
}

function writeExt(buf: Buffer, off: number, v: number): number {
    if (v < 13) return off
    if (v < 269) {
        buf[off] = v - 13
        return off + 1
    }
    putU16be(buf, off, v - 269)
    return off + 2
}

/** Writes options and payload at `off`; returns the offset after them. */
function writeBody(buf: Buffer, off: number, options: CoapOption[], payload: Buffer): number {
    let prev = 0
    for (const o of options) {
        const delta = o.number - prev
        const len = o.value.length
        buf[off++] = (nibble(delta) << 4) | nibble(len)
        off = writeExt(buf, off, delta)
        off = writeExt(buf, off, len)
        buf.set(o.value, off)
        off += len
        prev = o.number
    }
    if (payload.length > 0) {
        buf[off++] = 0xff
        buf.set(payload, off)
        off += payload.length
    }
    return off
}

/** Reads a 13/14 extension for nibble `nb` at `off`; returns [value, newOffset]. */
function readExt(buf: Buffer, off: number, end: number, nb: number, ctx: Ctx): number[] {
    if (nb < 13) return [nb, off]
    if (nb === 13) {
        if (off + 1 > end) throw fail(ctx, CoapErrorKind.Truncated, "truncated option extension")
        return [buf[off] + 13, off + 1]
    }
    if (nb === 14) {
        if (off + 2 > end) throw fail(ctx, CoapErrorKind.Truncated, "truncated option extension")
        return [u16be(buf, off) + 269, off + 2]
    }
    throw fail(ctx, CoapErrorKind.ReservedNibble, "reserved option nibble 15")
}

/** Parses options and payload in buf[off..end) into msg (RFC 7252 3.1). */
function readBody(buf: Buffer, off: number, end: number, msg: CoapMessage, ctx: Ctx): void {
    let num = 0
    while (off < end) {
        const b = buf[off++]
        if (b === 0xff) {
            // payload marker: "the presence of a marker followed by a zero-length payload
            // MUST be processed as a message format error" (RFC 7252 3)
            if (off >= end) throw fail(ctx, CoapErrorKind.EmptyPayload, "payload marker with empty payload")
            msg.payload = sliceBytes(buf, off, end)
            return
        }
        const dn = b >> 4
        const ln = b & 15
        if (dn === 15 || ln === 15) throw fail(ctx, CoapErrorKind.ReservedNibble, "reserved option nibble 15")
        const d = readExt(buf, off, end, dn, ctx)
        const l = readExt(buf, d[1], end, ln, ctx)
        off = l[1]
        num += d[0]
        if (num > MAX_OPTION_NUMBER) throw fail(ctx, CoapErrorKind.OptionNumberOverflow, "option number above 65535")
        const len = l[0]
        if (off + len > end) throw fail(ctx, CoapErrorKind.Truncated, "truncated option value")
        msg.options.push({ number: num, value: sliceBytes(buf, off, off + len) })
        off += len
    }
}

function checkToken(token: Buffer): void {
    if (token.length > 8) throw fail(NO_CTX, CoapErrorKind.BadField, "token longer than 8 bytes")
}

function checkByte(v: number, max: number, what: string): void {
    if (!(v >= 0 && v <= max) || Math.floor(v) !== v) throw fail(NO_CTX, CoapErrorKind.BadField, what + " out of range")
}

// ---- RFC 7252 section 3: datagram (UDP) messages ----

/** Encodes a message for UDP (RFC 7252 3). One allocation; throws CoapFormatError(BadField). */
export function encodeMessage(msg: CoapMessage): Buffer {
    const token = msg.token ? msg.token : Buffer.alloc(0)
    const payload = msg.payload ? msg.payload : Buffer.alloc(0)
    checkToken(token)
    checkByte(msg.type, 3, "type")
    checkByte(msg.code, 255, "code")
    checkByte(msg.messageId, 65535, "message id")
    const options = wireOptions(msg.options)
    const buf = Buffer.alloc(4 + token.length + bodySize(options, payload))
    buf[0] = 0x40 | (msg.type << 4) | token.length
    buf[1] = msg.code
    putU16be(buf, 2, msg.messageId)
    buf.set(token, 4)
    writeBody(buf, 4 + token.length, options, payload)
    return buf
}

/** Decodes one datagram (RFC 7252 3, 4.1). Throws CoapFormatError on anything malformed. */
export function decodeMessage(buf: Buffer): CoapMessage {
    if (buf.length < 4) throw fail(NO_CTX, CoapErrorKind.Truncated, "shorter than the 4-byte header")
    const b0 = buf[0]
    const ctx: Ctx = { type: (b0 >> 4) & 3, messageId: u16be(buf, 2), code: buf[1] }
    if (b0 >> 6 !== 1) throw fail(ctx, CoapErrorKind.BadVersion, "unknown version")
    const tkl = b0 & 15
    if (tkl > 8) throw fail(ctx, CoapErrorKind.BadTokenLength, "token length 9-15 is reserved")
    // 4.1: an Empty message has TKL 0 and nothing after the Message ID
    if (ctx.code === 0 && buf.length !== 4) throw fail(ctx, CoapErrorKind.EmptyNotEmpty, "empty message with content")
    if (4 + tkl > buf.length) throw fail(ctx, CoapErrorKind.Truncated, "truncated token")
    const msg: CoapMessage = {
        type: ctx.type,
        code: ctx.code,
        messageId: ctx.messageId,
        token: sliceBytes(buf, 4, 4 + tkl),
        options: [],
        payload: Buffer.alloc(0),
    }
    readBody(buf, 4 + tkl, buf.length, msg, ctx)
    return msg
}

// ---- RFC 8323 section 3.2: reliable-transport (TCP/TLS/WebSocket-less) framing ----
//   Len(4) TKL(4) | Extended Length (0/1/2/4) | Code | Token | Options | 0xFF Payload
// Len counts the bytes from the first option byte to the end of the payload.

/** Encodes a message in RFC 8323 framing; `type` and `messageId` are not sent. */
export function encodeTcpMessage(msg: CoapMessage): Buffer {
    const token = msg.token ? msg.token : Buffer.alloc(0)
    const payload = msg.payload ? msg.payload : Buffer.alloc(0)
    checkToken(token)
    checkByte(msg.code, 255, "code")
    const options = wireOptions(msg.options)
    const len = bodySize(options, payload)
    // Len nibble 0..12, or 13/14 with a 1/2-byte extension as for options, or 15 with 4 bytes
    const big = len >= 65805
    const ext = big ? 4 : extSize(len)
    const buf = Buffer.alloc(2 + ext + token.length + len)
    buf[0] = ((big ? 15 : nibble(len)) << 4) | token.length
    if (big) putU32be(buf, 1, len - 65805)
    else writeExt(buf, 1, len)
    buf[1 + ext] = msg.code
    buf.set(token, 2 + ext)
    writeBody(buf, 2 + ext + token.length, options, payload)
    return buf
}

/** Bytes of Extended Length after the first byte for the Len nibble `ln` (RFC 8323 3.2). */
function tcpExtSize(ln: number): number {
    return ln < 13 ? 0 : ln === 13 ? 1 : ln === 14 ? 2 : 4
}

/**
 * Total size of the frame starting at buf[off], or -1 when more bytes are needed to know it.
 * Throws CoapFormatError for TKL 9-15 (the framing cannot be trusted after that).
 */
export function tcpFrameLength(buf: Buffer, off: number): number {
    const avail = buf.length - off
    if (avail < 1) return -1
    const b0 = buf[off]
    const ln = b0 >> 4
    const tkl = b0 & 15
    if (tkl > 8) throw fail(NO_CTX, CoapErrorKind.BadTokenLength, "token length 9-15 is reserved")
    const ext = tcpExtSize(ln)
    if (avail < 1 + ext) return -1
    let len = ln
    if (ext === 1) len = buf[off + 1] + 13
    else if (ext === 2) len = u16be(buf, off + 1) + 269
    else if (ext === 4) len = u32be(buf, off + 1) + 65805
    return 2 + ext + tkl + len
}

/** Decodes exactly one RFC 8323 frame; type is reported as CON and messageId as 0. */
export function decodeTcpMessage(buf: Buffer): CoapMessage {
    const total = tcpFrameLength(buf, 0)
    if (total < 0) throw fail(NO_CTX, CoapErrorKind.Truncated, "truncated frame header")
    if (total !== buf.length) throw fail(NO_CTX, CoapErrorKind.BadFrameLength, "frame length does not match Len")
    const tkl = buf[0] & 15
    const ext = tcpExtSize(buf[0] >> 4)
    const code = buf[1 + ext]
    const ctx: Ctx = { type: -1, messageId: -1, code: code }
    const tokStart = 2 + ext
    const msg: CoapMessage = {
        type: CoapType.CON,
        code: code,
        messageId: 0,
        token: sliceBytes(buf, tokStart, tokStart + tkl),
        options: [],
        payload: Buffer.alloc(0),
    }
    readBody(buf, tokStart + tkl, buf.length, msg, ctx)
    return msg
}

/**
 * Splits a TCP byte stream into RFC 8323 frames, whatever the chunking. Received chunks are
 * kept as they are and each frame is copied out once (no re-copying of pending bytes per
 * push, which would be quadratic and trip DeviceScript's watchdog). Memory is bounded by
 * `maxFrameSize`: a bigger frame throws BadFrameLength as soon as its header is readable, and
 * the connection must then be aborted (RFC 8323 5.6): the stream cannot be resynchronised.
 */
export class CoapTcpFrameReader {
    private chunks: Buffer[]
    /** Offset of the first unread byte in chunks[0]. */
    private first: number
    private total: number
    maxFrameSize: number

    constructor(maxFrameSize: number) {
        this.chunks = []
        this.first = 0
        this.total = 0
        this.maxFrameSize = maxFrameSize
    }

    /** Appends received bytes (the chunk is kept, not copied: do not modify it afterwards). */
    push(chunk: Buffer): void {
        if (chunk.length === 0) return
        this.chunks.push(chunk)
        this.total += chunk.length
    }

    /** Bytes received but not yet returned as a frame. */
    pending(): number {
        return this.total
    }

    /** Copies the next n pending bytes into a new buffer; consumes them when `consume`. */
    private take(n: number, consume: boolean): Buffer {
        const out = Buffer.alloc(n)
        let ci = 0
        let off = this.first
        let o = 0
        while (o < n) {
            const c = this.chunks[ci]
            const k = c.length - off < n - o ? c.length - off : n - o
            if (off === 0 && k === c.length) out.set(c, o)
            else for (let i = 0; i < k; i++) out[o + i] = c[off + i]
            o += k
            off += k
            if (off === c.length) {
                ci++
                off = 0
            }
        }
        if (consume) {
            for (let i = 0; i < ci; i++) this.chunks.shift()
            this.first = off
            this.total -= n
        }
        return out
    }

    /** The next complete frame's bytes, or undefined when more bytes are needed. */
    nextFrame(): Buffer | undefined {
        if (this.total === 0) return undefined
        // usually the whole header is in the first chunk; copy it out only when it spans chunks
        let size = tcpFrameLength(this.chunks[0], this.first)
        if (size < 0 && this.chunks.length > 1) {
            // the longest header before the length is known: 1 byte + 4-byte extension
            size = tcpFrameLength(this.take(this.total < 5 ? this.total : 5, false), 0)
        }
        if (size < 0) return undefined
        if (size > this.maxFrameSize) throw fail(NO_CTX, CoapErrorKind.BadFrameLength, "frame larger than the limit")
        if (this.total < size) return undefined
        return this.take(size, true)
    }

    /** The next complete decoded message, or undefined when more bytes are needed. */
    nextMessage(): CoapMessage | undefined {
        const f = this.nextFrame()
        return f === undefined ? undefined : decodeTcpMessage(f)
    }
}
