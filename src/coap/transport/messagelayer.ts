// The UDP message layer of RFC 7252 section 4 (with the response rules of 5.2): everything that
// exists only because datagrams get lost, duplicated and reordered. It is pure and driven from
// outside: receive(bytes, peer) for each datagram, tick(now) when nextDeadline() has come, and
// it sends through an injected `send(bytes, peer)`. Time and randomness come from src/io.ts.
//
// Above it (./exchange) the request/response layer sees Exchanges and a Transport; nothing
// there knows about message ids, ACKs or retransmission, so a reliable binding (RFC 8323) can
// replace this file without touching resources, Observe or block-wise.

import type { Clock, Random } from "../../io"
import { CoapCode, CoapMessage, CoapType, isRequestCode, newMessage } from "../codec/message"
import { CoapFormatError, canRejectWithReset, decodeMessage, encodeMessage } from "../codec/codec"
import { Exchange, Outcome, RequestHandler, Transport } from "./exchange"
import { RFC7252_4_8, TransmissionParams, exchangeLifetime, nonLifetime } from "./messagelayer-params"

export interface MessageLayerOptions {
    clock: Clock
    random: Random
    /** Hands one datagram to the network; `peer` is the key given to receive(). */
    send: (bytes: Buffer, peer: string) => void
    /** RFC 7252 4.8 parameters; RFC7252_4_8 when absent. */
    params?: TransmissionParams
    /**
     * RFC 7252 5.2.2: when a CON request is not answered within this many ms, send an empty ACK
     * and later the response as a separate CON. Default 1000 (well under ACK_TIMEOUT, so the
     * client does not retransmit needlessly).
     */
    separateAfter?: number
    /**
     * RFC 7252 4.5: duplicates are recognised for EXCHANGE_LIFETIME (247 s) after a message came,
     * however many others came since. This caps the memory that takes: the most (peer, Message ID)
     * pairs remembered (default 65,536) and the most bytes of cached answers (default 16 MiB).
     * Only a flood beyond that (265 exchanges/s sustained for 247 s at the default) makes the
     * oldest pairs be forgotten early.
     */
    dedupCapacity?: number
    dedupBytes?: number
    /** Largest Block SZX to offer (RFC 7959 2.2). Default 6 = 1024 bytes. */
    maxBlockSzx?: number
    /** How many recently sent NON messages to remember for matching an RST (RFC 7252 4.3). Default 16. */
    nonMemory?: number
}

/** Default caps of the duplicate cache (see MessageLayerOptions.dedupCapacity). */
export const DEDUP_CAPACITY = 65536
export const DEDUP_BYTES = 16 * 1024 * 1024

/** A CON we sent and retransmit until ACK/RST (RFC 7252 4.2). */
interface PendingCon {
    peer: string
    messageId: number
    token: Buffer
    bytes: Buffer
    /** Retransmissions done so far (0 after the first transmission). */
    retransmits: number
    /** Current timeout; doubles on each retransmission. */
    timeout: number
    deadline: number
    /** Observation key for RFC 7641 4.5.2 replacement; "" for separate responses. */
    key: string
    done: (outcome: Outcome) => void
}

/** What we remember per received (peer, Message ID) (RFC 7252 4.5). */
interface SeenEntry {
    key: string
    expires: number
    /** The bytes we answered with (piggybacked ACK, empty ACK, or RST); undefined while processing. */
    reply: Buffer | undefined
    confirmable: boolean
}

/** A NON we sent that an RST may still refer to (RFC 7252 4.3). */
interface SentNon {
    peer: string
    messageId: number
    token: Buffer
    expires: number
}

function emptyMessage(type: CoapType, messageId: number): CoapMessage {
    return newMessage(type, CoapCode.Empty, messageId)
}

function seenKey(peer: string, messageId: number): string {
    return peer + "#" + messageId
}

/** A CON or NON request waiting for its handler (RFC 7252 5.2). */
class UdpExchange implements Exchange {
    layer: MessageLayer
    peerKey: string
    msg: CoapMessage
    /** An empty ACK has been sent: the response goes out separately (5.2.2). */
    acked: boolean
    answered: boolean
    /** When to send the empty ACK (CON only). */
    ackDeadline: number
    seen: SeenEntry

