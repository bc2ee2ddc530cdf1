// One simulated board of the fleet: its own MQTT client id and credentials, the firmware's own CoAP
// endpoint over MQTT (src/coap/server/board-coap.ts, the same one devs/ links), retained online status
// with an offline will, and telemetry at QoS 1 carrying a per-device sequence number, so the
// collector can tell exactly which acknowledged messages never arrived.
import { connectNode, MqttClient, NodeStreamConnector } from "../../src/host/mqtt"
import { BoardCoap, boardCoapMessage, boardCoapTopic } from "../../src/coap/server/board-coap"
import { SlimModel } from "../../test/interop/coap-tcp/sim-board"

export interface FleetBoard {
    id: string
    client: MqttClient
    /** Connected and its CoAP request topic granted by the broker. */
    ready(): boolean
    /** Why it is not ready, for a report: "down", "subscribing", or the last SUBACK outcome. */
    state(): string
    /** Connections lost so far. */
    drops: number
    /** Sequence numbers the broker acknowledged (PUBACK): these must all reach the collector. */
    acked: Set<number>
    /** Telemetry published so far (the next sequence number). */
    seq: number
    publishTelemetry(): void
    stop(): void
}

export function fleetBoard(id: string, url: string): FleetBoard {
    const status = `devices/${id}/status`
    const connector = new NodeStreamConnector()
    const client = connectNode({
        connector,
        url,
        clientId: "fleet-" + id,
        // credentials of its own, as a provisioned board has (the loopback brokers do not check them)
        username: id,
        password: "pw-" + id,
        keepalive: 10,
        reconnectPeriod: 200,
        reconnectPeriodMax: 2000,
        will: { topic: status, payload: '{"state":"offline"}', qos: 1, retain: true },
    })
    const model = new SlimModel(id)
    const coap = new BoardCoap("devices", id, model, (t, p) => client.publishNoWait(t, p, { qos: 1 }), {})
    let subscribed = false
    let lastSuback = "subscribing"
    const b: FleetBoard = {
        id,
        client,
        ready: () => subscribed && client.isConnected(),
        state: () => (!client.isConnected() ? "down" : subscribed ? "ready" : lastSuback),
        drops: 0,
        acked: new Set(),
        seq: 0,
        publishTelemetry() {
            if (!client.isConnected()) return
            const n = b.seq++
            const body = JSON.stringify({ seq: n, temperature: model.temperature })
            try {
                client.publishNoWait(`devices/${id}/telemetry`, body, { qos: 1 }, (err?: Error) => {
                    if (!err) b.acked.add(n)
                })
            } catch {
                // the link broke between the check and the publish: never acknowledged, not counted
            }
        },
        stop() {
            client.end()
        },
    }
    client.on("message", (topic: string, payload: Buffer) => boardCoapMessage(coap, topic, payload))
    client.on("error", () => {})
    client.on("close", () => {
        if (subscribed) b.drops++
        subscribed = false
    })
    client.on("connect", () => {
        lastSuback = "subscribing"
        client.subscribeNoWait(boardCoapTopic(coap), { qos: 1 }, (err?: Error, granted?: number[]) => {
            lastSuback = err ? "subscribe error: " + err.message : "SUBACK " + JSON.stringify(granted)
            // a cluster node re-electing its JetStream leaders refuses with 0x80 and stays connected:
            // break the link so the broker list dials the next node
            if (err || !granted || granted[0] === 0x80) return connector.last?.destroy()
            subscribed = true
        })
        client.publishNoWait(status, '{"state":"online"}', { qos: 1, retain: true })
    })
    return b
}
