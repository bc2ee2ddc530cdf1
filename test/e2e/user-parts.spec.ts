// The user's own parts and Home Assistant control, end to end: the sim board's firmware with a
// parts file (test/sim/parts/user-parts.ts: a CO2 sensor and a fan switch, written as
// docs/extending.md says) in the simulator, Mosquitto, the CoAP gateway, and MQTT.js playing
// Home Assistant. The extra sensor and actuator show up in telemetry, discovery, CoAP through the
// gateway and JSON-RPC; Home Assistant's commands switch the LED and the fan and the state topics
// follow; the restart button restarts the board and it comes back online.
// Needs the simulator lock (devtools' fixed ports): startSimulator takes it.
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import mqtt, { type MqttClient } from "mqtt"
import { startMosquitto, type Mosquitto } from "../helpers/mosquitto"
import { startSimulator, type Simulator, type SimRun } from "../helpers/simulator"
import { startGateway, type Gateway } from "../../src/host/gateway/gateway"
import { coapClient } from "../interop/coap-tcp/libcoap"
import { until } from "../helpers/wait"

const ID = "e2e0c0ffee00a77a"
const TOPIC = `devices/${ID}`

let broker: Mosquitto
let gw: Gateway
let sim: Simulator
let run: SimRun
let ha: MqttClient
const seen: { topic: string; text: string; retain: boolean }[] = []

/** The last payload seen on `topic`, or undefined. */
function last(topic: string): string | undefined {
    for (let i = seen.length - 1; i >= 0; i--) if (seen[i].topic === topic) return seen[i].text
    return undefined
}

let nextId = 1
async function rpc(method: string, params?: unknown): Promise<any> {
    const id = nextId++
    await ha.publishAsync(`${TOPIC}/rx`, JSON.stringify({ jsonrpc: "2.0", method, params, id }), { qos: 1 })
    let reply: any
    await until(
        () => {
            reply = seen.map((m) => (m.topic === `${TOPIC}/tx` ? JSON.parse(m.text) : undefined)).find((r) => r && r.id === id)
            return reply !== undefined
        },
        10_000,
        `the reply to ${method}`
    )
    return reply
}

const uri = (path: string) => `coap://127.0.0.1:${gw.ports.coap}/${ID}${path}`

beforeAll(async () => {
    broker = await startMosquitto({ persistence: false })
    gw = await startGateway({
        coap: { port: 0, upstreamIdleMs: 500 },
        tcp: false,
        http: false,
        mqtt: { url: broker.url, requestTimeoutMs: 3000, discoveryRetryMs: 1000 },
    })
    ha = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 })
    ha.on("message", (topic, payload, packet) => seen.push({ topic, text: payload.toString("utf8"), retain: packet.retain }))
    await ha.subscribeAsync([`${TOPIC}/#`, "homeassistant/#"], { qos: 1 })
    sim = await startSimulator()
    run = await sim.run("test/sim/parts/main.ts", {
        deviceId: ID,
        settings: { MQTT_URL: broker.url, TELEMETRY_MS: 2000, KEEPALIVE_S: 10, DEVICE_NAME: "Greenhouse" },
    })
    await run.log.waitFor(/^mqtt: online as /, 120_000)
    await until(
        () => {
            const b = gw.registry.get(ID)
            return !!b && b.online && b.links.some((l) => l.href === "/actuators/fan")
        },
        60_000,
        "the gateway found the board's CoAP resources over MQTT"
    )
}, 720_000)

afterAll(async () => {
    await ha?.endAsync()
    await sim?.stop()
    await gw?.stop()
    await broker?.stop()
}, 60_000)

