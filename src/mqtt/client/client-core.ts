// The MQTT client API in the MQTT.js idiom, over the pure session and the platform interfaces of
// src/io.ts. MqttClientCore drives a SessionCore (QoS 0/1, subscribe): what a board firmware links.
// MqttClient (client.ts) adds QoS 2, unsubscribe, end() and statistics; Node and the benchmarks use it.
//
// The driver's whole job: open streams when the session asks, feed their events back tagged with
// the session's stream generation (so a late event of a dropped stream is ignored), keep ONE timer
// armed for session.nextDeadline(), and turn operation callbacks into Completions.
//
// DeviceScript has no Promise values, so every awaiting method has a callback twin that never
// waits (publishNoWait, subscribeNoWait, MqttClient's unsubscribeNoWait): a board can pipeline QoS 1/2
// publishes up to the in-flight window without holding a promise per message.

import { Clock, Completion, CompletionFactory, Payload, Random, Stream, StreamConnector, StreamEvents, StreamTarget } from "../../io"
import { Emitter } from "./client-emitter"
import { ClientOptions, resolveOptions } from "./client-options"
import { PublishPacket, QoS, Subscription } from "../codec/packets"
import { checkFilters, DoneCallback, SessionCore, SessionOptions, SessionSink, SubscribeCallback } from "../session/session-core"
import { checkArg, invalid, MqttClientError } from "../session/session-errors"

export type { ClientOptions } from "./client-options"

/** One-shot timers; defaults to the global setTimeout/clearTimeout (present in both runtimes). */
export interface Timers {
    set(fn: () => void, ms: number): any
    clear(handle: any): void
}

export interface ClientPlatform {
    connector: StreamConnector
    clock: Clock
    random: Random
    completions: CompletionFactory
    timers?: Timers
}

export interface PublishOptions {
    qos?: QoS
    retain?: boolean
}

/** Called as fn(topic, payload, packet). */
export type MessageHandler = (topic: string, payload: Buffer, packet: PublishPacket) => void

export interface SubscribeOptions {
    qos?: QoS
    /**
     * MqttClient only: called for each message whose topic matches this filter (in addition to the
     * "message" event). MqttClientCore has no per-filter routing and rejects it.
     */
    onMessage?: MessageHandler
}

/** One filter or a non-empty array of them, as an array (INVALID_ARGUMENT otherwise). */
/** What MqttClientCore.input() was called for. */
const enum Input {
    OPEN,
    DATA,
    CLOSE,
    TICK,
}

export function filterList(filter: string | string[]): string[] {
    const list = typeof filter === "string" ? [filter as string] : (filter as string[])
    checkFilters(list)
    return list
}

const globalTimers: Timers = {
    set: function (fn: () => void, ms: number): any {
        return setTimeout(fn, ms)
    },
    clear: function (handle: any): void {
        clearTimeout(handle)
    },
}

export function doneToCompletion(c: Completion<void>): DoneCallback {
    return function (err: Error | undefined) {
        if (err) c.reject(err)
        else c.resolve(undefined)
    }
}

/** The client's events and their listeners (MqttClientCore.on/off check against it). */
export interface ClientEvents {
    /** CONNACK accepted; sessionPresent as the broker reported it (3.2.2.2). */
    connect: (sessionPresent: boolean) => void
    /** The stream closed (every time, also for a failed attempt). */
    close: (reason: string) => void
    /** A connection that had reached CONNACK is gone. */
    offline: (reason: string) => void
    /** A new connection attempt starts. */
    reconnect: () => void
    message: (topic: string, payload: Buffer, packet: PublishPacket) => void
    /**
     * A PUBLISH over maxPacketSize arrived (size: the whole frame in bytes, limit: maxPacketSize):
     * it was acknowledged per its QoS and not delivered.
     */
    oversize: (topic: string, size: number, limit: number) => void
    error: (error: Error) => void
    /** MqttClient's end() was called. */
    end: () => void
}

export class MqttClientCore extends Emitter<ClientEvents> {
    session: SessionCore
    connector: StreamConnector
    clock: Clock
    completions: CompletionFactory
    timers: Timers
    target: StreamTarget

