// Session: SessionCore plus QoS 2 in both directions (4.3.3), UNSUBSCRIBE (3.10) and end(). This is the
// complete MQTT 3.1.1 client session that Node and the benchmarks use; a board firmware that
// publishes and subscribes at QoS 0/1 links SessionCore alone (docs/bytecode-size.md).

import { Clock, Random } from "../../io"
import { encodeAck, encodeHeaderOnly, encodeSubscribe, encodeUnsubscribe } from "../codec/encode"
import { OutState } from "./outbox"
import { Packet, PacketIdOnlyPacket, PacketType, PublishPacket, Subscription } from "../codec/packets"
import { checkArg } from "./session-errors"
import {
    addOp,
    checkFilters,
    checkTopicFilter,
    complete,
    deliver,
    DoneCallback,
    ended,
    findInflight,
    finish,
    forgetSub,
    openStream,
    PendingOp,
    send,
    SessionCore,
    takeOp,
    violation,
    SessionOptions,
    SessionSink,
    SessionState,
    SessionStats,
    SubscribeCallback,
} from "./session-core"
import { removeAt } from "./session-util"

export type { DoneCallback, SessionOptions, SessionSink, SessionStats, SubscribeCallback } from "./session-core"
export { SessionCore, SessionState } from "./session-core"

export class Session extends SessionCore {
    /** Inbound QoS 2 ids between PUBLISH and PUBREL: a PUBLISH with a held id is not delivered again. */
    private heldIds: number[]

    constructor(opts: SessionOptions, clock: Clock, random: Random, sink: SessionSink) {
        super(opts, clock, random, sink)
        this.heldIds = []
        this.maxQos = 2
    }

    // ---------------------------------------------------------------- queries (SessionCore's
    // drivers read the state and gen fields instead)

    getState(): SessionState {
        return this.state
    }

    isConnected(): boolean {
        return this.state === SessionState.CONNECTED
    }

    /** Which stream the session is talking to; the driver tags stream events with it. */
    generation(): number {
        return this.gen
    }

    /** Nothing in flight, queued or pending: every operation has completed. */
    isIdle(): boolean {
        return this.inflight.length === 0 && this.outbox.items.length === 0 && this.ops.length === 0
    }

    stats(): SessionStats {
        const s = this.st
        s.inflight = this.inflight.length
        s.queued = this.outbox.items.length
        return { ...s }
    }

    /** Filters currently subscribed (or being subscribed), with their requested QoS. */
    subscriptions(): Subscription[] {
        return this.subs.slice(0)
    }

    /** Connects now instead of waiting for the backoff (or after a close with reconnect off). */
    reconnect(): void {
        if (this.state === SessionState.WAITING || this.state === SessionState.NEW) openStream(this)
    }

    unsubscribe(filters: string[], done: DoneCallback | undefined): void {
        if (this.state === SessionState.ENDED) throw ended("unsubscribe")
        checkArg(done, "a function or undefined", "callback")
        checkFilters(filters)
        for (const f of filters) checkTopicFilter(f)
        for (const f of filters) forgetSub(this, f)
        const cb: SubscribeCallback | undefined = done
            ? function (err: Error | undefined, granted: number[] | undefined) {
                  done(err)
              }
            : undefined
        addOp(this, { kind: PacketType.UNSUBSCRIBE, packetId: 0, subs: undefined, filters, done: cb })
    }

