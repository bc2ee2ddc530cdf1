// MqttClient: the complete MQTT 3.1.1 client (MqttClientCore plus QoS 2, unsubscribe, end(), statistics)
// in the MQTT.js idiom. Node (src/host), the tests and the benchmarks use it; a board firmware that
// needs QoS 0/1 only links MqttClientCore (docs/bytecode-size.md).

import { Clock, Completion, Random } from "../../io"
import {
    arm,
    ClientEvents,
    ClientPlatform,
    doneToCompletion,
    filterList,
    subscribeFilters,
    MessageHandler,
    MqttClientCore,
    SubscribeOptions,
} from "./client-core"
import { Listener } from "./client-emitter"
import { ClientOptions, withUrl } from "./client-options"
import { PublishPacket } from "../codec/packets"
import {
    DoneCallback,
    Session,
    SessionCore,
    SessionOptions,
    SessionSink,
    SessionState,
    SessionStats,
    SubscribeCallback,
} from "../session/session"
import { ended } from "../session/session-core"
import { checkArg } from "../session/session-errors"
import { removeAt } from "../session/session-util"
import { topicMatchesFilter } from "../codec/topics"

export type { ClientOptions } from "./client-options"
export type { ClientPlatform, MessageHandler, PublishOptions, SubscribeOptions, Timers } from "./client-core"
export { MqttClientCore } from "./client-core"

export type ClientStats = SessionStats

interface Route {
    filter: string
    fn: MessageHandler
}

export class MqttClient extends MqttClientCore {
    private routes: Route[] = []
    private connectWaiters: Completion<void>[] = []
    private idleWaiters: Completion<void>[] = []

    /** Takes the `url` option too (MqttClientCore takes host and port). */
    constructor(options: ClientOptions, platform: ClientPlatform) {
        super(withUrl(options), platform)
    }

    protected override newSession(opts: SessionOptions, clock: Clock, random: Random, sink: SessionSink): SessionCore {
        return new Session(opts, clock, random, sink)
    }

    /** MqttClientCore has none: the board listens for "connect" and "close". */
    isConnected(): boolean {
        return this.session.state === SessionState.CONNECTED
    }

    /** Removes a listener added with on() (MqttClientCore has no off(): the board never removes one). */
    off<K extends keyof ClientEvents>(event: K, fn: ClientEvents[K]): this {
        const l = this.listeners[event]
        if (l) {
            const i = l.indexOf(fn as Listener)
            if (i >= 0) removeAt(l, i)
        }
        return this
    }

    /** DISCONNECT (no will), close, fail what has not completed with CLIENT_ENDED. Call flush() first to wait for in-flight messages. */
    end(): void {
        if (this.timer !== undefined) this.timers.clear(this.timer)
        this.timer = undefined
        // before session.end(): its "disconnected" would settle them with a plain connection failure
        this.settle(this.connectWaiters, ended("connecting"))
        const session = this.session as Session
        session.end()
        this.settle(this.idleWaiters, undefined)
        this.emit("end")
    }

    /** Resolves once connected (at once if already); rejects if the next attempt fails or the client ends. */
    async whenConnected(): Promise<void> {
        if (this.session.state === SessionState.CONNECTED) return
        if (this.session.state === SessionState.ENDED) throw ended("connecting")
        const c = this.completions.create<void>()
        this.connectWaiters.push(c)
        await c.wait()
    }

    /** Resolves when nothing is queued, in flight or pending (every operation completed). */
    async flush(): Promise<void> {
        if ((this.session as Session).isIdle()) return
        const c = this.completions.create<void>()
        this.idleWaiters.push(c)
        await c.wait()
    }

    /** Connects now instead of waiting out the backoff (also after a close with reconnectPeriod 0). */
    reconnect(): void {
        ;(this.session as Session).reconnect()
        this.afterInput()
    }

    stats(): ClientStats {
        return (this.session as Session).stats()
    }

    async unsubscribe(filter: string | string[]): Promise<void> {
        const c = this.completions.create<void>()
        this.unsubscribeNoWait(filter, doneToCompletion(c))
        await c.wait()
    }

    override subscribeNoWait(filter: string | string[], opts?: SubscribeOptions, onDone?: SubscribeCallback): void {
        const filters = filterList(filter)
        const handler = opts ? opts.onMessage : undefined
        checkArg(handler, "a function or undefined", "onMessage")
        checkArg(onDone, "a function or undefined", "callback")
        if (!handler) {
            subscribeFilters(this, filters, opts, onDone)
            return
        }
        const self = this
        // a handler comes only with opts
        subscribeFilters(
            this,
            filters,
            { qos: (opts as SubscribeOptions).qos },
            function (err: Error | undefined, granted: number[] | undefined) {
                // a refused filter keeps no handler
                if (granted) for (let i = 0; i < granted.length; i++) if (granted[i] === 0x80) self.removeRoute(filters[i], handler)
                if (onDone) onDone(err, granted)
            }
        )
        // routes exist before SUBACK so retained messages that follow it are dispatched
        for (const f of filters) this.routes.push({ filter: f, fn: handler })
    }

    unsubscribeNoWait(filter: string | string[], onDone?: DoneCallback): void {
        const filters = filterList(filter)
        const session = this.session as Session
        session.unsubscribe(filters, onDone)
        for (const f of filters) this.removeRoute(f, undefined)
    }

    protected override dispatch(p: PublishPacket): void {
        this.emit("message", p.topic, p.payload, p)
        const r = this.routes
        for (let i = 0; i < r.length; i++) {
            if (topicMatchesFilter(p.topic, r[i].filter)) {
                try {
                    r[i].fn(p.topic, p.payload, p)
                } catch (e) {
                    this.emit("error", e)
                }
            }
        }
    }

    protected override connectSettled(failure: string | undefined, error: Error | undefined): void {
        // an attempt failed before CONNACK: whoever waits for a connection learns why
        this.settle(this.connectWaiters, failure === undefined ? undefined : error ? error : new Error("connection failed: " + failure))
    }

    override afterInput(): void {
        arm(this)
        if (this.idleWaiters.length > 0 && (this.session as Session).isIdle()) this.settle(this.idleWaiters, undefined)
    }

    private settle(list: Completion<void>[], err: Error | undefined): void {
        if (list.length === 0) return
        const all = list.slice(0)
        while (list.length > 0) list.pop()
        for (const c of all) {
            if (err) c.reject(err)
            else c.resolve(undefined)
        }
    }

    private removeRoute(filter: string, fn: MessageHandler | undefined): void {
        for (let i = this.routes.length - 1; i >= 0; i--) {
            const r = this.routes[i]
            if (r.filter === filter && (fn === undefined || r.fn === fn)) removeAt(this.routes, i)
        }
    }
}

/** Creates a client and starts connecting; listen for "connect" or await whenConnected(). */
export function connect(options: ClientOptions, platform: ClientPlatform): MqttClient {
    const c = new MqttClient(options, platform)
    c.start()
    return c
}
