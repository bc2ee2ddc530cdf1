// The MQTT 3.1.1 client session as a pure state machine (coreMQTT style): SessionCore is the
// part a board links (QoS 0 and 1 in both directions, subscribe, keepalive, reconnect, resend
// after reconnect, the outbox); Session (session.ts) extends it with QoS 2, unsubscribe and end. The
// split exists for the board's 64 KB bytecode budget (docs/bytecode-size.md): a class's methods
// are all compiled once the class is used, so what a firmware does not need lives in a subclass.
//
// Inputs:  start(), onOpen(), onData(chunk) / onPacket(p), onClose(reason), tick(), and the
//          application calls publish(), subscribe() (and Session: unsubscribe(), end()).
// Outputs: everything goes through the injected SessionSink: open/close the stream, write one
//          packet's bytes per write() call, deliver messages, report connect/disconnect/errors.
//          Operations complete through the callback passed with them.
// Time:    read from the injected Clock; the driver arms ONE timer for nextDeadline() and calls tick().
//
// Nothing here knows about sockets, timers or promises, so the same code runs in Node and on the
// board, and unit tests drive it with a fake clock and an in-memory broker.

import { Clock, Payload, Random } from "../../io"
import { Backoff, newBackoff, nextBackoff, resetBackoff, STABLE_CONNECTION_MS } from "./backoff"
import { encodeAck, encodeConnect, encodeHeaderOnly, encodePublish, encodeSubscribe } from "../codec/encode"
import { FrameAssembler } from "../codec/frames"
import { ACK_GAP_MS, ACK_POLL_MS, holdAck, takeAck } from "./held-acks"
import { newOutbox, Outbox, outboxAdd, outboxShift, OutMessage, OutState, DoneCallback } from "./outbox"
import { allocateId, newPacketIds, PacketIds, releaseId } from "./packet-ids"
import {
    ConnackPacket,
    ConnectPacket,
    Packet,
    PacketIdOnlyPacket,
    PacketType,
    PublishPacket,
    QoS,
    SubackPacket,
    Subscription,
    SUBACK_FAILURE,
    Will,
} from "../codec/packets"
import { checkArg, ClientErrorCode, connectionRefused, invalid, MqttClientError } from "./session-errors"
import { removeAt } from "./session-util"
import { utf8Length } from "../../util/bytes"
import { validateTopicFilter, validateTopicName } from "../codec/topics"

/**
 * Text payloads longer than this many characters are written after their packet's header rather
 * than inside it (writePublish): shorter ones are one small packet, longer ones need no block of
 * their size in the board's heap (a packet, a Buffer of the text) on the way to the socket.
 */
const SPLIT_TEXT = 256

export type { DoneCallback } from "./outbox"

/** Completion of subscribe: granted holds the SUBACK return codes (0, 1, 2 or 0x80), one per filter. */
export type SubscribeCallback = (err: Error | undefined, granted: number[] | undefined) => void

export interface SessionOptions {
    clientId: string
    /** 3.1.2.4 CleanSession. */
    clean: boolean
    /** Seconds, 0..65535 (3.1.2.10); 0 turns keepalive (and half-open detection) off. */
    keepalive: number
    username?: string
    password?: Buffer
    will?: Will
    /** Backoff floor in ms; 0 disables automatic reconnect. */
    reconnectMin: number
    /** Backoff ceiling in ms. */
    reconnectMax: number
    /** ms from opening the stream to CONNACK. */
    connectTimeout: number
    /** ms to wait for PINGRESP; default keepalive/2, which bounds half-open detection to 1.5 x keepalive. */
    pingTimeout?: number
    /** Max QoS 1/2 PUBLISH awaiting acknowledgement at once. */
    inflightWindow: number
    outboxMaxMessages: number
    outboxMaxBytes: number
    /** Largest incoming packet accepted (whole frame); default: the protocol maximum. */
    maxPacketSize?: number
    /**
     * Messages received but not yet handled by the application. Given, inbound QoS 1 PUBACKs are
     * held and released one at a time while it returns 0 (flow control: src/mqtt/session/held-acks.ts).
     */
    backlog?: () => number
}