    /**
     * Ends the session: DISCONNECT (3.14, so the broker discards the will) if connected, close
     * the stream, and fail whatever has not completed with CLIENT_ENDED. Terminal.
     */
    end(): void {
        const s = this.state
        if (s === SessionState.ENDED) return
        if (s === SessionState.CONNECTED) send(this, encodeHeaderOnly(PacketType.DISCONNECT))
        this.state = SessionState.ENDED
        this.gen++
        if (s === SessionState.OPENING || s === SessionState.CONNECTING || s === SessionState.CONNECTED) this.sink.closeStream()
        const inflight = this.inflight
        this.inflight = []
        const ops = this.ops
        this.ops = []
        this.ids.inUse = []
        for (const m of inflight) if (m.done) finish(this, m.done, ended("publish"))
        const queued = this.outbox.items
        this.outbox.items = []
        this.outbox.used = 0
        for (const m of queued) if (m.done) finish(this, m.done, ended("publish"))
        for (const op of ops) if (op.done) finish(this, op.done, ended(op.kind === PacketType.SUBSCRIBE ? "subscribe" : "unsubscribe"))
        this.sink.disconnected("client ended", undefined)
    }

    override onQos2OrUnsuback(p: Packet): boolean {
        const id = (p as PacketIdOnlyPacket).packetId
        switch (p.type) {
            case PacketType.PUBLISH:
                this.onPublishQos2(p as PublishPacket)
                return true
            case PacketType.PUBREC:
                this.onPubrec(id)
                return true
            case PacketType.PUBREL:
                this.onPubrel(id)
                return true
            case PacketType.PUBCOMP:
                this.onPubcomp(id)
                return true
            case PacketType.UNSUBACK: {
                const op = takeOp(this, id, PacketType.UNSUBSCRIBE)
                if (op && op.done) finish(this, op.done, undefined)
                return true
            }
            default:
                return false
        }
    }

    override encodeOp(op: PendingOp): Buffer {
        // an op carries the list of its kind: filters for UNSUBSCRIBE, subs for SUBSCRIBE
        if (op.kind === PacketType.UNSUBSCRIBE)
            return encodeUnsubscribe({ type: PacketType.UNSUBSCRIBE, packetId: op.packetId, filters: op.filters as string[] })
        return encodeSubscribe({ type: PacketType.SUBSCRIBE, packetId: op.packetId, subscriptions: op.subs as Subscription[] })
    }

    override onSessionLost(): void {
        // the broker's half of inbound QoS 2 is gone with its session
        this.heldIds = []
    }

    // ---------------------------------------------------------------- outgoing QoS 2

    /** 4.3.3: PUBREC -> PUBREL. A repeated PUBREC gets PUBREL again; an unknown one too, so the broker can finish. */
    private onPubrec(id: number): void {
        const i = findInflight(this, id)
        if (i >= 0) {
            const m = this.inflight[i]
            if (m.state === OutState.AWAIT_PUBACK) {
                violation(this, "PUBREC for QoS 1 message " + id)
                return
            }
            m.state = OutState.AWAIT_PUBCOMP
        }
        send(this, encodeAck(PacketType.PUBREL, id))
    }

    private onPubcomp(id: number): void {
        const i = findInflight(this, id)
        if (i < 0 || this.inflight[i].state !== OutState.AWAIT_PUBCOMP) return
        complete(this, i)
    }

    // ---------------------------------------------------------------- incoming QoS 2

    /**
     * 4.3.3 method B: deliver on the first PUBLISH, hold the id until PUBREL so a resent
     * PUBLISH (DUP) with that id is acknowledged but not delivered again.
     */
    private onPublishQos2(p: PublishPacket): void {
        // a QoS 2 PUBLISH has a packet id (3.3.2.2; the decoder checks it)
        const id = p.packetId as number
        if (this.heldIds.indexOf(id) < 0) {
            this.heldIds.push(id)
            deliver(this, p)
        } else {
            this.st.duplicatesIgnored++
        }
        send(this, encodeAck(PacketType.PUBREC, id))
    }

    /** 4.3.3: PUBREL releases the id; PUBCOMP is sent even for an id we do not hold. */
    private onPubrel(id: number): void {
        const i = this.heldIds.indexOf(id)
        if (i >= 0) removeAt(this.heldIds, i)
        send(this, encodeAck(PacketType.PUBCOMP, id))
    }
}
