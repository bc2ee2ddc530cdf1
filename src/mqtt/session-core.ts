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

import { Clock, Random } from "../io"
import { Backoff } from "./backoff"
import { encodeAck, encodeConnect, encodeHeaderOnly, encodePublish, encodeSubscribe } from "./encode"
import { FrameAssembler } from "./frames"
import { ACK_GAP_MS, ACK_POLL_MS, HeldAcks } from "./held-acks"
import { Outbox, OutMessage, OutState, DoneCallback } from "./outbox"
import { PacketIds } from "./packet-ids"
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
} from "./packets"
import { ClientErrorCode, connectionRefused, MqttClientError } from "./session-errors"
import { removeAt } from "./session-util"
import { validateTopicFilter, validateTopicName } from "./topics"

export type { DoneCallback } from "./outbox"

/** Completion of subscribe: granted holds the SUBACK return codes (0, 1, 2 or 0x80), one per filter. */
export type SubscribeCallback = (err: Error | undefined, granted: number[]) => void

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
     * held and released one at a time while it returns 0 (flow control: src/mqtt/held-acks.ts).
     */
    backlog?: () => number
}

/** What the session asks of its driver. Every method is called synchronously from a session input. */
export interface SessionSink {
    /** Open a new stream and report onOpen/onData/onClose for it (a previous stream is already closed). */
    openStream(): void
    /** Send one complete packet in one write. Must not throw: failures surface as onClose. */
    write(bytes: Buffer): void
    /** Close the current stream; the session already counts it as closed and ignores its onClose. */
    closeStream(): void
    /** CONNACK accepted; in-flight messages were resent and subscriptions restored. */
    connected(sessionPresent: boolean): void
    /** The stream is gone (or the client ended); reason is human-readable; error is set when the session closed it (then error() follows). */
    disconnected(reason: string, error: MqttClientError | undefined): void
    /** An application message arrived (delivered once per QoS 2 message). */
    message(p: PublishPacket): void
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
    /** set for SUBSCRIBE */
    subs: Subscription[] | undefined
    /** set for UNSUBSCRIBE */
    filters: string[] | undefined
    /** undefined for the session's own resubscribe. */
    done: SubscribeCallback | undefined
}

function newStats(): SessionStats {
    return {
        connects: 0,
        reconnects: 0,
        messagesSent: 0,
        messagesResent: 0,
        messagesAcked: 0,
        messagesReceived: 0,
        duplicatesIgnored: 0,
        droppedQos0: 0,
        packetsSent: 0,
        packetsReceived: 0,
        bytesSent: 0,
        bytesReceived: 0,
        pingsSent: 0,
        pingTimeouts: 0,
        protocolErrors: 0,
        inflight: 0,
        queued: 0,
    }
}

export function ended(what: string): MqttClientError {
    return new MqttClientError(ClientErrorCode.CLIENT_ENDED, "client ended before " + what + " completed")
}

/** max is 1 for SessionCore, 2 for Session. */
function checkQos(qos: number, max: number): void {
    if (qos === 0 || qos === 1 || (qos === 2 && max === 2)) return
    throw new MqttClientError(ClientErrorCode.INVALID_ARGUMENT, max === 2 ? "qos must be 0, 1 or 2" : "qos must be 0 or 1 (QoS 2 needs Session, not SessionCore)")
}

export class SessionCore {
    protected opts: SessionOptions
    protected clock: Clock
    protected sink: SessionSink
    protected frames: FrameAssembler
    protected ids: PacketIds
    protected backoff: Backoff
    protected outbox: Outbox
    protected st: SessionStats

    protected state: SessionState
    /** Bumped whenever a stream is opened or dropped, so inputs from an old stream are ignored. */
    protected gen: number
    protected reconnectAt: number
    protected connectDeadline: number
    protected lastSent: number
    protected lastReceived: number
    /** When the outstanding PINGREQ was sent; -1 when none is outstanding. */
    protected pingSentAt: number
    protected keepaliveMs: number
    protected pingTimeoutMs: number

    /** Outgoing QoS 1/2 messages in the order they were first sent (4.4 resend order). */
    protected inflight: OutMessage[]
    /** Subscriptions the application wants; restored when the broker reports no session. */
    protected subs: Subscription[]
    protected ops: PendingOp[]
    /** Completed QoS 1/2 records, reused by the next publishes. */
    protected spare: OutMessage[]
    /** Highest QoS publish() and subscribe() accept: 1 here, 2 in Session. */
    protected maxQos: number
    /** Inbound QoS 1 PUBACKs not sent yet; only with opts.backlog. */
    protected held: HeldAcks | undefined
    /** clock time a held PUBACK was last released. */
    protected ackReleasedAt: number