/** What the session asks of its driver. Every method is called synchronously from a session input. */
export interface SessionSink {
    /** Open a new stream and report onOpen/onData/onClose for it (a previous stream is already closed). */
    openStream(): void
    /**
     * Send one complete packet in one write, or the text payload (or text in parts) of the PUBLISH
     * whose header was the write before (sent as its UTF-8 bytes). Must not throw: failures surface
     * as onClose.
     */
    write(bytes: Payload): void
    /** Close the current stream; the session already counts it as closed and ignores its onClose. */
    closeStream(): void
    /** CONNACK accepted; in-flight messages were resent and subscriptions restored. */
    connected(sessionPresent: boolean): void
    /** The stream is gone (or the client ended); reason is human-readable; error is set when the session closed it (then error() follows). */
    disconnected(reason: string, error: MqttClientError | undefined): void
    /** An application message arrived (delivered once per QoS 2 message). */
    message(p: PublishPacket): void
    /**
     * A PUBLISH over maxPacketSize (size: the whole frame, bytes) was counted through unstored:
     * acknowledged per its QoS, not delivered, once per arrival.
     */
    oversize(topic: string, size: number, limit: number): void
    /** Something went wrong that no single operation owns (refused, timeouts, protocol violation). */
    error(e: Error): void
}

export interface SessionStats {
    /** CONNACKs accepted. */
    connects: number
    /** Connection attempts after the first. */
    reconnects: number
    /** PUBLISH packets written for the first time. */
    messagesSent: number
    /** PUBLISH resent with DUP=1 after a reconnect. */
    messagesResent: number
    /** QoS 1/2 publishes completed (PUBACK / PUBCOMP). */
    messagesAcked: number
    /** Messages delivered to the application. */
    messagesReceived: number
    /** Inbound QoS 2 PUBLISH for an id still held (not delivered again, 4.3.3). */
    duplicatesIgnored: number
    /** QoS 0 messages the outbox policy dropped. */
    droppedQos0: number
    packetsSent: number
    packetsReceived: number
    bytesSent: number
    bytesReceived: number
    pingsSent: number
    pingTimeouts: number
    protocolErrors: number
    /** QoS 1/2 messages awaiting acknowledgement now. */
    inflight: number
    /** Messages in the outbox now. */
    queued: number
}

export const enum SessionState {
    /** Created, start() not called yet. */
    NEW = 0,
    /** No stream; a reconnect may be scheduled. */
    WAITING = 1,
    /** Stream requested, not open yet. */
    OPENING = 2,
    /** CONNECT written, waiting for CONNACK. */
    CONNECTING = 3,
    CONNECTED = 4,
    /** end() was called; terminal. */
    ENDED = 5,
}

export interface PendingOp {
    kind: PacketType.SUBSCRIBE | PacketType.UNSUBSCRIBE
    /** 0 until the packet is first written. */
    packetId: number
    /** SUBSCRIBE's filters with their QoS; undefined for UNSUBSCRIBE. */
    subs: Subscription[] | undefined
    /** UNSUBSCRIBE's filters; undefined for SUBSCRIBE. */
    filters: string[] | undefined
    /** undefined for the session's own resubscribe. */
    done: SubscribeCallback | undefined
}

/**
 * The SessionStats fields, as one string: a zeroed object built by a loop costs less board
 * bytecode than an object literal of 17 fields.
 */
const STAT_NAMES =
    "connects reconnects messagesSent messagesResent messagesAcked messagesReceived duplicatesIgnored droppedQos0 packetsSent packetsReceived bytesSent bytesReceived pingsSent pingTimeouts protocolErrors inflight queued"

export function ended(what: string): MqttClientError {
    return new MqttClientError(ClientErrorCode.CLIENT_ENDED, "client ended before " + what + " completed")
}

/** max is 1 for SessionCore, 2 for Session. */
function checkQos(qos: number, max: number): void {
    // the mask also refuses fractions, NaN and non-numbers
    if (!((qos & 3) === qos && qos <= max))
        throw invalid("qos must be 0.." + max + (max < 2 ? " (QoS 2 needs Session, not SessionCore)" : ""))
}

/** A non-empty array of topic filters (or subscriptions) to (un)subscribe. */
export function checkFilters(list: any[]): void {
    if (!Array.isArray(list) || list.length === 0) throw invalid("topic filter must be a string or a non-empty array")
}