    constructor(layer: MessageLayer, peer: string, msg: CoapMessage, seen: SeenEntry, ackDeadline: number) {
        this.layer = layer
        this.peerKey = peer
        this.msg = msg
        this.acked = false
        this.answered = false
        this.ackDeadline = ackDeadline
        this.seen = seen
    }
    peer(): string {
        return this.peerKey
    }
    request(): CoapMessage {
        return this.msg
    }
    respond(response: CoapMessage): void {
        if (this.answered) return
        this.answered = true
        this.layer.sendResponse(this, response)
    }
}

export class MessageLayer implements Transport {
    private clock: Clock
    private random: Random
    private sendFn: (bytes: Buffer, peer: string) => void
    private params: TransmissionParams
    private separateAfter: number
    private dedupCapacity: number
    private dedupBytes: number
    /** Bytes of the answers held in `seen`. */
    private seenBytes: number
    private szx: number
    private nonMemory: number
    private handler: RequestHandler | undefined
    private nextMid: number
    private pending: PendingCon[]
    private waiting: UdpExchange[]
    /** By (peer, Message ID). */
    private seen: Record<string, SeenEntry>
    private seenCount: number
    /** The entries in arrival order, oldest first from `seenHead`, for expiry and the caps; an entry
     * no longer in `seen` is skipped (a portable insertion-ordered map: DeviceScript has no Map). */
    private seenOrder: SeenEntry[]
    private seenHead: number
    private sentNon: SentNon[]
    /** Called when nextDeadline() may have moved earlier, so a binding can re-arm its timer. */
    onWakeup: (() => void) | undefined

    constructor(opts: MessageLayerOptions) {
        this.clock = opts.clock
        this.random = opts.random
        this.sendFn = opts.send
        this.params = opts.params ? opts.params : RFC7252_4_8
        this.separateAfter = opts.separateAfter !== undefined ? opts.separateAfter : 1000
        this.dedupCapacity = opts.dedupCapacity !== undefined ? opts.dedupCapacity : DEDUP_CAPACITY
        this.dedupBytes = opts.dedupBytes !== undefined ? opts.dedupBytes : DEDUP_BYTES
        this.seenBytes = 0
        this.szx = opts.maxBlockSzx !== undefined ? opts.maxBlockSzx : 6
        this.nonMemory = opts.nonMemory !== undefined ? opts.nonMemory : 16
        this.handler = undefined
        // 4.4: start at a random Message ID so a restarted server does not reuse recent ones
        this.nextMid = Math.floor(this.random.next() * 65536) & 0xffff
        this.pending = []
        this.waiting = []
        this.seen = {}
        this.seenCount = 0
        this.seenOrder = []
        this.seenHead = 0
        this.sentNon = []
        this.onWakeup = undefined
    }

    /** Connects the request/response layer that receives requests. */
    attach(handler: RequestHandler): void {
        this.handler = handler
    }

    // ---- Transport (what the request/response layer may ask) ----

    maxBlockSzx(peer: string): number {
        return this.szx
    }

    notify(peer: string, msg: CoapMessage, confirmable: boolean, key: string, done: (outcome: Outcome) => void): void {
        const now = this.clock.now()
        // RFC 7641 4.5.2: at most one CON notification in flight per observation; a newer state
        // replaces the one being retransmitted (new Message ID, same retransmission state).
        for (const p of this.pending) {
            if (key !== "" && p.key === key && p.peer === peer) {
                const old = p.done
                msg.type = CoapType.CON
                msg.messageId = this.allocMid()
                const bytes = this.encodeOrNull(msg)
                if (bytes === null) {
                    done(Outcome.Delivered)
                    return
                }
                p.messageId = msg.messageId
                p.token = msg.token
                p.bytes = bytes
                p.done = done
                // the retransmission schedule is NOT restarted: a resource changing faster than
                // the timeout must not keep a dead observer alive forever (4.5 give-up still applies)
                this.sendFn(bytes, peer)
                // the superseded notification is neither delivered nor failed: its state is stale
                old(Outcome.Delivered)
                this.wake()
                return
            }
        }
        msg.type = confirmable ? CoapType.CON : CoapType.NON
        msg.messageId = this.allocMid()
        const bytes = this.encodeOrNull(msg)
        if (bytes === null) {
            done(Outcome.Delivered)
            return
        }
        if (confirmable) {
            this.startCon(peer, msg, bytes, key, done, now)
        } else {
            this.rememberNon(peer, msg, now)
            this.sendFn(bytes, peer)
            done(Outcome.Delivered)
        }
    }