    constructor(opts: SessionOptions, clock: Clock, random: Random, sink: SessionSink) {
        // a whole number (3.1.2.10: a 16-bit field); 1.5 used to pass here and then throw from the
        // encoder inside onOpen(), as a connection that never completed
        if (!(opts.keepalive >= 0 && opts.keepalive <= 65535 && opts.keepalive === Math.floor(opts.keepalive)))
            throw new MqttClientError(ClientErrorCode.INVALID_ARGUMENT, "keepalive must be a whole number of seconds, 0..65535")
        // checked here rather than when CONNECT is encoded, so a bad configuration fails at once
        // instead of as a connection that never completes
        if (opts.clientId.length === 0 && !opts.clean)
            throw new MqttClientError(ClientErrorCode.INVALID_ARGUMENT, "an empty client id needs clean: true (3.1.3-7)")
        if (opts.password !== undefined && opts.username === undefined)
            throw new MqttClientError(ClientErrorCode.INVALID_ARGUMENT, "a password needs a user name (3.1.2-22)")
        if (opts.backlog) this.held = new HeldAcks()
        if (opts.will) {
            validateTopicName(opts.will.topic)
            // the will is the broker's to deliver, so its QoS 2 needs nothing from this client
            checkQos(opts.will.qos, 2)
        }
        this.opts = opts
        this.clock = clock
        this.sink = sink
        this.frames = new FrameAssembler(opts.maxPacketSize)
        this.ids = new PacketIds()
        this.backoff = new Backoff(opts.reconnectMin, opts.reconnectMax, random)
        this.st = newStats()
        const self = this
        this.outbox = new Outbox(opts.outboxMaxMessages, opts.outboxMaxBytes, function (m: OutMessage) {
            self.st.droppedQos0++
            if (m.done) self.finish(m.done, new MqttClientError(ClientErrorCode.QOS0_DROPPED, "QoS 0 message to " + m.topic + " dropped: outbox full"))
        })
        this.state = SessionState.NEW
        this.gen = 0
        this.reconnectAt = -1
        this.connectDeadline = -1
        this.lastSent = 0
        this.lastReceived = 0
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
        return this.inflight.length === 0 && this.outbox.size() === 0 && this.ops.length === 0
    }

    stats(): SessionStats {
        const s = this.st
        s.inflight = this.inflight.length
        s.queued = this.outbox.size()
        return { ...s }
    }

    /** Filters currently subscribed (or being subscribed), with their requested QoS. */
    subscriptions(): Subscription[] {
        return this.subs.slice(0)
    }

    /** The clock time at which tick() has something to do; -1 for never. */
    nextDeadline(): number {
        switch (this.state) {
            case SessionState.WAITING:
                return this.reconnectAt
            case SessionState.OPENING:
            case SessionState.CONNECTING:
                return this.connectDeadline
            case SessionState.CONNECTED: {
                const k = this.keepaliveDeadline()
                if (!this.held || this.held.isEmpty()) return k
                const a = this.ackDeadline()
                return k < 0 || a < k ? a : k
            }
            default:
                return -1
        }
    }

    private keepaliveDeadline(): number {
        if (this.keepaliveMs === 0) return -1
        if (this.pingSentAt >= 0) return this.pingSentAt + this.pingTimeoutMs
        return (this.lastSent < this.lastReceived ? this.lastSent : this.lastReceived) + this.keepaliveMs
    }

    /** When a held PUBACK may go: once the link is quiet, or a poll while the application is busy. */
    private ackDeadline(): number {
        const quiet = this.quietSince() + ACK_GAP_MS
        const now = this.clock.now()
        return quiet > now ? quiet : now + ACK_POLL_MS
    }

    private quietSince(): number {
        return this.lastReceived > this.ackReleasedAt ? this.lastReceived : this.ackReleasedAt
    }

    // ---------------------------------------------------------------- driver inputs

    /** Opens the first connection. */
    start(): void {
        if (this.state === SessionState.NEW) this.openStream()
    }