/** One topic filter: a string (INVALID_ARGUMENT) that follows 4.7 (the codec's MqttProtocolError). */
export function checkTopicFilter(filter: string): void {
    checkArg(filter, "a string", "topic filter")
    validateTopicFilter(filter)
}

export class SessionCore {
    opts: SessionOptions
    clock: Clock
    sink: SessionSink
    frames: FrameAssembler
    ids: PacketIds
    backoff: Backoff
    outbox: Outbox
    st: SessionStats

    /** Read-only outside (a field rather than a getter method: methods cost board bytecode). */
    state: SessionState
    /**
     * Bumped whenever a stream is opened or dropped, so inputs from an old stream are ignored; the
     * driver tags stream events with it. Read-only outside.
     */
    gen: number
    /**
     * The deadlines and clock readings below are declared, not initialised: each is set before the
     * state that reads it (WAITING, OPENING..CONNECTING, CONNECTED) is entered.
     */
    declare reconnectAt: number
    declare connectDeadline: number
    /** When the current connection's CONNACK was accepted; set by onConnack(), read only while CONNECTED. */
    declare connectedAt: number
    declare lastSent: number
    declare lastReceived: number
    /** When the outstanding PINGREQ was sent; -1 when none is outstanding. */
    pingSentAt: number
    keepaliveMs: number
    pingTimeoutMs: number

    /** Outgoing QoS 1/2 messages in the order they were first sent (4.4 resend order). */
    inflight: OutMessage[]
    /** Subscriptions the application wants; restored when the broker reports no session. */
    subs: Subscription[]
    ops: PendingOp[]
    /** Completed QoS 1/2 records, reused by the next publishes. */
    spare: OutMessage[]
    /** Highest QoS publish() and subscribe() accept: 1 here, 2 in Session. */
    maxQos: number
    /** Inbound QoS 1 PUBACKs not sent yet (runs of ids, held-acks.ts); only with opts.backlog. */
    held: number[] | undefined
    /** clock time a held PUBACK was last released. */
    ackReleasedAt: number

    constructor(opts: SessionOptions, clock: Clock, random: Random, sink: SessionSink) {
        // a whole number (3.1.2.10: a 16-bit field); 1.5 used to pass here and then throw from the
        // encoder inside onOpen(), as a connection that never completed
        if ((opts.keepalive & 0xffff) !== opts.keepalive) throw invalid("keepalive must be a whole number of seconds, 0..65535")
        // checked here rather than when CONNECT is encoded, so a bad configuration fails at once
        // instead of as a connection that never completes
        if (opts.clientId.length === 0 && !opts.clean) throw invalid("an empty client id needs clean: true (3.1.3-7)")
        if (opts.password !== undefined && opts.username === undefined) throw invalid("a password needs a user name (3.1.2-22)")
        if (opts.backlog) this.held = []
        if (opts.will) {
            validateTopicName(opts.will.topic)
            // the will is the broker's to deliver, so its QoS 2 needs nothing from this client
            checkQos(opts.will.qos, 2)
        }
        this.opts = opts
        this.clock = clock
        this.sink = sink
        this.frames = new FrameAssembler(opts.maxPacketSize)
        this.ids = newPacketIds()
        this.backoff = newBackoff(opts.reconnectMin, opts.reconnectMax, random)
        // a zeroed object built by a loop over one string costs less board bytecode than an
        // object literal of 17 fields
        const st: any = {}
        for (const k of STAT_NAMES.split(" ")) st[k] = 0
        this.st = st
        const self = this
        this.outbox = newOutbox(opts.outboxMaxMessages, opts.outboxMaxBytes, function (m: OutMessage) {
            self.st.droppedQos0++
            if (m.done)
                finish(
                    self,
                    m.done,
                    new MqttClientError(ClientErrorCode.QOS0_DROPPED, "QoS 0 message to " + m.topic + " dropped: outbox full")
                )
        })
        this.state = SessionState.NEW
        this.gen = 0
        this.pingSentAt = -1
        this.keepaliveMs = opts.keepalive * 1000
        this.pingTimeoutMs = opts.pingTimeout === undefined ? Math.floor(this.keepaliveMs / 2) : opts.pingTimeout
        this.inflight = []
        this.subs = []
        this.ops = []
        this.spare = []
        this.maxQos = 1
        this.ackReleasedAt = 0
    }

