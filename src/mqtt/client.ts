// MqttClient: the complete MQTT 3.1.1 client (MqttClientCore plus QoS 2, unsubscribe, end(), statistics)
// in the MQTT.js idiom. Node (src/host), the tests and the benchmarks use it; a board firmware that
// needs QoS 0/1 only links MqttClientCore (docs/bytecode-size.md).

import { Clock, Random } from "../io"
import { ClientPlatform, doneToCompletion, MqttClientCore } from "./client-core"
import { ClientOptions } from "./client-options"
import { DoneCallback, Session, SessionCore, SessionOptions, SessionSink, SessionStats } from "./session"
import { MqttClientError } from "./session-errors"

export type { ClientOptions } from "./client-options"
export type { ClientPlatform, MessageHandler, PublishOptions, SubscribeOptions, Timers } from "./client-core"
export { MqttClientCore } from "./client-core"

export type ClientStats = SessionStats

export class MqttClient extends MqttClientCore {
    protected override newSession(opts: SessionOptions, clock: Clock, random: Random, sink: SessionSink): SessionCore {
        return new Session(opts, clock, random, sink)
    }

    /** DISCONNECT (no will), close, fail what has not completed with CLIENT_ENDED. Call flush() first to wait for in-flight messages. */
    end(): void {
        if (this.timer !== undefined) this.timers.clear(this.timer)
        this.timer = undefined
        const session = this.session as Session
        session.end()
        const e = new MqttClientError("CLIENT_ENDED", "client ended")
        this.settle(this.connectWaiters, e)
        this.settle(this.idleWaiters, undefined)
        this.emit("end")
    }

    stats(): ClientStats {
        return this.session.stats()
    }

    async unsubscribe(filter: string | string[]): Promise<void> {
        const c = this.completions.create<void>()
        this.unsubscribeNoWait(filter, doneToCompletion(c))
        await c.wait()
    }

    unsubscribeNoWait(filter: string | string[], onDone?: DoneCallback): void {
        const filters = typeof filter === "string" ? [filter as string] : (filter as string[])
        const session = this.session as Session
        session.unsubscribe(filters, onDone)
        for (const f of filters) this.removeRoute(f, undefined)
    }
}

/** Creates a client and starts connecting; listen for "connect" or await whenConnected(). */
export function connect(options: ClientOptions, platform: ClientPlatform): MqttClient {
    const c = new MqttClient(options, platform)
    c.start()
    return c
}