    // ---- inputs ----

    /** One datagram from `peer`. Never throws. */
    receive(bytes: Buffer, peer: string): void {
        const now = this.clock.now()
        let msg: CoapMessage
        try {
            msg = decodeMessage(bytes)
        } catch (e) {
            // 4.2: a malformed CON is rejected with RST; 4.3: a malformed NON is dropped (we may
            // RST it too, but silence tells a scanner less). Wrong version: silently ignored (3).
            if (e instanceof CoapFormatError && canRejectWithReset(e) && e.type === CoapType.CON) {
                this.sendRaw(emptyMessage(CoapType.RST, e.messageId), peer)
            }
            return
        }
        if (msg.type === CoapType.ACK) {
            this.onAckOrReset(peer, msg, Outcome.Delivered)
            return
        }
        if (msg.type === CoapType.RST) {
            this.onAckOrReset(peer, msg, Outcome.Reset)
            return
        }
        if (msg.code === CoapCode.Empty) {
            // 4.3: an empty CON is a "CoAP ping", answered with RST; an empty NON is meaningless
            if (msg.type === CoapType.CON) this.sendRaw(emptyMessage(CoapType.RST, msg.messageId), peer)
            return
        }
        if (!isRequestCode(msg.code)) {
            // A response or signaling code in a CON/NON: we sent no request, so we lack context
            // (4.2: RST for CON; 4.3: NON may be dropped).
            if (msg.type === CoapType.CON) this.sendRaw(emptyMessage(CoapType.RST, msg.messageId), peer)
            return
        }
        this.onRequest(peer, msg, now)
    }

    /** Runs timers that are due: empty ACKs, retransmissions, expiry. */
    tick(now?: number): void {
        const t = now !== undefined ? now : this.clock.now()
        // 5.2.2: handlers that took too long get an empty ACK; their response will be separate
        const stillWaiting: UdpExchange[] = []
        for (const ex of this.waiting) {
            if (ex.answered) continue
            if (ex.ackDeadline <= t) {
                ex.acked = true
                const ack = this.sendRaw(emptyMessage(CoapType.ACK, ex.msg.messageId), ex.peerKey)
                this.setReply(ex.seen, ack)
            } else {
                stillWaiting.push(ex)
            }
        }
        this.waiting = stillWaiting
        // 4.2: retransmit with doubling timeout, give up after MAX_RETRANSMIT retransmissions
        const keep: PendingCon[] = []
        const failed: PendingCon[] = []
        for (const p of this.pending) {
            if (p.deadline > t) {
                keep.push(p)
            } else if (p.retransmits < this.params.maxRetransmit) {
                p.retransmits++
                p.timeout = p.timeout * 2
                p.deadline = t + p.timeout
                this.sendFn(p.bytes, p.peer)
                keep.push(p)
            } else {
                failed.push(p)
            }
        }
        this.pending = keep
        for (const p of failed) p.done(Outcome.TimedOut)
        this.expireSeen(t)
        this.expireNon(t)
    }

    /** The earliest time tick() has work to do, or -1 when nothing is scheduled. */
    nextDeadline(): number {
        let d = -1
        for (const ex of this.waiting) if (!ex.answered && (d < 0 || ex.ackDeadline < d)) d = ex.ackDeadline
        for (const p of this.pending) if (d < 0 || p.deadline < d) d = p.deadline
        return d
    }

    /** Number of CONs being retransmitted (for tests and diagnostics). */
    pendingCount(): number {
        return this.pending.length
    }

    /** Number of remembered (peer, Message ID) pairs (for tests and diagnostics). */
    dedupSize(): number {
        return this.seenCount
    }

    // ---- requests and responses ----