    // ---------------------------------------------------------------- queries
    // (the board never asks for state, stats or the subscription list: those queries are Session's,
    // since every method of a class the firmware links is compiled into its image)

    /** The clock time at which tick() has something to do; -1 for never. */
    nextDeadline(): number {
        switch (this.state) {
            case SessionState.WAITING:
                return this.reconnectAt
            case SessionState.OPENING:
            case SessionState.CONNECTING:
                return this.connectDeadline
            case SessionState.CONNECTED: {
                const k = keepaliveDeadline(this)
                if (this.held === undefined || this.held.length === 0) return k
                // a held PUBACK may go once the link is quiet, or a poll while the application is busy
                const quiet = quietSince(this) + ACK_GAP_MS
                const now = this.clock.now()
                const a = quiet > now ? quiet : now + ACK_POLL_MS
                return k < 0 || a < k ? a : k
            }
            default:
                return -1
        }
    }

    // ---------------------------------------------------------------- driver inputs

    /** Opens the first connection. */
    start(): void {
        if (this.state === SessionState.NEW) openStream(this)
    }

    onOpen(): void {
        if (this.state !== SessionState.OPENING) return
        this.state = SessionState.CONNECTING
        const o = this.opts
        const p: ConnectPacket = {
            type: PacketType.CONNECT,
            clientId: o.clientId,
            cleanSession: o.clean,
            keepalive: o.keepalive,
            username: o.username,
            password: o.password,
            will: o.will,
        }
        send(this, encodeConnect(p))
    }

    onData(chunk: Buffer): void {
        if (this.state !== SessionState.CONNECTING && this.state !== SessionState.CONNECTED) return
        this.st.bytesReceived += chunk.length
        this.lastReceived = this.clock.now()
        // any bytes prove the link is alive, so an outstanding PINGREQ no longer matters (its
        // PINGRESP may wait behind a long PUBLISH that is still arriving)
        this.pingSentAt = -1
        this.frames.push(chunk)
        const gen = this.gen
        while (true) {
            let p: Packet | undefined
            try {
                p = this.frames.next()
            } catch (e) {
                violation(this, "malformed packet: " + (e as Error).message)
                return
            }
            if (p === undefined) return
            this.onPacket(p)
            // a handler may have dropped the stream (violation, end(), refused CONNACK)
            if (gen !== this.gen) return
        }
    }

    /** One decoded packet from the broker (onData calls this; tests may call it directly). */
    onPacket(p: Packet): void {
        this.st.packetsReceived++
        if (this.state === SessionState.CONNECTING) {
            // 3.2: the first packet from the server is CONNACK
            if (p.type !== PacketType.CONNACK) {
                violation(this, "expected CONNACK, got packet type " + p.type)
                return
            }
            onConnack(this, p as ConnackPacket)
            return
        }
        if (this.state !== SessionState.CONNECTED) return
        switch (p.type) {
            case PacketType.PUBLISH: {
                // QoS 2 flows are Session's (onQos2OrUnsuback)
                const pub = p as PublishPacket
                if (pub.qos === 2) break
                deliver(this, pub)
                // 4.3.2: deliver, then acknowledge (a redelivery is allowed: at least once); with a
                // backlog, once the application has caught up (held-acks.ts)
                if (pub.qos !== 1) return
                // a QoS 1 PUBLISH has a packet id (3.3.2.2; the decoder checks it)
                if (this.held !== undefined) holdAck(this.held, pub.packetId as number)
                else send(this, encodeAck(PacketType.PUBACK, pub.packetId as number))
                return
            }
            case PacketType.PUBACK: {
                // 4.3.2: QoS 1 ends with PUBACK. An ack for an id we do not hold (e.g. after a clean
                // reconnect) is ignored.
                const id = (p as PacketIdOnlyPacket).packetId
                const i = findInflight(this, id)
                if (i < 0) return
                if (this.inflight[i].state !== OutState.AWAIT_PUBACK) violation(this, "PUBACK for QoS 2 message " + id)
                else complete(this, i)
                return
            }
            case PacketType.SUBACK:
                onSuback(this, p as SubackPacket)
                return
            case PacketType.PINGRESP:
                return
        }
        if (this.onQos2OrUnsuback(p)) return
        // CONNECT, SUBSCRIBE, UNSUBSCRIBE, PINGREQ, DISCONNECT go client->server only; a second
        // CONNACK (3.2); and for SessionCore, QoS 2 packets and UNSUBACK it never asked for (a
        // subscription granted QoS 1 at most gets QoS 1 at most, 3.8.4)
        violation(this, "the broker sent packet type " + p.type + ", which this client does not expect here")
    }