    // declared, not initialised (each costs board bytecode in the constructor): undefined reads
    // as "no stream", "not opening", "never connected", "no timer"; timerAt is read only with a timer
    /** undefined while no stream is open or opening. */
    declare stream: Stream | undefined
    declare opening: boolean
    declare openedWhileOpening: boolean
    declare wasConnected: boolean
    attempts: number

    declare timer: any
    declare timerAt: number
    onTimer: () => void

    constructor(options: ClientOptions, platform: ClientPlatform) {
        super()
        this.connector = platform.connector
        this.clock = platform.clock
        this.completions = platform.completions
        this.timers = platform.timers || globalTimers
        const resolved = resolveOptions(options, platform.random)
        this.target = resolved.target
        this.attempts = 0
        const self = this
        this.onTimer = function () {
            self.timer = undefined
            input(self, self.session.gen, Input.TICK, undefined)
        }
        const sink: SessionSink = {
            openStream: function () {
                openStream(self)
            },
            write: function (bytes: Payload) {
                const st = self.stream
                if (!st) return
                try {
                    st.write(bytes)
                } catch (e) {
                    // a Stream should report failures through onClose; if one throws instead, treat
                    // the link as lost, but outside this call: the session is in the middle of an input
                    self.stream = undefined
                    st.close()
                    failLater(self, self.session.gen, "write failed: " + (e as Error).message)
                }
            },
            closeStream: function () {
                const s = self.stream
                self.stream = undefined
                if (s) s.close()
            },
            connected: function (sessionPresent: boolean) {
                self.wasConnected = true
                self.connectSettled(undefined, undefined)
                self.emit("connect", sessionPresent)
            },
            disconnected: function (reason: string, error: MqttClientError | undefined) {
                self.stream = undefined
                self.emit("close", reason)
                if (self.wasConnected) {
                    self.wasConnected = false
                    self.emit("offline", reason)
                } else {
                    self.connectSettled(reason, error)
                }
            },
            message: function (p: PublishPacket) {
                self.dispatch(p)
            },
            oversize: function (topic: string, size: number, limit: number) {
                self.emit("oversize", topic, size, limit)
            },
            error: function (e: Error) {
                self.emit("error", e)
            },
        }
        this.session = this.newSession(resolved.session, platform.clock, platform.random, sink)
    }

    /**
     * A connection attempt reached CONNACK (failure undefined) or failed before it (failure = the
     * reason; error when the session closed it). MqttClient settles whenConnected() here.
     */
    protected connectSettled(failure: string | undefined, error: Error | undefined): void {}

    /** MqttClient makes a Session (QoS 2, unsubscribe) instead. */
    protected newSession(opts: SessionOptions, clock: Clock, random: Random, sink: SessionSink): SessionCore {
        return new SessionCore(opts, clock, random, sink)
    }

    /** Opens the first connection (connect() calls this). */
    start(): void {
        this.session.start()
        this.afterInput()
    }

    /** Publishes; resolves when written (QoS 0), on PUBACK (QoS 1) or PUBCOMP (QoS 2, MqttClient), across reconnects. */
    async publish(topic: string, payload: Payload, opts?: PublishOptions): Promise<void> {
        const c = this.completions.create<void>()
        this.publishNoWait(topic, payload, opts, doneToCompletion(c))
        await c.wait()
    }

    /**
     * Publishes without waiting: onDone(err) runs when publish() would resolve (err undefined) or
     * reject. Throws at once (queuing nothing) on a bad topic/qos, after end(), or OUTBOX_FULL
     * when a QoS 1/2 message does not fit the outbox.
     */
    publishNoWait(topic: string, payload: Payload, opts?: PublishOptions, onDone?: DoneCallback): void {
        // the session checks the rest (topic, payload, qos, retain, onDone) before it takes anything
        checkArg(opts, "an object or undefined", "options")
        let qos: QoS = 0
        let retain = false
        if (opts) {
            if (opts.qos !== undefined) qos = opts.qos
            if (opts.retain !== undefined) retain = opts.retain
        }
        this.session.publish(topic, payload, qos, retain, onDone)
    }

    /** Subscribes; resolves with the granted QoS per filter; rejects SUBSCRIBE_FAILED on SUBACK 0x80. */
    async subscribe(filter: string | string[], opts?: SubscribeOptions): Promise<number[]> {
        const c = this.completions.create<number[]>()
        this.subscribeNoWait(filter, opts, function (err: Error | undefined, granted: number[] | undefined) {
            if (err) c.reject(err)
            // a subscription without an error completed with its SUBACK, whose codes are here
            else c.resolve(granted as number[])
        })
        return await c.wait()
    }

