// Shared set-up for the fault tests: a real Mosquitto, our fault proxy in front of it, the device
// (this project's MQTT client, src/host/mqtt.ts) connected THROUGH the proxy, and a peer (npm mqtt,
// an independent implementation) connected to the broker directly. Traffic flows both ways at
// QoS 0, 1 and 2 while a fault is injected; the ledger then says, per direction and QoS, what was
// sent, what is missing and what was duplicated.
import { expect } from "vitest"
import mqtt, { type MqttClient as PeerClient } from "mqtt"
import { connect as connectCore, type ClientOptions, type MqttClient } from "../../../src/mqtt/client/client"
import { NodeStreamConnector } from "../../../src/host/node-stream"
import { nodeClock, nodeCompletions, nodeRandom } from "../../../src/host/node-platform"
import type { Random } from "../../../src/io"
import { startMosquitto, type Mosquitto } from "../../helpers/mosquitto"
import { startFaultProxy, type FaultProxy } from "../../helpers/fault-proxy"
import { afterMarker, until } from "../../helpers/wait"
export { until }

export const QOS = [0, 1, 2] as const
export type Qos = 0 | 1 | 2

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/** What one side received of the other's numbered messages, per QoS. */
export class Ledger {
    sent: Record<Qos, number> = { 0: 0, 1: 0, 2: 0 }
    got: Record<Qos, Map<number, number>> = { 0: new Map(), 1: new Map(), 2: new Map() }
    /** Publishes the sender's API rejected (reported, never silent). */
    rejected: Record<Qos, string[]> = { 0: [], 1: [], 2: [] }
    /**
     * Messages the broker refused on the wire: an MQTT 5 PUBACK/PUBREC with a reason code of 0x80 or
     * more, seen by the sender (seq -> reason code). The broker never took them on, so no delivery
     * is owed; missing() leaves them out.
     */
    refused: Record<Qos, Map<number, number>> = { 0: new Map(), 1: new Map(), 2: new Map() }
    /** Markers that came through (payloads "marker..."), kept apart from the numbered messages. */
    markers: string[] = []

    /** Records one payload: a marker, or a numbered message at this QoS. */
    payload(qos: Qos, text: string): void {
        if (text.startsWith("marker")) this.markers.push(text)
        else this.receive(qos, Number(text))
    }

    receive(qos: Qos, seq: number): void {
        this.got[qos].set(seq, (this.got[qos].get(seq) ?? 0) + 1)
    }
    missing(qos: Qos): number[] {
        const out: number[] = []
        for (let s = 0; s < this.sent[qos]; s++) if (!this.got[qos].has(s) && !this.refused[qos].has(s)) out.push(s)
        return out
    }
    duplicates(qos: Qos): number {
        let d = 0
        for (const n of this.got[qos].values()) d += n - 1
        return d
    }
    /** True once every QoS 1 and 2 message sent so far has arrived. */
    complete(): boolean {
        return this.missing(1).length === 0 && this.missing(2).length === 0
    }
    summary(): string {
        return QOS.map((q) => {
            const refused = this.refused[q].size ? `, ${this.refused[q].size} refused by the broker` : ""
            return `q${q} ${this.got[q].size}/${this.sent[q]} arrived, ${this.missing(q).length} lost${refused}, ${this.duplicates(q)} dup`
        }).join("; ")
    }
}

export interface DeviceLog {
    connects: number[]
    closes: { at: number; reason: string }[]
    errors: { at: number; code: string; message: string }[]
}

export interface Rig {
    broker: Mosquitto
    proxy: FaultProxy
    device: MqttClient
    /** The options the device was started with. */
    options: ClientOptions
    peer: PeerClient
    log: DeviceLog
    /** Messages device -> peer and peer -> device. */
    up: Ledger
    down: Ledger
    /** Publishes one numbered message at this QoS each way. */
    sendOne(qos: Qos): void
    /** Sends `perQos` messages per QoS each way, one round every `intervalMs`; `midway` runs concurrently from a third of the way. */
    traffic(perQos: number, intervalMs: number, midway?: () => Promise<void> | void): Promise<void>
    /** Waits until every QoS 1/2 message both ways has arrived and the device has nothing in flight. */
    settle(ms: number): Promise<void>
    report(name: string, extra?: Record<string, unknown>): string
    stop(): Promise<void>
}

export interface RigOptions {
    device?: Partial<ClientOptions>
    persistence?: boolean
    random?: Random
}

let rigCount = 0

