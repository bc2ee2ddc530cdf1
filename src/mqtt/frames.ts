// Splits a TCP byte stream into MQTT packets (2.2 fixed header + 2.2.3 Remaining Length).
//
// Chunks are kept as they arrive (a queue plus a read offset into the first one), so a chunk
// holding many packets is decoded in place with no copy of the tail per packet. Only a packet
// that straddles chunks is gathered, once, into a buffer of exactly its body size.
// A packet larger than maxPacketSize is refused as soon as its header is seen, before any of
// its body is buffered. Header errors poison the assembler (the stream cannot be re-synced);
// a body that fails to decode has already been consumed, and the error is thrown.

import { MqttProtocolError } from "./errors"
import { Packet } from "./packets"
import { checkFixedHeader, decodeFromServer, PacketDecoder } from "./decode"
import { copyInto } from "./native-bytes"

/** 2.2.3: the largest frame a 4-byte Remaining Length allows (header included). */
export const MAX_FRAME_SIZE = 268435455 + 5

export class FrameAssembler {
    private chunks: Buffer[]
    /** Read offset into chunks[0]. */
    private pos: number
    /** Unread bytes over all chunks. */
    private avail: number
    private maxPacketSize: number
    private decode: PacketDecoder
    private failure: MqttProtocolError

    /**
     * maxPacketSize counts the whole frame, fixed header included (default: the protocol's limit).
     * decoder defaults to the client role (decodeFromServer); pass decodePacket to accept all
     * 14 types (server role, tests, fuzzers).
     */
    constructor(maxPacketSize?: number, decoder?: PacketDecoder) {
        this.maxPacketSize = maxPacketSize === undefined ? MAX_FRAME_SIZE : maxPacketSize
        this.decode = decoder === undefined ? decodeFromServer : decoder
        this.reset()
    }

    /** Forgets buffered bytes and any earlier failure (e.g. on a new connection). */
    reset(): void {
        this.chunks = []
        this.pos = 0
        this.avail = 0
        this.failure = undefined
    }

    /** Bytes received but not yet returned as packets. */
    buffered(): number {
        return this.avail
    }

    /** Queues a chunk; the assembler keeps a reference and never writes to it. */
    push(chunk: Buffer): void {
        if (chunk.length === 0) return
        this.chunks.push(chunk)
        this.avail += chunk.length
    }

    /** The next complete packet, or undefined until more bytes arrive. Throws MqttProtocolError. */
    next(): Packet | undefined {
        if (this.failure) throw this.failure
        if (this.avail < 2) return undefined
        const first = this.chunks[0]
        let header = 0
        let rl = 0
        let i = 2
        if (this.pos + 1 < first.length && first[this.pos + 1] < 0x80) {
            // common case: a short packet whose two header bytes are in the first chunk
            header = first[this.pos]
            rl = first[this.pos + 1]
        } else {
            header = this.byteAt(0)
            // 4-byte varint: a fifth byte with the continuation bit is malformed (2.2.3)
            let mul = 1
            i = 1
            while (true) {
                if (i >= this.avail) return undefined
                const c = this.byteAt(i)
                rl += (c & 0x7f) * mul
                mul *= 128
                i++
                if ((c & 0x80) === 0) break
                if (i === 5) return this.fail(new MqttProtocolError("MQTT-2.2.3", "remaining length longer than 4 bytes"))
            }
        }
        const total = i + rl
        if (total > this.maxPacketSize)
            return this.fail(new MqttProtocolError("max-packet-size", "packet of " + total + " bytes over the limit"))
        try {
            checkFixedHeader(header, -1)
        } catch (e) {
            return this.fail(e as MqttProtocolError)
        }
        if (total > this.avail) return undefined
        let body = first
        let bodyStart = this.pos + i
        if (this.pos + total <= first.length) {
            // the whole packet is in the first chunk: decode in place
            this.consume(total)
        } else {
            this.consume(i)
            body = this.gather(rl)
            bodyStart = 0
        }
        const decode = this.decode
        return decode(header, body, bodyStart, rl)
    }

    private fail(e: MqttProtocolError): Packet {
        this.failure = e
        throw e
    }

    /** The unread byte at distance k from the read position (k < avail). */
    private byteAt(k: number): number {
        let off = this.pos + k
        let ci = 0
        let c = this.chunks[0]
        while (off >= c.length) {
            off -= c.length
            ci++
            c = this.chunks[ci]
        }
        return c[off]
    }

    private consume(n: number): void {
        this.avail -= n
        let pos = this.pos + n
        while (this.chunks.length > 0 && pos >= this.chunks[0].length) {
            pos -= this.chunks[0].length
            this.chunks.shift()
        }
        this.pos = pos
    }

    /** Copies the next n bytes (n <= avail) out of the queue into one new buffer and consumes them. */
    private gather(n: number): Buffer {
        const out = Buffer.alloc(n)
        let o = 0
        while (o < n) {
            const c = this.chunks[0]
            const take = Math.min(c.length - this.pos, n - o)
            copyInto(out, o, c, this.pos, this.pos + take)
            o += take
            this.consume(take)
        }
        return out
    }
}