    /** PUBLISH with QoS 2, PUBREC, PUBREL, PUBCOMP, UNSUBACK: handled by Session; false = not expected. */
    onQos2OrUnsuback(p: Packet): boolean {
        return false
    }

    /** The current stream closed (or failed to open). */
    onClose(reason: string): void {
        const s = this.state
        // a stream is open or opening in OPENING, CONNECTING and CONNECTED (2..4)
        if (s < SessionState.OPENING || s > SessionState.CONNECTED) return
        this.gen++
        goOffline(this, reason, undefined)
    }

    /** Runs what is due at the clock's current time: reconnect, CONNACK timeout, PINGREQ, PINGRESP timeout. */
    tick(): void {
        const now = this.clock.now()
        const s = this.state
        if (s === SessionState.CONNECTED) {
            // due: keepalive since the older of the last packet sent and received (3.1.2.10: the
            // client must send something within keepalive; pinging when nothing has been RECEIVED for
            // keepalive as well is what finds a half-open link under QoS 0 traffic), or the PINGRESP
            // timeout of an outstanding PINGREQ
            const k = keepaliveDeadline(this)
            if (k >= 0 && now >= k) {
                if (this.pingSentAt >= 0) {
                    this.st.pingTimeouts++
                    drop(
                        this,
                        new MqttClientError(
                            ClientErrorCode.PING_TIMEOUT,
                            "no PINGRESP within " + this.pingTimeoutMs + " ms: connection taken as lost"
                        )
                    )
                    return
                }
                send(this, encodeHeaderOnly(PacketType.PINGREQ))
                this.st.pingsSent++
                this.pingSentAt = now
            }
            // the oldest held PUBACK goes if the application has nothing waiting and the link is quiet
            const h = this.held
            if (
                h === undefined ||
                h.length === 0 ||
                (this.opts as Required<SessionOptions>).backlog() > 0 ||
                now - quietSince(this) < ACK_GAP_MS
            )
                return
            this.ackReleasedAt = now
            send(this, encodeAck(PacketType.PUBACK, takeAck(h)))
            return
        }
        // WAITING: the reconnect; OPENING, CONNECTING: the CONNACK timeout (NEW, ENDED: never)
        const d = this.nextDeadline()
        if (d < 0 || now < d) return
        if (s === SessionState.WAITING) {
            this.st.reconnects++
            openStream(this)
        } else drop(this, new MqttClientError(ClientErrorCode.CONNECT_TIMEOUT, "no CONNACK within " + this.opts.connectTimeout + " ms"))
    }

    // ---------------------------------------------------------------- application inputs

    /**
     * Publishes a message (a string payload is sent as its UTF-8 bytes, an array of strings as
     * theirs one after the other, never joined). QoS 0 completes when
     * written (or when dropped by the outbox policy); QoS 1 on PUBACK, QoS 2 on PUBCOMP, across
     * reconnects. Throws, touching nothing, for bad arguments (INVALID_ARGUMENT naming the
     * argument, or the codec's MqttProtocolError for a topic breaking 4.7), after end(), or
     * OUTBOX_FULL for a QoS 1/2 message that does not fit.
     */
    publish(topic: string, payload: Payload, qos: QoS, retain: boolean, done: DoneCallback | undefined): void {
        if (this.state === SessionState.ENDED) throw ended("publish")
        // every argument is checked before a packet id is taken or anything is queued: a message
        // that fails later (in the encoder) would hold its id in the window, or block the outbox
        checkArg(topic, "a string", "topic")
        // "object": an array of strings (a text in parts); checking each item would cost every publish
        checkArg(payload, "a string, a Buffer or an object", "payload")
        checkArg(retain, "a boolean", "retain")
        checkArg(done, "a function or undefined", "callback")
        checkQos(qos, this.maxQos)
        validateTopicName(topic)
        // message records are recycled (at most a window's worth are kept, recycle()), so a
        // steady pipelined stream allocates nothing per message beyond the packet buffer
        const m = this.spare.pop() || ({} as OutMessage)
        m.topic = topic
        // kept as given: a long text goes to the socket as it is (writePublish)
        m.payload = payload
        m.qos = qos
        m.retain = retain
        m.packetId = 0
        m.state = OutState.QUEUED
        m.done = done
        // connected, QoS 0 goes at once; QoS 1/2 if the window has room and nothing waits in the
        // outbox (nothing overtakes a message already waiting there)
        if (
            this.state === SessionState.CONNECTED &&
            (qos === 0 || (this.inflight.length < this.opts.inflightWindow && this.outbox.items.length === 0))
        ) {
            transmit(this, m)
            return
        }
        outboxAdd(this.outbox, m)
    }

