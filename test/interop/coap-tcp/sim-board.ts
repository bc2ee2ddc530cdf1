// A board simulated in Node for the gateway tests: the portable CoapServer with firmware-like
// resources, on either binding (coap+tcp to the gateway's head-end, or CoAP inside MQTT via a
// real broker), using the same src/coap link classes the firmware uses.
import { CoapServer } from "../../../src/coap/server/endpoint"
import { CoapCode, ContentFormat } from "../../../src/coap/codec/message"
import { CoapRequest, Reply } from "../../../src/coap/server/resources"
import { CoapBoardTcpLink } from "../../../src/coap/server/board-tcp-link"
import { CoapBoardMqttLink } from "../../../src/coap/transport/board-mqtt-link"
import { encodeCbor } from "../../../src/coap/formats/cbor"
import { NodeStreamConnector } from "../../../src/host/node-stream"
import { nodeClock, nodeRandom } from "../../../src/host/node-platform"
import { connectNode } from "../../../src/host/mqtt"
import { MqttClient } from "../../../src/mqtt/client/client"
import { BoardCoap, boardCoapChanged, boardCoapMessage, boardCoapTopic } from "../../../src/coap/server/board-coap"
import { DeviceModel, SensorReading } from "../../../src/coap/server/device-resources"

export interface SimBoard {
    id: string
    server: CoapServer
    temperature: number
    led: string
    /** Changes the temperature and notifies observers. */
    setTemperature(v: number): void
    stop(): void
    /** Abrupt death: the socket is destroyed, nothing is said to the peer. */
    kill(): void
}

export const BIG_SIZE = 3000

function addResources(b: SimBoard, server: CoapServer): void {
    const fmt = (v: number, cf: number, unit: string, name: string): Buffer => {
        if (cf === ContentFormat.Json) return Buffer.from(JSON.stringify({ [name]: v }))
        if (cf === ContentFormat.SenmlJson) return Buffer.from(JSON.stringify([{ bn: `urn:dev:${b.id}:`, n: name, u: unit, v }]))
        if (cf === ContentFormat.Cbor) return encodeCbor(v)
        return Buffer.from(String(v))
    }
    server.add({
        path: "/sensors/temperature",
        rt: "temperature",
        observable: true,
        formats: [ContentFormat.TextPlain, ContentFormat.Json, ContentFormat.SenmlJson, ContentFormat.Cbor],
        get: (req: CoapRequest, reply: Reply) =>
            reply({ code: CoapCode.Content, contentFormat: req.format, payload: fmt(b.temperature, req.format, "Cel", "temperature") }),
    })
    server.add({
        path: "/sensors/humidity",
        rt: "humidity",
        observable: true,
        formats: [ContentFormat.TextPlain, ContentFormat.Json, ContentFormat.SenmlJson, ContentFormat.Cbor],
        get: (req: CoapRequest, reply: Reply) =>
            reply({ code: CoapCode.Content, contentFormat: req.format, payload: fmt(40.5, req.format, "%RH", "humidity") }),
    })
    server.add({
        path: "/actuators/led",
        rt: "led",
        formats: [ContentFormat.TextPlain],
        accepts: [ContentFormat.TextPlain],
        get: (req: CoapRequest, reply: Reply) => reply({ code: CoapCode.Content, contentFormat: 0, payload: Buffer.from(b.led) }),
        put: (req: CoapRequest, reply: Reply) => {
            const v = req.payload.toString()
            if (v !== "on" && v !== "off") return reply({ code: CoapCode.BadRequest, payload: Buffer.from("on or off") })
            b.led = v
            reply({ code: CoapCode.Changed })
        },
    })
    server.add({
        path: "/rpc",
        rt: "jsonrpc",
        formats: [ContentFormat.Json],
        accepts: [ContentFormat.Json],
        post: (req: CoapRequest, reply: Reply) => {
            let id: unknown = null
            try {
                const r = JSON.parse(req.payload.toString())
                id = r.id
                const result = r.method === "sys.info" ? { id: b.id, fw: "sim" } : undefined
                const body = result
                    ? { jsonrpc: "2.0", id, result }
                    : { jsonrpc: "2.0", id, error: { code: -32601, message: "Method not found" } }
                reply({ code: CoapCode.Changed, contentFormat: ContentFormat.Json, payload: Buffer.from(JSON.stringify(body)) })
            } catch {
                reply({
                    code: CoapCode.Changed,
                    contentFormat: ContentFormat.Json,
                    payload: Buffer.from(JSON.stringify({ jsonrpc: "2.0", id, error: { code: -32700, message: "Parse error" } })),
                })
            }
        },
    })
    let big = ""
    for (let i = 0; big.length < BIG_SIZE; i++) big += `line ${String(i).padStart(4, "0")} of the big resource....\n`
    big = big.slice(0, BIG_SIZE)
    server.add({
        path: "/big",
        title: "big",
        formats: [ContentFormat.TextPlain],
        get: (req: CoapRequest, reply: Reply) => reply({ code: CoapCode.Content, contentFormat: 0, payload: Buffer.from(big) }),
    })
}

export function bigText(): string {
    let big = ""
    for (let i = 0; big.length < BIG_SIZE; i++) big += `line ${String(i).padStart(4, "0")} of the big resource....\n`
    return big.slice(0, BIG_SIZE)
}

