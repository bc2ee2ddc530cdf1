// One simulated board of the fleet: the firmware's application on simulated hardware
// (src/host/sim-device.ts: settings, sensors, the JSON-RPC dispatcher and its methods) behind the
// firmware's own CoAP endpoint over MQTT (src/coap/server/board-coap.ts, the same one devs/ links),
// so a JSON-RPC call through a gateway's /rpc is answered by the firmware's dispatcher. Its own
// MQTT client id and credentials, retained online status with an offline will, and the app's
// telemetry document at QoS 1 carrying a per-device sequence number, so the collector can tell
// exactly which acknowledged messages never arrived.
import { connectNode, MqttClient, NodeStreamConnector } from "../../src/host/mqtt"
import { BoardCoap, boardCoapChanged, boardCoapMessage, boardCoapTopic } from "../../src/coap/server/board-coap"
import { decodeTcpMessage } from "../../src/coap/codec/codec"
import { SimDevice, startSimDevice } from "../../src/host/sim-device"

export interface FleetBoard {
    id: string
    client: MqttClient
    /** The application and its simulated hardware. */
    device: SimDevice
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
    /** One drift step of the room, then the app's telemetry document, with the next sequence number. */
    publishTelemetry(): void
    stop(): void
    /** Every CoAP request the board received, by token: when it came, when its answer went out and was acknowledged. */
    requests: Map<string, RequestTrace>
    /** When its connection closed and when it connected again (Date.now()). */
    links: { up: number[]; down: number[] }
}

export interface RequestTrace {
    /** The request's body (a JSON-RPC call carries its id), empty for a GET. */
    body: string
    rx: number
    tx?: number
    acked?: number
}

function frameBody(f: Buffer): string {
    try {
        return decodeTcpMessage(f).payload.toString()
    } catch {
        return ""
    }
}

/** The token of an RFC 8323 frame (Len/TKL byte, extended length, code, token), hex. */
function frameToken(f: Buffer): string {
    const len = f[0] >> 4
    const at = 1 + (len === 13 ? 1 : len === 14 ? 2 : len === 15 ? 4 : 0) + 1
    return f.subarray(at, at + (f[0] & 15)).toString("hex")
}

/** The board `id` on the brokers `url` (a comma-separated list, as MQTT_URL takes it). */
export async function fleetBoard(id: string, url: string): Promise<FleetBoard> {
    const status = `devices/${id}/status`
    // the settings a provisioned board would have (sys.info and config.get report them)
    const device = await startSimDevice(id, { settings: { MQTT_URL: url, MQTT_USER: id, MQTT_PASS: "pw-" + id } })
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
    const requests = new Map<string, RequestTrace>()
    const coap = new BoardCoap(
        "devices",
        id,
        device.model,
        (t, p) => {
            const r = requests.get(frameToken(p))
            if (r) r.tx = Date.now()
            client.publishNoWait(t, p, { qos: 1 }, (err?: Error) => {
                if (r && !err) r.acked = Date.now()
            })
        },
        {}
    )
    device.onLedChange = () => boardCoapChanged(coap, "/actuators/led")
    let subscribed = false
    let lastSuback = "subscribing"
    const b: FleetBoard = {
        id,
        client,
        device,
        ready: () => subscribed && client.isConnected(),
        state: () => (!client.isConnected() ? "down" : subscribed ? "ready" : lastSuback),
        drops: 0,
        acked: new Set(),
        seq: 0,
        publishTelemetry() {
            if (!client.isConnected()) return
            device.step()
            sample().catch((e: Error) => process.stderr.write(`fleet ${id}: telemetry: ${e.message}\n`))
        },
        stop() {
            client.end()
        },
        requests,
        links: { up: [], down: [] },
    }
    /** The app samples its sensors (forced: a document every time); CoAP observers hear of a change. */
    async function sample(): Promise<void> {
        const doc = (await device.app.sample(true)) as string
        if (await device.refresh()) boardCoapChanged(coap, "/sensors")
        if (!client.isConnected()) return
        const n = b.seq++
        // {"seq":n,"ts":...,"temperature":...}: the app's document with the collector's sequence number first
        const body = '{"seq":' + n + "," + doc.slice(1)
        try {
            client.publishNoWait(`devices/${id}/telemetry`, body, { qos: 1 }, (err?: Error) => {
                if (!err) b.acked.add(n)
            })
        } catch {
            // the link broke between the check and the publish: never acknowledged, not counted
        }
    }
    client.on("message", (topic: string, payload: Buffer) => {
        if (topic === boardCoapTopic(coap) && payload.length > 1)
            requests.set(frameToken(payload), { rx: Date.now(), body: frameBody(payload) })
        boardCoapMessage(coap, topic, payload)
    })
    client.on("error", () => {})
    client.on("close", () => {
        b.links.down.push(Date.now())
        if (subscribed) b.drops++
        subscribed = false
    })
    client.on("connect", () => {
        b.links.up.push(Date.now())
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