    /** Subscribes; done gets the SUBACK codes, or SUBSCRIBE_FAILED if any filter got 0x80. */
    subscribe(subs: Subscription[], done: SubscribeCallback | undefined): void {
        if (this.state === SessionState.ENDED) throw ended("subscribe")
        checkArg(done, "a function or undefined", "callback")
        checkFilters(subs)
        for (const s of subs) {
            checkTopicFilter(s.filter)
            checkQos(s.qos, this.maxQos)
        }
        for (const s of subs) {
            let known = false
            for (const t of this.subs) {
                if (t.filter === s.filter) {
                    t.qos = s.qos
                    known = true
                }
            }
            if (!known) this.subs.push({ filter: s.filter, qos: s.qos })
        }
        addOp(this, { kind: PacketType.SUBSCRIBE, packetId: 0, subs, filters: undefined, done })
    }

    // ---------------------------------------------------------------- hooks Session overrides

    /** Session forgets its inbound QoS 2 ids here. */
    onSessionLost(): void {}

    /** SUBSCRIBE; Session adds UNSUBSCRIBE. */
    encodeOp(op: PendingOp): Buffer {
        return encodeSubscribe({ type: PacketType.SUBSCRIBE, packetId: op.packetId, subscriptions: op.subs as Subscription[] })
    }
}

// ---------------------------------------------------------------- SessionCore's steps
// Free functions over the session's fields rather than methods: a method costs the board ~12 B
// more in the compiler-made prototype. Only src/mqtt calls them; the fields they use are public
// for them and read-only for everyone else.

export function keepaliveDeadline(sess: SessionCore): number {
    if (sess.keepaliveMs === 0) return -1
    if (sess.pingSentAt >= 0) return sess.pingSentAt + sess.pingTimeoutMs
    return (sess.lastSent < sess.lastReceived ? sess.lastSent : sess.lastReceived) + sess.keepaliveMs
}

export function quietSince(sess: SessionCore): number {
    return sess.lastReceived > sess.ackReleasedAt ? sess.lastReceived : sess.ackReleasedAt
}

/**
 * Runs an application callback. One that throws must not leave the session half-way through
 * an input (the rest of a chunk unprocessed, an ack unsent), so its error becomes error().
 */
export function finish(sess: SessionCore, done: SubscribeCallback, err: Error | undefined, codes?: number[]): void {
    try {
        done(err, codes)
    } catch (e) {
        sess.sink.error(e as Error)
    }
}

/** From NEW or WAITING, whose stream state the constructor or goOffline() has already reset. */
export function openStream(sess: SessionCore): void {
    sess.state = SessionState.OPENING
    sess.gen++
    sess.connectDeadline = sess.clock.now() + sess.opts.connectTimeout
    sess.sink.openStream()
}

/** The session decided to close: report why, close the stream, go offline. */
export function drop(sess: SessionCore, err: MqttClientError): void {
    sess.gen++
    sess.sink.closeStream()
    goOffline(sess, err.message, err)
    sess.sink.error(err)
}

export function violation(sess: SessionCore, what: string): void {
    sess.st.protocolErrors++
    drop(sess, new MqttClientError(ClientErrorCode.PROTOCOL_VIOLATION, "protocol violation by the broker: " + what))
}