/** A board on the coap+tcp binding, dialling the gateway's head-end. */
export function tcpBoard(id: string, port: number): SimBoard & { link: CoapBoardTcpLink } {
    const connector = new NodeStreamConnector()
    const link = new CoapBoardTcpLink(connector, { host: "127.0.0.1", port, tls: false }, nodeClock, nodeRandom, {
        endpoint: id,
        lifetimeS: 60,
        backoffMinMs: 100,
        backoffMaxMs: 1000,
        rdRetryMs: 500,
    })
    const server = new CoapServer(link.transport, { clock: nodeClock })
    const timer = setInterval(() => link.tick(), 20)
    const b = {
        id,
        server,
        link,
        temperature: 21.5,
        led: "off",
        setTemperature(v: number) {
            b.temperature = v
            server.changed("/sensors/temperature")
        },
        stop() {
            clearInterval(timer)
            link.stop()
        },
        kill() {
            clearInterval(timer)
            connector.last?.destroy()
        },
    }
    addResources(b, server)
    link.serve(server, server.resources)
    link.start()
    return b
}

/** A board on the MQTT binding (retained status online, will offline), like the firmware. */
export function mqttBoard(id: string, url: string): SimBoard & { client: MqttClient } {
    const status = `devices/${id}/status`
    const connector = new NodeStreamConnector()
    const client = connectNode({
        url,
        clientId: "sim-" + id,
        keepalive: 5,
        reconnectPeriod: 100,
        reconnectPeriodMax: 1000,
        will: { topic: status, payload: '{"state":"offline"}', qos: 1, retain: true },
        connector,
    })
    const link = new CoapBoardMqttLink("devices", id, (t, p) => client.publishNoWait(t, p, { qos: 1 }))
    const server = new CoapServer(link.transport, { clock: nodeClock })
    link.serve(server)
    client.on("message", (topic: string, payload: Buffer) => link.onMessage(topic, payload))
    client.on("error", () => {})
    client.on("connect", () => {
        client.subscribeNoWait(link.requestTopic(), { qos: 1 })
        client.publishNoWait(status, '{"state":"online"}', { qos: 1, retain: true })
    })
    const b = {
        id,
        server,
        client,
        temperature: 21.5,
        led: "off",
        setTemperature(v: number) {
            b.temperature = v
            server.changed("/sensors/temperature")
        },
        stop() {
            try {
                // end once the broker has the offline status (PUBACK), or at once with no link to send it on
                if (client.isConnected()) client.publishNoWait(status, '{"state":"offline"}', { qos: 1, retain: true }, () => client.end())
                else client.end()
            } catch {
                // already ended (killed)
            }
        },
        kill() {
            connector.last?.destroy()
            client.end()
        },
    }
    addResources(b, server)
    return b
}

/**
 * A board on the MQTT binding with the firmware's own endpoint (src/coap/server/board-coap.ts: one
 * representation per resource, one observer per resource), backed by a small device model.
 */
export function slimBoard(
    id: string,
    url: string
): { id: string; model: SlimModel; coap: BoardCoap; client: MqttClient; changed(): void; stop(): void } {
    const status = `devices/${id}/status`
    const client = connectNode({
        url,
        clientId: "slim-" + id,
        keepalive: 5,
        reconnectPeriod: 100,
        reconnectPeriodMax: 1000,
        will: { topic: status, payload: '{"state":"offline"}', qos: 1, retain: true },
    })
    const model = new SlimModel(id)
    const coap = new BoardCoap("devices", id, model, (t, p) => client.publishNoWait(t, p, { qos: 1 }), {})
    client.on("message", (topic: string, payload: Buffer) => boardCoapMessage(coap, topic, payload))
    client.on("error", () => {})
    client.on("connect", () => {
        client.subscribeNoWait(boardCoapTopic(coap), { qos: 1 })
        client.publishNoWait(status, '{"state":"online"}', { qos: 1, retain: true })
    })
    return {
        id,
        model,
        coap,
        client,
        changed() {
            boardCoapChanged(coap, "/sensors")
            boardCoapChanged(coap, "/actuators/led")
        },
        stop() {
            // end once the broker has the offline status (its PUBACK), not after a guessed delay
            if (client.isConnected()) client.publishNoWait(status, '{"state":"offline"}', { qos: 1, retain: true }, () => client.end())
            else client.end()
        },
    }
}

export class SlimModel implements DeviceModel {
    temperature = 21.5
    led = false
    config = '{"TELEMETRY_MS":5000}'
    constructor(private id: string) {}
    info(): Record<string, unknown> {
        return { id: this.id, board: "node" }
    }
    readSensors(): SensorReading[] {
        return [
            { name: "temperature", unit: "Cel", value: this.temperature, decimals: 2 },
            { name: "humidity", unit: "%RH", value: 40.5, decimals: 1 },
        ]
    }
    getLed(): boolean {
        return this.led
    }
    setLed(on: boolean): void {
        this.led = on
    }
    getConfig(): string {
        return this.config
    }
    setConfig(json: string): string | undefined {
        if (!json.includes("TELEMETRY_MS")) return "unknown setting"
        this.config = json
        return undefined
    }
    async rpc(requestJson: string): Promise<string | undefined> {
        const r = JSON.parse(requestJson)
        return r.id === undefined ? undefined : JSON.stringify({ jsonrpc: "2.0", id: r.id, result: "pong" })
    }
}