export async function startRig(opts: RigOptions = {}): Promise<Rig> {
    const broker = await startMosquitto({ persistence: opts.persistence ?? true })
    const proxy = await startFaultProxy(broker.port)
    const n = ++rigCount
    const devId = `fault-dev-${process.pid}-${n}`
    const up = new Ledger()
    const down = new Ledger()
    const log: DeviceLog = { connects: [], closes: [], errors: [] }

    // The peer: npm mqtt, persistent session, straight to the broker (never through the proxy).
    // MQTT 5, so that a publish the broker refuses comes back with its reason code: npm mqtt
    // flushes everything it queued while the broker was away in one burst, past the broker's
    // incoming quota (Mosquitto's max_inflight_messages, 20), and Mosquitto then drops QoS 1
    // messages with PUBACK reason 0x97 "quota exceeded", which MQTT 3.1.1's PUBACK cannot carry
    // (docs/faults.md, "Broker restart"). The device stays on 3.1.1.
    const peer = mqtt.connect(broker.url, {
        protocolVersion: 5,
        properties: { sessionExpiryInterval: 3600 },
        clientId: `peer-${devId}`,
        clean: false,
        reconnectPeriod: 200,
        connectTimeout: 5000,
    })
    peer.on("error", () => {})
    peer.on("message", (topic, payload) => {
        const qos = Number(topic.slice(topic.lastIndexOf("/q") + 2)) as Qos
        up.payload(qos, payload.toString())
    })
    await new Promise<void>((r) => peer.once("connect", () => r()))
    await peer.subscribeAsync(`devices/${devId}/up/#`, { qos: 2 })

    const options: ClientOptions = {
        url: proxy.url,
        clientId: devId,
        clean: false,
        keepalive: 2,
        reconnectPeriod: 100,
        reconnectPeriodMax: 2000,
        connectTimeout: 3000,
        outboxMaxMessages: 5000,
        outboxMaxBytes: 1 << 20,
        ...opts.device,
    }
    const device = connectCore(options, {
        connector: new NodeStreamConnector(),
        clock: nodeClock,
        random: opts.random ?? nodeRandom,
        completions: nodeCompletions,
    })
    device.on("connect", () => log.connects.push(Date.now()))
    device.on("close", (reason: string) => log.closes.push({ at: Date.now(), reason }))
    device.on("error", (e: Error & { code?: string }) => log.errors.push({ at: Date.now(), code: e.code ?? "", message: e.message }))
    device.on("message", (topic: string, payload: Buffer) => {
        const qos = Number(topic.slice(topic.lastIndexOf("/q") + 2)) as Qos
        down.payload(qos, payload.toString())
    })
    await device.whenConnected()
    await device.subscribe(`devices/${devId}/down/#`, { qos: 2 })

    const sendOne = (qos: Qos): void => {
        const s = up.sent[qos]++
        try {
            device.publishNoWait(`devices/${devId}/up/q${qos}`, String(s), { qos }, (err?: Error) => {
                if (err) up.rejected[qos].push(err.message)
            })
        } catch (e) {
            up.rejected[qos].push((e as Error).message)
        }
        const d = down.sent[qos]++
        peer.publish(`devices/${devId}/down/q${qos}`, String(d), { qos }, (err) => {
            const reason = (err as (Error & { code?: unknown }) | undefined)?.code
            if (typeof reason === "number" && reason >= 0x80) down.refused[qos].set(d, reason)
            else if (err) down.rejected[qos].push(err.message)
        })
    }

    return {
        broker,
        proxy,
        device,
        options,
        peer,
        log,
        up,
        down,
        sendOne,
        async traffic(perQos, intervalMs, midway) {
            // The fault runs WHILE traffic keeps flowing (started a third of the way in, not awaited here).
            let fault: Promise<void> | void = undefined
            for (let i = 0; i < perQos; i++) {
                if (i === Math.floor(perQos / 3) && midway) fault = midway()
                for (const q of QOS) sendOne(q)
                await sleep(intervalMs)
            }
            await fault
        },
        async settle(ms) {
            await until(() => up.complete() && down.complete() && device.stats().inflight === 0, ms, "every QoS 1/2 message both ways")
            // QoS 2 duplicates would show up late (a resend after reconnect): a QoS 2 marker each
            // way comes through behind any of them.
            const m = "marker" + up.markers.length
            await afterMarker(
                () => device.publishNoWait(`devices/${devId}/up/q2`, m, { qos: 2 }),
                () => up.markers.includes(m),
                ms,
                "device->peer"
            )
            await afterMarker(
                () => peer.publish(`devices/${devId}/down/q2`, m, { qos: 2 }),
                () => down.markers.includes(m),
                ms,
                "peer->device"
            )
        },
        report(name, extra = {}) {
            const st = device.stats()
            const line =
                `[fault] ${name}\n` +
                `  device->peer: ${up.summary()}\n` +
                `  peer->device: ${down.summary()}\n` +
                `  device: connects ${st.connects}, reconnects ${st.reconnects}, resent(DUP) ${st.messagesResent}, ` +
                `qos2 dups held back ${st.duplicatesIgnored}, qos0 dropped by outbox ${st.droppedQos0}, ` +
                `ping timeouts ${st.pingTimeouts}, protocol errors ${st.protocolErrors}, proxy attempts ${proxy.attempts()}` +
                (Object.keys(extra).length ? `\n  ${JSON.stringify(extra)}` : "")
            console.log(line)
            return line
        },
        async stop() {
            device.end()
            await peer.endAsync(true)
            await proxy.close()
            await broker.stop()
        },
    }
}

/** MQTT 5 reason code 0x97: the broker is over its quota for messages in flight from this client. */
export const QUOTA_EXCEEDED = 0x97

/**
 * The assertions every fault case shares: nothing the broker accepted is lost at QoS 1, nothing lost
 * or doubled at QoS 2, no rejected publish. The only refusal allowed is the broker's QoS 1 quota
 * refusal of the peer's post-reconnect burst; the device (3.1.1, whose PUBACK carries no reason)
 * never gets one, its window being below the quota.
 */
export function expectDelivery(rig: Rig): void {
    expect(rig.down.refused[2].size).toBe(0)
    expect([...new Set(rig.down.refused[1].values())].filter((r) => r !== QUOTA_EXCEEDED)).toEqual([])
    for (const l of [rig.up, rig.down]) {
        expect(l.missing(1)).toEqual([])
        expect(l.missing(2)).toEqual([])
        expect(l.duplicates(2)).toBe(0)
        expect(l.rejected[1]).toEqual([])
        expect(l.rejected[2]).toEqual([])
        expect(l.sent[1]).toBeGreaterThan(0)
    }
}