export function goOffline(sess: SessionCore, reason: string, err: MqttClientError | undefined): void {
    const now = sess.clock.now()
    // only a connection that lasted resets the backoff (backoff.ts)
    if (sess.state === SessionState.CONNECTED && now - sess.connectedAt >= STABLE_CONNECTION_MS) resetBackoff(sess.backoff)
    sess.state = SessionState.WAITING
    sess.frames.reset()
    // the connection's PUBACKs mean nothing on the next one (the broker resends)
    if (sess.held !== undefined) sess.held = []
    sess.pingSentAt = -1
    sess.reconnectAt = sess.opts.reconnectMin > 0 ? now + nextBackoff(sess.backoff) : -1
    sess.sink.disconnected(reason, err)
}

export function onConnack(sess: SessionCore, p: ConnackPacket): void {
    if (p.returnCode !== 0) {
        drop(sess, connectionRefused(p.returnCode))
        return
    }
    // 3.2.2-1: with CleanSession=1 the server must report no session
    if (sess.opts.clean && p.sessionPresent) {
        violation(sess, "session present with CleanSession=1 (3.2.2-1)")
        return
    }
    const now = sess.clock.now()
    sess.state = SessionState.CONNECTED
    sess.st.connects++
    sess.connectedAt = now
    sess.lastReceived = now
    const gen = sess.gen
    if (!p.sessionPresent) {
        // the broker has no session: our subscriptions are gone with it
        sess.onSessionLost()
        // subscribe again to every filter not already being subscribed; an earlier restore that
        // never got its SUBACK is superseded by sess one
        for (let i = sess.ops.length - 1; i >= 0; i--) {
            const op = sess.ops[i]
            if (op.kind === PacketType.SUBSCRIBE && !op.done) {
                if (op.packetId !== 0) releaseId(sess.ids, op.packetId)
                removeAt(sess.ops, i)
            }
        }
        const missing: Subscription[] = []
        for (const s of sess.subs) {
            let pending = false
            for (const op of sess.ops)
                if (op.kind === PacketType.SUBSCRIBE) for (const t of op.subs as Subscription[]) if (t.filter === s.filter) pending = true
            if (!pending) missing.push({ filter: s.filter, qos: s.qos })
        }
        if (missing.length > 0)
            sess.ops.push({ kind: PacketType.SUBSCRIBE, packetId: 0, subs: missing, filters: undefined, done: undefined })
    }
    // 4.4: resend unacknowledged PUBLISH (DUP=1) and PUBREL in their original order
    for (const m of sess.inflight) {
        if (gen !== sess.gen) return
        if (m.state === OutState.AWAIT_PUBCOMP) send(sess, encodeAck(PacketType.PUBREL, m.packetId))
        else {
            writePublish(sess, m, true)
            sess.st.messagesResent++
        }
    }
    for (const op of sess.ops) {
        if (gen !== sess.gen) return
        sendOp(sess, op)
    }
    pump(sess)
    if (gen !== sess.gen) return
    sess.sink.connected(p.sessionPresent)
}

export function send(sess: SessionCore, b: Buffer): void {
    sess.st.packetsSent++
    sess.st.bytesSent += b.length
    sess.lastSent = sess.clock.now()
    sess.sink.write(b)
}

/**
 * A text payload over SPLIT_TEXT characters, or in parts, goes out as the packet's header and then
 * the text (SessionSink.write), so no block of the whole packet or text is needed: in the board's
 * 64 KB heap, which never moves anything, such blocks were what ran out (docs/faults.md, "Memory").
 */
function writePublish(sess: SessionCore, m: OutMessage, dup: boolean): void {
    const p = m.payload
    const split = Array.isArray(p) || (typeof p === "string" && (p as string).length > SPLIT_TEXT)
    send(sess, encodePublish(m.topic, p, m.qos, m.retain, dup, m.packetId, split))
    if (!split) return
    sess.st.bytesSent += utf8Length(p as string)
    sess.sink.write(p)
}

/** Writes a message for the first time: QoS 0 is then complete, QoS 1/2 enters the window. */
export function transmit(sess: SessionCore, m: OutMessage): void {
    const qos = m.qos
    if (qos > 0) {
        m.packetId = allocateId(sess.ids)
        m.state = qos === 1 ? OutState.AWAIT_PUBACK : OutState.AWAIT_PUBREC
        sess.inflight.push(m)
    }
    writePublish(sess, m, false)
    sess.st.messagesSent++
    if (qos > 0) return
    const done = m.done
    recycle(sess, m)
    if (done) finish(sess, done, undefined)
}

