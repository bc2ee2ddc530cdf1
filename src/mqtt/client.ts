// MqttClient: the complete MQTT 3.1.1 client (MqttClientCore plus QoS 2, unsubscribe, statistics)
// in the MQTT.js idiom. Node (src/host), the tests and the benchmarks use it; a board firmware that
// needs QoS 0/1 only links MqttClientCore (docs/bytecode-size.md).

import { Clock, Random } from "../io"
import { ClientPlatform, doneToCompletion, MqttClientCore } from "./client-core"
import { ClientOptions } from "./client-options"
import { DoneCallback, Session, SessionCore, SessionOptions, SessionSink, SessionStats } from "./session"

export type { ClientOptions } from "./client-options"
export type { ClientPlatform, MessageHandler, PublishOptions, SubscribeOptions, Timers } from "./client-core"
export { MqttClientCore } from "./client-core"

export type ClientStats = SessionStats

export class MqttClient extends MqttClientCore {
    protected override newSession(opts: SessionOptions, clock: Clock, random: Random, sink: SessionSink): SessionCore {
        return new Session(opts, clock, random, sink)
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
        ;(this.session as Session).unsubscribe(filters, onDone)
        for (const f of filters) this.removeRoute(f, undefined)
    }
}

/** Creates a client and starts connecting; listen for "connect" or await whenConnected(). */
export function connect(options: ClientOptions, platform: ClientPlatform): MqttClient {
    const c = new MqttClient(options, platform)
    c.start()
    return c
}