    /** Connects now instead of waiting for the backoff (or after a close with reconnect off). */
    reconnect(): void {
        if (this.state === SessionState.WAITING || this.state === SessionState.NEW) this.openStream()
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
        this.send(encodeConnect(p))
    }

    onData(chunk: Buffer): void {
        if (this.state !== SessionState.CONNECTING && this.state !== SessionState.CONNECTED) return
        this.st.bytesReceived += chunk.length
        this.lastReceived = this.clock.now()
        this.frames.push(chunk)
        const gen = this.gen
        while (true) {
            let p: Packet | undefined
            try {
                p = this.frames.next()
            } catch (e) {
                this.violation("malformed packet: " + (e as Error).message)
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
        // any packet proves the link is alive, so an outstanding PINGREQ no longer matters
        this.pingSentAt = -1
        if (this.state === SessionState.CONNECTING) {
            // 3.2: the first packet from the server is CONNACK
            if (p.type !== PacketType.CONNACK) {
                this.violation("expected CONNACK, got packet type " + p.type)
                return
            }
            this.onConnack(p as ConnackPacket)
            return
        }
        if (this.state !== SessionState.CONNECTED) return
        switch (p.type) {
            case PacketType.PUBLISH:
                // QoS 2 flows are Session's (onQos2OrUnsuback)
                if ((p as PublishPacket).qos === 2) break
                this.onPublish(p as PublishPacket)
                return
            case PacketType.PUBACK:
                this.onPuback((p as PacketIdOnlyPacket).packetId)
                return
            case PacketType.SUBACK:
                this.onSuback(p as SubackPacket)
                return
            case PacketType.PINGRESP:
                return
        }
        if (this.onQos2OrUnsuback(p)) return
        // CONNECT, SUBSCRIBE, UNSUBSCRIBE, PINGREQ, DISCONNECT go client->server only; a second
        // CONNACK (3.2); and for SessionCore, QoS 2 packets and UNSUBACK it never asked for (a
        // subscription granted QoS 1 at most gets QoS 1 at most, 3.8.4)
        this.violation("the broker sent packet type " + p.type + ", which this client does not expect here")
    }

    /** PUBLISH with QoS 2, PUBREC, PUBREL, PUBCOMP, UNSUBACK: handled by Session; false = not expected. */
    protected onQos2OrUnsuback(p: Packet): boolean {
        return false
    }

    /** The current stream closed (or failed to open). */
    onClose(reason: string): void {
        const s = this.state
        if (s !== SessionState.OPENING && s !== SessionState.CONNECTING && s !== SessionState.CONNECTED) return
        this.gen++
        this.goOffline(reason, undefined)
    }

    /** Runs what is due at the clock's current time: reconnect, CONNACK timeout, PINGREQ, PINGRESP timeout. */
    tick(): void {
        const now = this.clock.now()
        switch (this.state) {
            case SessionState.WAITING:
                if (this.reconnectAt >= 0 && now >= this.reconnectAt) {
                    this.st.reconnects++
                    this.openStream()
                }
                return
            case SessionState.OPENING:
            case SessionState.CONNECTING:
                if (now >= this.connectDeadline)
                    this.drop(new MqttClientError(ClientErrorCode.CONNECT_TIMEOUT, "no CONNACK within " + this.opts.connectTimeout + " ms"))
                return
            case SessionState.CONNECTED:
                this.keepalive(now)
                if (this.held) this.releaseAck(now)
                return
            default:
                return
        }
    }

    /** Sends the oldest held PUBACK if the application has nothing waiting and the link is quiet. */
    private releaseAck(now: number): void {
        // only called when held is set, and held is set only with opts.backlog
        const h = this.held as HeldAcks
        if (h.isEmpty() || (this.opts.backlog as () => number)() > 0 || now - this.quietSince() < ACK_GAP_MS) return
        this.ackReleasedAt = now
        this.send(encodeAck(PacketType.PUBACK, h.take()))
    }

    // ---------------------------------------------------------------- application inputs

    /**
     * Publishes a message. QoS 0 completes when written (or when dropped by the outbox policy);
     * QoS 1 on PUBACK, QoS 2 on PUBCOMP, across reconnects. Throws (queuing nothing) for bad
     * arguments, after end(), or OUTBOX_FULL for a QoS 1/2 message that does not fit.
     */
    publish(topic: string, payload: Buffer, qos: QoS, retain: boolean, done: DoneCallback | undefined): void {
        if (this.state === SessionState.ENDED) throw ended("publish")
        checkQos(qos, this.maxQos)
        const live = this.state === SessionState.CONNECTED
        if (qos === 0 && live) {
            // encodePublish checks the topic (4.7) before anything is sent or counted
            this.send(encodePublish(topic, payload, 0, retain, false, 0))
            this.st.messagesSent++
            if (done) this.finish(done, undefined)
            return
        }
        // checked before queuing: a bad topic must not wait in the outbox or take a packet id
        validateTopicName(topic)
        const m = this.newMessage(topic, payload, qos, retain, done)
        // the window keeps order: nothing overtakes messages already waiting in the outbox
        if (live && this.inflight.length < this.opts.inflightWindow && this.outbox.size() === 0) {
            this.transmit(m)
            return
        }
        this.outbox.add(m)
    }

    /** Subscribes; done gets the SUBACK codes, or SUBSCRIBE_FAILED if any filter got 0x80. */
    subscribe(subs: Subscription[], done: SubscribeCallback | undefined): void {
        if (this.state === SessionState.ENDED) throw ended("subscribe")
        if (subs.length === 0) throw new MqttClientError(ClientErrorCode.INVALID_ARGUMENT, "no topic filter")
        for (const s of subs) {
            validateTopicFilter(s.filter)
            checkQos(s.qos, this.maxQos)
        }
        for (const s of subs) this.rememberSub(s)
        this.addOp({ kind: PacketType.SUBSCRIBE, packetId: 0, subs, filters: undefined, done })
    }

    // ---------------------------------------------------------------- completions

    /**
     * Runs an application callback. One that throws must not leave the session half-way through
     * an input (the rest of a chunk unprocessed, an ack unsent), so its error becomes error().
     */
    protected finish(done: SubscribeCallback, err: Error | undefined, codes?: number[]): void {
        try {
            done(err, codes as number[]) // no codes only with an error or for UNSUBSCRIBE
        } catch (e) {
            this.sink.error(e as Error)
        }
    }

    // ---------------------------------------------------------------- connection lifecycle

    protected openStream(): void {
        this.state = SessionState.OPENING
        this.gen++
        this.frames.reset()
        this.pingSentAt = -1
        this.connectDeadline = this.clock.now() + this.opts.connectTimeout
        this.sink.openStream()
    }

    /** The session decided to close: report why, close the stream, go offline. */
    protected drop(err: MqttClientError): void {
        if (err.code === ClientErrorCode.PROTOCOL_VIOLATION) this.st.protocolErrors++
        else if (err.code === ClientErrorCode.PING_TIMEOUT) this.st.pingTimeouts++
        this.gen++
        this.sink.closeStream()
        this.goOffline(err.message, err)
        this.sink.error(err)
    }

    protected violation(what: string): void {
        this.drop(new MqttClientError(ClientErrorCode.PROTOCOL_VIOLATION, "protocol violation by the broker: " + what))
    }

    protected goOffline(reason: string, err: MqttClientError | undefined): void {
        this.state = SessionState.WAITING
        this.frames.reset()
        if (this.held) this.held.clear()
        this.pingSentAt = -1
        this.reconnectAt = this.opts.reconnectMin > 0 ? this.clock.now() + this.backoff.next() : -1
        this.sink.disconnected(reason, err)
    }

    protected onConnack(p: ConnackPacket): void {
        if (p.returnCode !== 0) {
            this.drop(connectionRefused(p.returnCode))
            return
        }
        // 3.2.2-1: with CleanSession=1 the server must report no session
        if (this.opts.clean && p.sessionPresent) {
            this.violation("session present with CleanSession=1 (3.2.2-1)")
            return
        }
        const now = this.clock.now()
        this.state = SessionState.CONNECTED
        this.st.connects++
        this.backoff.reset()
        this.lastReceived = now
        this.pingSentAt = -1
        const gen = this.gen
        if (!p.sessionPresent) {
            // the broker has no session: our subscriptions are gone with it
            this.onSessionLost()
            this.restoreSubscriptions()
        }
        // 4.4: resend unacknowledged PUBLISH (DUP=1) and PUBREL in their original order
        for (const m of this.inflight) {
            if (gen !== this.gen) return
            if (m.state === OutState.AWAIT_PUBCOMP) this.send(encodeAck(PacketType.PUBREL, m.packetId))
            else {
                this.send(encodePublish(m.topic, m.payload, m.qos, m.retain, true, m.packetId))
                this.st.messagesResent++
            }
        }
        for (const op of this.ops) {
            if (gen !== this.gen) return
            this.sendOp(op)
        }
        this.pump()
        if (gen !== this.gen) return
        this.sink.connected(p.sessionPresent)
    }

    /** Session forgets its inbound QoS 2 ids here. */
    protected onSessionLost(): void {}

    protected keepalive(now: number): void {
        const k = this.keepaliveMs
        if (k === 0) return
        if (this.pingSentAt >= 0) {
            if (now - this.pingSentAt >= this.pingTimeoutMs)
                this.drop(new MqttClientError(ClientErrorCode.PING_TIMEOUT, "no PINGRESP within " + this.pingTimeoutMs + " ms: connection taken as lost"))
            return
        }
        // 3.1.2.10: the client must send something within keepalive; pinging when nothing has
        // been RECEIVED for keepalive as well is what finds a half-open link under QoS 0 traffic
        if (now - this.lastSent >= k || now - this.lastReceived >= k) {
            this.send(encodeHeaderOnly(PacketType.PINGREQ))
            this.st.pingsSent++
            this.pingSentAt = now
        }
    }

    // ---------------------------------------------------------------- outgoing publish

    protected send(b: Buffer): void {
        this.st.packetsSent++
        this.st.bytesSent += b.length
        this.lastSent = this.clock.now()
        this.sink.write(b)
    }

    protected transmit(m: OutMessage): void {
        m.packetId = this.ids.allocate()
        m.state = m.qos === 1 ? OutState.AWAIT_PUBACK : OutState.AWAIT_PUBREC
        this.inflight.push(m)
        this.send(encodePublish(m.topic, m.payload, m.qos, m.retain, false, m.packetId))
        this.st.messagesSent++
    }

    /** Moves messages from the outbox onto the wire while connected and the window has room. */
    protected pump(): void {
        while (this.state === SessionState.CONNECTED) {
            const m = this.outbox.peek()
            if (!m) return
            if (m.qos === 0) {
                this.outbox.shift()
                this.send(encodePublish(m.topic, m.payload, 0, m.retain, false, 0))
                this.st.messagesSent++
                if (m.done) this.finish(m.done, undefined)
                continue
            }
            if (this.inflight.length >= this.opts.inflightWindow) return
            this.outbox.shift()
            this.transmit(m)
        }
    }

    protected findInflight(id: number): number {
        const f = this.inflight
        for (let i = 0; i < f.length; i++) if (f[i].packetId === id) return i
        return -1
    }

    protected complete(i: number): void {
        const m = this.inflight[i]
        removeAt(this.inflight, i)
        this.ids.release(m.packetId)
        this.st.messagesAcked++
        const done = m.done
        this.recycle(m)
        this.pump()
        if (done) this.finish(done, undefined)
    }

    /**
     * QoS 1/2 records are recycled (at most a window's worth are kept), so a steady pipelined
     * stream allocates nothing per message beyond the packet buffer.
     */
    protected newMessage(topic: string, payload: Buffer, qos: QoS, retain: boolean, done: DoneCallback | undefined): OutMessage {
        const m = this.spare.pop()
        if (!m) return { topic, payload, qos, retain, packetId: 0, state: OutState.QUEUED, done }
        m.topic = topic
        m.payload = payload
        m.qos = qos
        m.retain = retain
        m.packetId = 0
        m.state = OutState.QUEUED
        m.done = done
        return m
    }

    protected recycle(m: OutMessage): void {
        if (this.spare.length >= this.opts.inflightWindow) return
        // drop references so the pool keeps no payload alive
        // a spare is filled in again by newMessage() before anything reads it
        m.payload = undefined as any
        m.done = undefined
        m.topic = undefined as any
        this.spare.push(m)
    }

    /** 4.3.2: QoS 1 ends with PUBACK. An ack for an id we do not hold (e.g. after a clean reconnect) is ignored. */
    protected onPuback(id: number): void {
        const i = this.findInflight(id)
        if (i < 0) return
        if (this.inflight[i].state !== OutState.AWAIT_PUBACK) {
            this.violation("PUBACK for QoS 2 message " + id)
            return
        }
        this.complete(i)
    }

    // ---------------------------------------------------------------- incoming publish

    /** QoS 0 and 1 (QoS 2 is Session's). */
    protected onPublish(p: PublishPacket): void {
        this.st.messagesReceived++
        this.sink.message(p)
        // 4.3.2: deliver, then acknowledge (a redelivery is allowed: at least once); with a
        // backlog, once the application has caught up (held-acks.ts)
        if (p.qos !== 1) return
        // a QoS 1 PUBLISH always carries a packet id (decode.ts)
        if (this.held) this.held.hold(p.packetId as number)
        else this.send(encodeAck(PacketType.PUBACK, p.packetId as number))
    }

    // ---------------------------------------------------------------- subscriptions

    protected rememberSub(s: Subscription): void {
        for (const t of this.subs) {
            if (t.filter === s.filter) {
                t.qos = s.qos
                return
            }
        }
        this.subs.push({ filter: s.filter, qos: s.qos })
    }

    protected forgetSub(filter: string): void {
        for (let i = 0; i < this.subs.length; i++) {
            if (this.subs[i].filter === filter) {
                removeAt(this.subs, i)
                return
            }
        }
    }

    protected addOp(op: PendingOp): void {
        this.ops.push(op)
        if (this.state === SessionState.CONNECTED) this.sendOp(op)
    }

    protected sendOp(op: PendingOp): void {
        if (op.packetId === 0) op.packetId = this.ids.allocate()
        this.send(this.encodeOp(op))
    }

    /** SUBSCRIBE; Session adds UNSUBSCRIBE. */
    protected encodeOp(op: PendingOp): Buffer {
        // a SUBSCRIBE op always has subs (PendingOp)
        return encodeSubscribe({ type: PacketType.SUBSCRIBE, packetId: op.packetId, subscriptions: op.subs as Subscription[] })
    }

    /** The broker reported no session: subscribe again to every filter not already being subscribed. */
    protected restoreSubscriptions(): void {
        // an earlier restore that never got its SUBACK is superseded by this one
        for (let i = this.ops.length - 1; i >= 0; i--) {
            const op = this.ops[i]
            if (op.kind === PacketType.SUBSCRIBE && !op.done) {
                if (op.packetId !== 0) this.ids.release(op.packetId)
                removeAt(this.ops, i)
            }
        }
        const missing: Subscription[] = []
        for (const s of this.subs) if (!this.subscribePending(s.filter)) missing.push({ filter: s.filter, qos: s.qos })
        if (missing.length > 0) this.ops.push({ kind: PacketType.SUBSCRIBE, packetId: 0, subs: missing, filters: undefined, done: undefined })
    }

    protected subscribePending(filter: string): boolean {
        for (const op of this.ops) {
            if (op.kind !== PacketType.SUBSCRIBE) continue
            for (const s of op.subs as Subscription[]) if (s.filter === filter) return true
        }
        return false
    }

    protected takeOp(id: number, kind: PacketType): PendingOp | undefined {
        for (let i = 0; i < this.ops.length; i++) {
            const op = this.ops[i]
            if (op.packetId === id) {
                if (op.kind !== kind) {
                    this.violation("packet type " + kind + " answers a different request (id " + id + ")")
                    return undefined
                }
                removeAt(this.ops, i)
                this.ids.release(id)
                return op
            }
        }
        return undefined
    }

    protected onSuback(p: SubackPacket): void {
        const op = this.takeOp(p.packetId, PacketType.SUBSCRIBE)
        if (!op) return
        const codes = p.returnCodes
        const subs = op.subs as Subscription[] // takeOp(.., SUBSCRIBE) returned a SUBSCRIBE op
        // 3.9.3: one return code per filter, in order
        if (codes.length !== subs.length) {
            this.violation("SUBACK with " + codes.length + " codes for " + subs.length + " filters")
            return
        }
        let failed = ""
        for (let i = 0; i < codes.length; i++) {
            if (codes[i] === SUBACK_FAILURE) {
                const f = subs[i].filter
                this.forgetSub(f)
                failed = failed === "" ? f : failed + ", " + f
            }
        }
        const err = failed === "" ? undefined : new MqttClientError(ClientErrorCode.SUBSCRIBE_FAILED, "the broker refused the subscription to " + failed + " (SUBACK 0x80)")
        if (op.done) this.finish(op.done, err, codes)
        else if (err) this.sink.error(err)
    }
}
