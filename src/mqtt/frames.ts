// Splits a TCP byte stream into MQTT packets (2.2 fixed header + 2.2.3 Remaining Length).
//
// Chunks are kept as they arrive (a queue plus a read offset into the first one), so a chunk
// holding many packets is decoded in place with no copy of the tail per packet. A packet that
// straddles chunks is decoded once all of it is in: the queued chunks are then joined into one
// buffer (natively; also once earlier if a chunk boundary cuts its fixed header).
// A packet larger than maxPacketSize is refused as soon as its header is seen, before any of
// its body is buffered. Header errors poison the assembler (the stream cannot be re-synced);
// a body that fails to decode has already been consumed, and the error is thrown.

import { fail, MqttProtocolError } from "./errors"
import { Packet } from "./packets"
import { checkFixedHeader, decodeFromServer, PacketDecoder } from "./decode"

/** 2.2.3: the largest frame a 4-byte Remaining Length allows (header included). */
export const MAX_FRAME_SIZE = 268435455 + 5

export class FrameAssembler {
    // set by reset(), which the constructor calls
    private chunks!: Buffer[]
    /** Read offset into chunks[0]. */
    private pos!: number
    /**
     * Bytes received but not yet returned as packets (read-only outside; a field rather than a
     * method because every method of a class costs board bytecode).
     */
    buffered!: number
    private maxPacketSize: number
    private decode: PacketDecoder
    private failure: MqttProtocolError | undefined

    /**
     * maxPacketSize counts the whole frame, fixed header included (default: the protocol's limit).
     * decoder defaults to the client role (decodeFromServer); pass decodePacket to accept all
     * 14 types (server role, tests, fuzzers).
     */
    constructor(maxPacketSize?: number, decoder?: PacketDecoder) {
        this.maxPacketSize = maxPacketSize ?? MAX_FRAME_SIZE
        this.decode = decoder ?? decodeFromServer
        this.reset()
    }

    /** Forgets buffered bytes and any earlier failure (e.g. on a new connection). */
    reset(): void {
        this.chunks = []
        this.pos = 0
        this.buffered = 0
        this.failure = undefined
    }

    /** Queues a chunk; the assembler keeps a reference and never writes to it. */
    push(chunk: Buffer): void {
        if (chunk.length === 0) return
        this.chunks.push(chunk)
        this.buffered += chunk.length
    }

    /** The next complete packet, or undefined until more bytes arrive. Throws MqttProtocolError. */
    next(): Packet | undefined {
        if (this.failure) throw this.failure
        while (true) {
            const avail = this.buffered
            if (avail < 2) return undefined
            const chunks = this.chunks
            const first = chunks[0]
            const pos = this.pos
            const end = first.length
            const header = first[pos]
            let rl = 0
            let i = pos + 1
            // the whole frame's size, once its header is complete
            let total = -1
            try {
                let mul = 1
                while (i < end) {
                    const c = first[i++]
                    rl += (c & 0x7f) * mul
                    if (c < 0x80) {
                        total = i - pos + rl
                        break
                    }
                    // 2.2.3: a fourth length byte with the continuation bit is malformed
                    if (i === pos + 5) fail("MQTT-2.2.3", "remaining length longer than 4 bytes")
                    mul *= 128
                }
                if (total > this.maxPacketSize) fail("max-packet-size", "packet of " + total + " bytes over the limit")
                if (total >= 0) checkFixedHeader(header, -1)
            } catch (e) {
                // a bad header: the stream cannot be re-synchronised
                this.failure = e as MqttProtocolError
                throw e
            }
            const after = pos + total
            if (total >= 0 && after <= end) {
                // the whole packet is in the first chunk: decode in place, consumed first so a
                // body that fails to decode is skipped
                this.buffered = avail - total
                if (after === end) {
                    chunks.shift()
                    this.pos = 0
                } else this.pos = after
                const decode = this.decode
                return decode(header, first, i, rl)
            }
            if (chunks.length === 1 || total > avail) return undefined
            // The header, or a complete packet, runs past the first chunk: join everything queued
            // into one buffer and read again. A packet is joined at most twice (once for a header
            // cut by a chunk boundary, once when its last byte is in), never per chunk.
            const joined = Buffer.alloc(avail)
            joined.set(pos > 0 ? first.slice(pos, end) : first, 0)
            let o = end - pos
            for (let k = 1; k < chunks.length; k++) {
                joined.set(chunks[k], o)
                o += chunks[k].length
            }
            this.chunks = [joined]
            this.pos = 0
        }
    }
}