    private onRequest(peer: string, msg: CoapMessage, now: number): void {
        const confirmable = msg.type === CoapType.CON
        const key = seenKey(peer, msg.messageId)
        const prior = this.seen[key]
        if (prior !== undefined && prior.expires > now) {
            // 4.5: a duplicate. A CON gets the same answer again (or, while its handler is still
            // busy, an empty ACK that turns it into a separate response); a NON is ignored.
            if (!prior.confirmable) return
            if (prior.reply !== undefined) {
                this.sendFn(prior.reply, peer)
                return
            }
            for (const ex of this.waiting) {
                if (ex.seen === prior && !ex.answered) {
                    ex.acked = true
                    this.setReply(prior, this.sendRaw(emptyMessage(CoapType.ACK, msg.messageId), peer))
                }
            }
            return
        }
        const lifetime = confirmable ? exchangeLifetime(this.params) : nonLifetime(this.params)
        const entry: SeenEntry = { key: key, expires: now + lifetime, reply: undefined, confirmable: confirmable }
        this.remember(entry, now)
        const ex = new UdpExchange(this, peer, msg, entry, now + this.separateAfter)
        if (confirmable) {
            this.waiting.push(ex)
            this.wake()
        }
        if (this.handler === undefined) {
            ex.respond(newMessage(CoapType.ACK, CoapCode.ServiceUnavailable, 0))
            return
        }
        try {
            this.handler.handleRequest(ex)
        } catch (e) {
            // a bug above must not take the server down: 5.00 (RFC 7252 5.9.3.1)
            ex.respond(newMessage(CoapType.ACK, CoapCode.InternalServerError, 0))
        }
    }

    /** Called by UdpExchange.respond: piggybacked (5.2.1), separate (5.2.2) or NON (5.2.3). */
    sendResponse(ex: UdpExchange, response: CoapMessage): void {
        response.token = ex.msg.token
        const wi = this.waiting.indexOf(ex)
        if (wi >= 0) removeAt(this.waiting, wi)
        const now = this.clock.now()
        if (response.code === CoapCode.Empty) {
            // "no response" (RFC 7967): a CON still needs its ACK, and only that
            if (ex.msg.type === CoapType.CON && !ex.acked) {
                ex.acked = true
                this.setReply(ex.seen, this.sendRaw(emptyMessage(CoapType.ACK, ex.msg.messageId), ex.peerKey))
            }
            return
        }
        if (ex.msg.type === CoapType.CON && !ex.acked) {
            response.type = CoapType.ACK
            response.messageId = ex.msg.messageId
            const bytes = this.encodeOrFallback(response)
            this.setReply(ex.seen, bytes)
            this.sendFn(bytes, ex.peerKey)
            return
        }
        response.messageId = this.allocMid()
        if (ex.msg.type === CoapType.CON) {
            // separate response: a CON of its own, acknowledged by the client (5.2.2)
            response.type = CoapType.CON
            const bytes = this.encodeOrFallback(response)
            const self = this
            const peer = ex.peerKey
            const token = ex.msg.token
            this.startCon(
                peer,
                response,
                bytes,
                "",
                (outcome: Outcome) => {
                    if (outcome === Outcome.Reset) self.rejected(peer, token)
                },
                now
            )
            return
        }
        // 5.2.3: a NON request is answered with a NON response
        response.type = CoapType.NON
        const bytes = this.encodeOrFallback(response)
        this.rememberNon(ex.peerKey, response, now)
        this.sendFn(bytes, ex.peerKey)
    }

    // ---- ACK / RST matching (4.2, 4.3) ----

    private onAckOrReset(peer: string, msg: CoapMessage, outcome: Outcome): void {
        for (let i = 0; i < this.pending.length; i++) {
            const p = this.pending[i]
            if (p.peer === peer && p.messageId === msg.messageId) {
                removeAt(this.pending, i)
                if (outcome === Outcome.Reset && p.key !== "") this.rejected(peer, p.token)
                p.done(outcome)
                return
            }
        }
        if (outcome !== Outcome.Reset) return
        // 4.3: an RST may answer a NON we sent (e.g. an unwanted notification, RFC 7641 3.6)
        for (let i = 0; i < this.sentNon.length; i++) {
            const s = this.sentNon[i]
            if (s.peer === peer && s.messageId === msg.messageId) {
                removeAt(this.sentNon, i)
                this.rejected(peer, s.token)
                return
            }
        }
    }

    // ---- helpers ----

    /** Tells the request/response layer that the peer answered a message on `token` with RST. */
    private rejected(peer: string, token: Buffer): void {
        const h = this.handler
        if (h !== undefined && h.tokenRejected !== undefined) h.tokenRejected(peer, token)
    }

    private startCon(peer: string, msg: CoapMessage, bytes: Buffer, key: string, done: (o: Outcome) => void, now: number): void {
        // 4.2: initial timeout is a random duration between ACK_TIMEOUT and ACK_TIMEOUT * ACK_RANDOM_FACTOR
        const timeout = this.params.ackTimeout * (1 + this.random.next() * (this.params.ackRandomFactor - 1))
        this.pending.push({
            peer: peer,
            messageId: msg.messageId,
            token: msg.token,
            bytes: bytes,
            retransmits: 0,
            timeout: timeout,
            deadline: now + timeout,
            key: key,
            done: done,
        })
        this.sendFn(bytes, peer)
        this.wake()
    }

