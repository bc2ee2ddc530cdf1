// The telemetry collector: one persistent MQTT session (clean session 0) subscribed to every
// device's telemetry at QoS 1, so messages published while it is away are kept for it. It records
// each device's sequence numbers; a QoS 1 message is lost when its device got a PUBACK for it and
// it never arrived here.
import { connectNode, MqttClient, NodeStreamConnector } from "../../src/host/mqtt"

export interface Collector {
    client: MqttClient
    received: Map<string, Set<number>>
    total: number
    ready(): boolean
    /** Acknowledged sequence numbers (per device) that have not arrived. */
    missing(acked: Map<string, Set<number>>): number
    stop(): void
}

export function startCollector(url: string): Collector {
    const connector = new NodeStreamConnector()
    const client = connectNode({
        connector,
        url,
        clientId: "fleet-collector",
        clean: false,
        keepalive: 10,
        reconnectPeriod: 200,
        reconnectPeriodMax: 2000,
    })
    let subscribed = false
    const c: Collector = {
        client,
        received: new Map(),
        total: 0,
        ready: () => subscribed && client.isConnected(),
        missing(acked) {
            let n = 0
            for (const [id, seqs] of acked) {
                const got = c.received.get(id)
                for (const s of seqs) if (!got || !got.has(s)) n++
            }
            return n
        },
        stop: () => client.end(),
    }
    client.on("error", () => {})
    client.on("close", () => (subscribed = false))
    client.on("connect", () => {
        client.subscribeNoWait("devices/+/telemetry", { qos: 1 }, (err?: Error, granted?: number[]) => {
            if (err || !granted || granted[0] === 0x80) return connector.last?.destroy()
            subscribed = true
        })
    })
    client.on("message", (topic: string, payload: Buffer) => {
        const id = topic.split("/")[1]
        let seq: number
        try {
            seq = JSON.parse(payload.toString()).seq
        } catch {
            return
        }
        if (typeof seq !== "number") return
        let set = c.received.get(id)
        if (!set) c.received.set(id, (set = new Set()))
        if (!set.has(seq)) c.total++
        set.add(seq)
    })
    return c
}
