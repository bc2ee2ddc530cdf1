// Splits a TCP byte stream into MQTT packets (2.2 fixed header + 2.2.3 Remaining Length).
//
// Chunks are kept as they arrive (a queue plus a read offset into the first one), so a chunk
// holding many packets is decoded in place with no copy of the tail per packet.
// Under a configured maxPacketSize, a PUBLISH that runs past its first chunk is read as its
// header (fixed + variable, 3.3.2) and then a payload: the payload buffer is allocated once, at
// its final size, and every later chunk is copied into it as it arrives and then let go, so such
// a packet is held about once in memory (never chunks + a joined copy + a payload copy). Other packets that straddle chunks (SUBACK
// with many codes, a fixed header cut in two) are joined into one buffer and decoded.
// A PUBLISH larger than maxPacketSize is not a failure (MQTT 3.1.1 lets a broker send any size,
// and a persistent session would send it again on every reconnect): its header is read, its
// payload counted through unstored, and it is returned with `oversize` set and no payload.
// Any other packet over the limit, or a PUBLISH whose header alone is over it, is refused from
// its header. Header errors poison the assembler (the stream cannot be re-synced); a body that
// fails to decode has already been consumed, and the error is thrown.

import { fail, MqttProtocolError } from "./errors"
import { Packet, PacketType, PublishPacket } from "./packets"
import { checkFixedHeader, decodeFromServer, decodePublishHeader, PacketDecoder } from "./decode"
import { u16be } from "../../util/bytes"

/** 2.2.3: the largest frame a 4-byte Remaining Length allows (header included). */
export const MAX_FRAME_SIZE = 268435455 + 5

export class FrameAssembler {
    declare chunks: Buffer[]
    /** Read offset into chunks[0]. */
    declare pos: number
    /**
     * Bytes received but not yet returned as packets (read-only outside; a field rather than a
     * method because every method of a class costs board bytecode).
     */
    declare buffered: number
    maxPacketSize: number
    decode: PacketDecoder
    failure: MqttProtocolError | undefined
    /** The PUBLISH whose payload is being read (payload set, or undefined when counted through). */
    pending: PublishPacket | undefined
    /** Payload bytes of `pending` still to come. */
    declare want: number
    /** Where the next payload byte goes in pending.payload. */
    declare fillAt: number

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
        this.pending = undefined
        this.want = 0
    }

    /** Queues a chunk; the assembler keeps a reference and never writes to it. */
    push(chunk: Buffer): void {
        if (chunk.length === 0) return
        this.chunks.push(chunk)
        this.buffered += chunk.length
        if (this.want > 0) this.want = take(this, this.want)
    }

    /** The next complete packet, or undefined until more bytes arrive. Throws MqttProtocolError. */
    next(): Packet | undefined {
        if (this.failure) throw this.failure
        while (true) {
            const done = this.pending
            if (done) {
                if (this.want > 0) return undefined
                this.pending = undefined
                return done
            }
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
            // bytes needed before anything can be done: the whole packet, or a PUBLISH's header
            let need = -1
            const isPublish = header >> 4 === PacketType.PUBLISH
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
                if (total >= 0) {
                    checkFixedHeader(header, -1)
                    need = total
                    if (isPublish) {
                        // 3.3.2: topic length, topic, packet id for QoS 1/2
                        need = i + 2
                        if (need <= end) need += u16be(first, i) + (header & 6 ? 2 : 0)
                        need -= pos
                    }
                    if (need > this.maxPacketSize)
                        fail("max-packet-size", (isPublish ? "PUBLISH header of " : "packet of ") + need + " bytes over the limit")
                    // (the payload buffer is allocated before its bytes arrive, so only under a
                    // configured limit; without one a straddling PUBLISH is joined like the rest)
                    if (
                        isPublish &&
                        (total > this.maxPacketSize || (total > end - pos && this.maxPacketSize < MAX_FRAME_SIZE)) &&
                        need <= end - pos
                    ) {
                        // the header is all in the first chunk: decode it, then read the payload
                        // into a buffer of its final size, or count it through when oversize
                        const p = decodePublishHeader(header, first, i, pos + (need < total ? need : total))
                        take(this, need)
                        if (total > this.maxPacketSize) p.oversize = total
                        else p.payload = Buffer.alloc(total - need)
                        this.pending = p
                        this.fillAt = 0
                        this.want = take(this, total - need)
                        continue
                    }
                }
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
            if (chunks.length === 1 || need > avail) return undefined
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

// ---------------------------------------------------------------- FrameAssembler's steps
// Free functions rather than methods: a method costs the board ~12 B more in the prototype.

/**
 * Consumes n queued bytes, copying them into pending.payload from fillAt when there is one;
 * returns how many of the n have not arrived yet.
 */
function take(fa: FrameAssembler, n: number): number {
    const chunks = fa.chunks
    const p = fa.pending
    const into = p ? p.payload : undefined
    while (n > 0 && chunks.length > 0) {
        const c = chunks[0]
        const pos = fa.pos
        const rest = c.length - pos
        const k = rest < n ? rest : n
        if (into) {
            into.set(pos === 0 && k === c.length ? c : c.slice(pos, pos + k), fa.fillAt)
            fa.fillAt += k
        }
        if (k === rest) {
            chunks.shift()
            fa.pos = 0
        } else fa.pos = pos + k
        fa.buffered -= k
        n -= k
    }
    return n
}