    private rememberNon(peer: string, msg: CoapMessage, now: number): void {
        if (this.nonMemory <= 0) return
        if (this.sentNon.length >= this.nonMemory) this.sentNon.shift()
        this.sentNon.push({ peer: peer, messageId: msg.messageId, token: msg.token, expires: now + nonLifetime(this.params) })
    }

    private remember(entry: SeenEntry, now: number): void {
        this.expireSeen(now)
        // bounded: when full, the oldest pair is forgotten early (a trade of memory for exactness)
        this.evictOldest(this.dedupCapacity - 1, this.dedupBytes)
        if (this.dedupCapacity <= 0) return
        // an expired entry under the same key may still sit behind younger ones: replace it in order
        const old = this.seen[entry.key]
        if (old !== undefined) this.forget(old)
        this.seen[entry.key] = entry
        this.seenCount++
        this.seenOrder.push(entry)
    }

    /** Records the answer a duplicate gets, within the byte cap. */
    private setReply(entry: SeenEntry, bytes: Buffer): void {
        const held = this.seen[entry.key] === entry
        if (held && entry.reply !== undefined) this.seenBytes -= entry.reply.length
        entry.reply = bytes
        if (!held) return
        this.seenBytes += bytes.length
        this.evictOldest(this.dedupCapacity, this.dedupBytes)
    }

    /** Forgets the oldest pairs until at most `count` pairs and `bytes` bytes of answers are held. */
    private evictOldest(count: number, bytes: number): void {
        for (let e = this.oldestSeen(); e !== undefined; e = this.oldestSeen()) {
            if (this.seenCount <= count && this.seenBytes <= bytes) return
            this.forget(e)
        }
    }

    /** The oldest entry still remembered, or undefined; drops forgotten ones from the order. */
    private oldestSeen(): SeenEntry | undefined {
        const order = this.seenOrder
        while (this.seenHead < order.length && this.seen[order[this.seenHead].key] !== order[this.seenHead]) this.seenHead++
        if (this.seenHead > 1024 && this.seenHead * 2 > order.length) {
            this.seenOrder = order.slice(this.seenHead)
            this.seenHead = 0
        }
        return this.seenHead < this.seenOrder.length ? this.seenOrder[this.seenHead] : undefined
    }

    private forget(e: SeenEntry): void {
        delete this.seen[e.key]
        this.seenCount--
        if (e.reply !== undefined) this.seenBytes -= e.reply.length
    }

    private expireSeen(now: number): void {
        // entries go in in arrival order; a NON's shorter lifetime may let it wait behind a CON's
        for (let e = this.oldestSeen(); e !== undefined; e = this.oldestSeen()) {
            if (e.expires > now) return
            this.forget(e)
        }
    }

    private expireNon(now: number): void {
        while (this.sentNon.length > 0 && this.sentNon[0].expires <= now) this.sentNon.shift()
    }

    private allocMid(): number {
        const m = this.nextMid
        this.nextMid = (this.nextMid + 1) & 0xffff
        return m
    }

    private sendRaw(msg: CoapMessage, peer: string): Buffer {
        const bytes = encodeMessage(msg)
        this.sendFn(bytes, peer)
        return bytes
    }

    private encodeOrNull(msg: CoapMessage): Buffer | null {
        try {
            return encodeMessage(msg)
        } catch (e) {
            return null
        }
    }

    /** A response that cannot be encoded (a handler bug) becomes a bare 5.00 with the same header. */
    private encodeOrFallback(msg: CoapMessage): Buffer {
        try {
            return encodeMessage(msg)
        } catch (e) {
            const r = newMessage(msg.type, CoapCode.InternalServerError, msg.messageId, msg.token)
            return encodeMessage(r)
        }
    }

    private wake(): void {
        if (this.onWakeup !== undefined) this.onWakeup()
    }
}

/** Removes arr[i] in place (no splice in DeviceScript). */
function removeAt<T>(arr: T[], i: number): void {
    for (let j = i; j < arr.length - 1; j++) arr[j] = arr[j + 1]
    arr.pop()
}