/** Moves messages from the outbox onto the wire while connected and the window has room. */
export function pump(sess: SessionCore): void {
    while (sess.state === SessionState.CONNECTED) {
        const m = sess.outbox.items[0]
        if (!m || (m.qos > 0 && sess.inflight.length >= sess.opts.inflightWindow)) return
        outboxShift(sess.outbox)
        transmit(sess, m)
    }
}

export function findInflight(sess: SessionCore, id: number): number {
    const f = sess.inflight
    for (let i = 0; i < f.length; i++) if (f[i].packetId === id) return i
    return -1
}

export function complete(sess: SessionCore, i: number): void {
    const m = sess.inflight[i]
    removeAt(sess.inflight, i)
    releaseId(sess.ids, m.packetId)
    sess.st.messagesAcked++
    const done = m.done
    recycle(sess, m)
    pump(sess)
    if (done) finish(sess, done, undefined)
}

export function recycle(sess: SessionCore, m: OutMessage): void {
    if (sess.spare.length >= sess.opts.inflightWindow) return
    // drop references so the pool keeps no payload alive; publish() sets every field again
    // before the record is used, so the casts never let an undefined be read
    m.payload = undefined as unknown as string
    m.done = undefined
    m.topic = undefined as unknown as string
    sess.spare.push(m)
}

/** To the application; a PUBLISH over maxPacketSize (acknowledged all the same) is only reported. */
export function deliver(sess: SessionCore, p: PublishPacket): void {
    if (p.oversize) {
        // only a limit below the protocol's own (opts.maxPacketSize given) makes a PUBLISH oversize
        sess.sink.oversize(p.topic, p.oversize, sess.opts.maxPacketSize as number)
        return
    }
    sess.st.messagesReceived++
    sess.sink.message(p)
}

export function forgetSub(sess: SessionCore, filter: string): void {
    for (let i = 0; i < sess.subs.length; i++) {
        if (sess.subs[i].filter === filter) {
            removeAt(sess.subs, i)
            return
        }
    }
}

export function addOp(sess: SessionCore, op: PendingOp): void {
    sess.ops.push(op)
    if (sess.state === SessionState.CONNECTED) sendOp(sess, op)
}

export function sendOp(sess: SessionCore, op: PendingOp): void {
    if (op.packetId === 0) op.packetId = allocateId(sess.ids)
    send(sess, sess.encodeOp(op))
}

/** The pending op with packet id `id`, removed; undefined when there is none (or, a violation, of another kind). */
export function takeOp(sess: SessionCore, id: number, kind: PacketType): PendingOp | undefined {
    for (let i = 0; i < sess.ops.length; i++) {
        const op = sess.ops[i]
        if (op.packetId === id) {
            if (op.kind !== kind) {
                violation(sess, "packet type " + kind + " answers a different request (id " + id + ")")
                return undefined
            }
            removeAt(sess.ops, i)
            releaseId(sess.ids, id)
            return op
        }
    }
    return undefined
}

export function onSuback(sess: SessionCore, p: SubackPacket): void {
    const op = takeOp(sess, p.packetId, PacketType.SUBSCRIBE)
    if (!op) return
    // takeOp() returned a SUBSCRIBE op, which always has its subs
    const subs = op.subs as Subscription[]
    const codes = p.returnCodes
    // 3.9.3: one return code per filter, in order
    if (codes.length !== subs.length) {
        violation(sess, "SUBACK with " + codes.length + " codes for " + subs.length + " filters")
        return
    }
    const failed: string[] = []
    for (let i = 0; i < codes.length; i++) {
        if (codes[i] === SUBACK_FAILURE) {
            const f = subs[i].filter
            forgetSub(sess, f)
            failed.push(f)
        }
    }
    const err =
        failed.length === 0
            ? undefined
            : new MqttClientError(
                  ClientErrorCode.SUBSCRIBE_FAILED,
                  "the broker refused the subscription to " + failed.join(", ") + " (SUBACK 0x80)"
              )
    if (op.done) finish(sess, op.done, err, codes)
    else if (err) sess.sink.error(err)
}