    subscribeNoWait(filter: string | string[], opts?: SubscribeOptions, onDone?: SubscribeCallback): void {
        subscribeFilters(this, filterList(filter), opts, onDone)
    }

    // ---------------------------------------------------------------- driver

    /** After every input: keep the one timer right (MqttClient also wakes flush() waiters). */
    afterInput(): void {
        arm(this)
    }

    /** MqttClient also runs the handlers given to subscribe({ onMessage }). */
    protected dispatch(p: PublishPacket): void {
        this.emit("message", p.topic, p.payload, p)
    }
}

// ---------------------------------------------------------------- the driver's steps
// Free functions rather than methods: a method costs the board ~12 B more in the prototype.

function openStream(client: MqttClientCore): void {
    if (client.attempts > 0) client.emit("reconnect")
    client.attempts++
    const gen = client.session.gen
    const self = client
    const events: StreamEvents = {
        onOpen: function () {
            input(self, gen, Input.OPEN, undefined)
        },
        onData: function (chunk: Buffer) {
            input(self, gen, Input.DATA, chunk)
        },
        onClose: function (reason: string) {
            input(self, gen, Input.CLOSE, reason)
        },
    }
    client.opening = true
    client.openedWhileOpening = false
    let s: Stream
    try {
        s = client.connector.open(client.target, events)
    } catch (e) {
        // e.g. no network on the board: the same path as a connection that failed to open
        client.opening = false
        failLater(client, gen, "open failed: " + (e as Error).message)
        return
    }
    client.opening = false
    if (gen !== client.session.gen) {
        // closed while opening
        s.close()
        return
    }
    client.stream = s
    if (client.openedWhileOpening) client.session.onOpen()
}

/** Reports the stream of generation gen as closed, from a fresh timer callback (never re-entrantly). */
function failLater(client: MqttClientCore, gen: number, reason: string): void {
    const self = client
    client.timers.set(function () {
        input(self, gen, Input.CLOSE, reason)
    }, 0)
}

/**
 * Every input from a stream or the timer, in one place: ignored when it belongs to an older
 * stream (gen); an exception (only application callbacks can throw) becomes an "error" event
 * instead of stopping the board's program from inside a socket or timer fiber; then the one
 * timer is armed again.
 */
function input(client: MqttClientCore, gen: number, kind: Input, arg: any): void {
    const s = client.session
    if (gen !== s.gen) return
    if (kind === Input.OPEN && client.opening) {
        // the connector reported open before open() returned: finish once we have the stream
        client.openedWhileOpening = true
        return
    }
    if (kind === Input.CLOSE) client.stream = undefined
    try {
        if (kind === Input.OPEN) s.onOpen()
        else if (kind === Input.DATA) s.onData(arg)
        else if (kind === Input.CLOSE) s.onClose(arg)
        else s.tick()
    } catch (e) {
        client.emit("error", e)
    }
    client.afterInput()
}

export function arm(client: MqttClientCore): void {
    const d = client.session.nextDeadline()
    if (d < 0) {
        if (client.timer !== undefined) client.timers.clear(client.timer)
        client.timer = undefined
        return
    }
    // a timer that fires early is harmless (tick does nothing and re-arms), so deadlines that
    // only move later (keepalive after every write) cost no timer churn per message
    if (client.timer !== undefined) {
        if (client.timerAt <= d) return
        client.timers.clear(client.timer)
    }
    client.timerAt = d
    let delay = d - client.clock.now()
    if (delay < 0) delay = 0
    client.timer = client.timers.set(client.onTimer, delay)
}

export function subscribeFilters(
    client: MqttClientCore,
    filters: string[],
    opts: SubscribeOptions | undefined,
    onDone: SubscribeCallback | undefined
): void {
    checkArg(opts, "an object or undefined", "options")
    if (opts && opts.onMessage) throw invalid("onMessage needs MqttClient; MqttClientCore has only the message event")
    const qos: QoS = (opts && opts.qos) || 0
    const subs: Subscription[] = filters.map(function (f: string) {
        return { filter: f, qos }
    })
    client.session.subscribe(subs, onDone)
}