describe("the user's own parts and Home Assistant control, in the simulator", () => {
    test("the extra sensor is in telemetry and sensors.read; the extra actuator in actuator.get", async () => {
        await until(
            () => seen.some((m) => m.topic === `${TOPIC}/telemetry` && JSON.parse(m.text).co2 !== undefined),
            20_000,
            "telemetry with co2"
        )
        const t = JSON.parse(seen.find((m) => m.topic === `${TOPIC}/telemetry` && JSON.parse(m.text).co2 !== undefined)!.text)
        expect(t.co2).toBe(800)
        expect(typeof t.temperature).toBe("number")
        const r = await rpc("sensors.read")
        expect(r.result.co2).toBe(800)
        const a = await rpc("actuator.get")
        expect(a.result).toEqual({ led: false, fan: false })
    })

    test("discovery: a sensor for co2, a switch for the fan, a light for the LED, a restart button, diagnostics", async () => {
        await until(() => last(`homeassistant/button/${ID}_restart/config`) !== undefined, 20_000, "the restart button's document")
        const co2 = JSON.parse(last(`homeassistant/sensor/${ID}_co2/config`)!)
        expect(co2.device_class).toBe("carbon_dioxide")
        expect(co2.unit_of_measurement).toBe("ppm")
        expect(co2.state_topic).toBe(`${TOPIC}/telemetry`)
        expect(co2.device.name).toBe("Greenhouse")
        const fan = JSON.parse(last(`homeassistant/switch/${ID}_fan/config`)!)
        expect(fan.command_topic).toBe(`${TOPIC}/set/fan`)
        expect(fan.state_topic).toBe(`${TOPIC}/state/fan`)
        const led = JSON.parse(last(`homeassistant/light/${ID}_led/config`)!)
        expect(led.command_topic).toBe(`${TOPIC}/set/led`)
        const restart = JSON.parse(last(`homeassistant/button/${ID}_restart/config`)!)
        expect(restart.device_class).toBe("restart")
        expect(restart.entity_category).toBe("config")
        for (const d of ["uptime", "reconnects", "version"])
            expect(JSON.parse(last(`homeassistant/sensor/${ID}_${d}/config`)!).entity_category).toBe("diagnostic")
        // the simulator has no Wi-Fi service, so no signal strength entity
        expect(last(`homeassistant/sensor/${ID}_rssi/config`)).toBe(undefined)
        // retained: a Home Assistant that subscribes later gets them
        const late = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 })
        const got: { topic: string; retain: boolean }[] = []
        late.on("message", (topic, _payload, packet) => got.push({ topic, retain: packet.retain }))
        await late.subscribeAsync(
            [`homeassistant/switch/${ID}_fan/config`, `homeassistant/sensor/${ID}_co2/config`, `homeassistant/button/${ID}_restart/config`],
            { qos: 1 }
        )
        await until(() => got.length === 3, 10_000, "three retained discovery documents")
        await late.endAsync()
        expect(got.every((m) => m.retain)).toBe(true)
    })

    test("CoAP through the gateway: /sensors/co2, /actuators/fan (GET, PUT), both in /.well-known/core", async () => {
        const wk = await coapClient(["-B", "10", `coap://127.0.0.1:${gw.ports.coap}/.well-known/core`])
        expect(wk.payload).toContain(`</${ID}/sensors/co2>`)
        expect(wk.payload).toContain(`</${ID}/actuators/fan>`)
        const co2 = await coapClient(["-B", "10", uri("/sensors/co2")])
        expect(co2.codes).toEqual(["2.05"])
        expect(co2.payload).toBe("800")
        const put = await coapClient(["-B", "10", "-m", "put", "-t", "0", "-e", "on", uri("/actuators/fan")])
        expect(put.codes).toEqual(["2.04"])
        await run.log.waitFor(/^sim fan on$/, 10_000)
        // the state topic follows a change made through CoAP
        await until(() => last(`${TOPIC}/state/fan`) === "ON", 10_000, "state/fan ON after the CoAP PUT")
        const get = await coapClient(["-B", "10", uri("/actuators/fan")])
        expect(get.payload).toBe("on")
        const bad = await coapClient(["-B", "10", "-m", "put", "-t", "0", "-e", "sideways", uri("/actuators/fan")])
        expect(bad.codes).toEqual(["4.00"])
        const co2After = await coapClient(["-B", "10", uri("/sensors/co2")])
        expect(co2After.payload).toBe("450")
    })

    test("Home Assistant switches the LED and the fan; the retained state topics follow", async () => {
        const logFrom = run.log.vm.length
        await ha.publishAsync(`${TOPIC}/set/led`, "ON", { qos: 1 })
        await run.log.waitFor(/^sim LED on$/, 10_000, logFrom)
        await until(() => last(`${TOPIC}/state/led`) === "ON", 10_000, "state/led ON")
        await ha.publishAsync(`${TOPIC}/set/fan`, "OFF", { qos: 1 })
        await run.log.waitFor(/^sim fan off$/, 10_000, logFrom)
        await until(() => last(`${TOPIC}/state/fan`) === "OFF", 10_000, "state/fan OFF")
        // retained: a client that comes later (Home Assistant after its own restart) gets the state
        const late = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 })
        const states: Record<string, string> = {}
        late.on("message", (topic, payload) => (states[topic] = payload.toString()))
        await late.subscribeAsync(`${TOPIC}/state/+`, { qos: 1 })
        await until(() => states[`${TOPIC}/state/led`] === "ON" && states[`${TOPIC}/state/fan`] === "OFF", 10_000, "retained states")
        await late.endAsync()
        const r = await rpc("led.get")
        expect(r.result).toEqual({ on: true })
        // RPC changes are published too
        await rpc("actuator.set", { key: "led", value: false })
        await until(() => last(`${TOPIC}/state/led`) === "OFF", 10_000, "state/led OFF after actuator.set")
    })

    test("pressing the restart button restarts the board and it comes back online", async () => {
        const logFrom = run.log.vm.length
        const from = seen.length
        await ha.publishAsync(`${TOPIC}/set/restart`, "PRESS", { qos: 1 })
        await run.log.waitFor(/^RESTART requested/, 15_000, logFrom)
        await run.log.waitFor(/^mqtt: online as /, 60_000, logFrom)
        await until(
            () => seen.slice(from).some((m) => m.topic === `${TOPIC}/status` && JSON.parse(m.text).state === "online"),
            30_000,
            "online again"
        )
        const status = JSON.parse(
            seen
                .slice(from)
                .filter((m) => m.topic === `${TOPIC}/status`)
                .pop()!.text
        )
        expect(status.state).toBe("online")
        expect(status.reconnects).toBe(0)
        // and answers again
        const r = await rpc("actuator.get")
        expect(r.result.fan).toBe(false)
    }, 120_000)
})
