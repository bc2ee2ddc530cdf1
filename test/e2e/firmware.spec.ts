// The firmware (devs/main.ts, sim board) in the DeviceScript simulator against a real Mosquitto,
// seen from the other side by MQTT.js: status and will, Home Assistant discovery, telemetry, and
// JSON-RPC over devices/<id>/rx -> devices/<id>/tx (docs/firmware.md).
// Needs the simulator lock (devtools' fixed ports): one simulator test file at a time.
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import mqtt, { type MqttClient } from "mqtt"
import { startMosquitto, type Mosquitto } from "../helpers/mosquitto"
import { startSimulator, type Simulator, type SimRun } from "../helpers/simulator"
import { execFile } from "node:child_process"

const DEVICE_ID = "e2e0c0ffee000001"
const TOPIC = `devices/${DEVICE_ID}`
const INTERVAL_MS = 3000

interface Msg {
    topic: string
    text: string
    retain: boolean
    at: number
}

/** A watcher on the broker: records every message on the device's topics and discovery. */
class Watcher {
    msgs: Msg[] = []
    private wake: (() => void)[] = []
    constructor(public client: MqttClient) {
        client.on("message", (topic, payload, packet) => {
            this.msgs.push({ topic, text: payload.toString("utf8"), retain: packet.retain, at: Date.now() })
            const w = this.wake
            this.wake = []
            for (const f of w) f()
        })
    }
    /** Waits for the first message (index >= from) matching pred. */
    async next(pred: (m: Msg) => boolean, timeoutMs: number, from = 0): Promise<Msg> {
        const deadline = Date.now() + timeoutMs
        for (;;) {
            for (let i = from; i < this.msgs.length; i++) if (pred(this.msgs[i])) return this.msgs[i]
            const left = deadline - Date.now()
            if (left <= 0)
                throw new Error(
                    `no matching message within ${timeoutMs} ms; saw:\n${this.msgs
                        .slice(-10)
                        .map((m) => m.topic + " " + m.text)
                        .join("\n")}`
                )
            await new Promise<void>((res) => {
                const t = setTimeout(res, left)
                this.wake.push(() => {
                    clearTimeout(t)
                    res()
                })
            })
        }
    }
}

let broker: Mosquitto
let sim: Simulator
let run: SimRun
let watcher: Watcher
let nextId = 1

async function subscriber(filters: string[]): Promise<Watcher> {
    const c = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 })
    const w = new Watcher(c)
    await c.subscribeAsync(filters, { qos: 1 })
    return w
}

/** Sends one request text on rx; resolves with the parsed reply carrying `id`. */
async function rpcText(text: string, id: number | string, timeoutMs = 10000): Promise<any> {
    const from = watcher.msgs.length
    await watcher.client.publishAsync(`${TOPIC}/rx`, text, { qos: 1 })
    const m = await watcher.next((x) => x.topic === `${TOPIC}/tx` && JSON.parse(x.text).id === id, timeoutMs, from)
    return JSON.parse(m.text)
}

async function rpc(method: string, params?: unknown): Promise<any> {
    const id = nextId++
    const req: Record<string, unknown> = { jsonrpc: "2.0", method, id }
    if (params !== undefined) req["params"] = params
    return rpcText(JSON.stringify(req), id)
}

async function waitOnline(fromMsg: number, timeoutMs: number): Promise<any> {
    const m = await watcher.next((x) => x.topic === `${TOPIC}/status` && JSON.parse(x.text).state === "online", timeoutMs, fromMsg)
    return JSON.parse(m.text)
}

beforeAll(async () => {
    broker = await startMosquitto()
    sim = await startSimulator()
    watcher = await subscriber([`${TOPIC}/#`, "homeassistant/#"])
    run = await sim.run("devs/main.ts", {
        deviceId: DEVICE_ID,
        settings: { MQTT_URL: broker.url, TELEMETRY_MS: INTERVAL_MS, KEEPALIVE_S: 10 },
    })
    await run.log.waitFor(/^mqtt: online as /, 120_000)
}, 720_000)

afterAll(async () => {
    await watcher?.client.endAsync()
    await sim?.stop()
    await broker?.stop()
}, 60_000)

describe("firmware in the simulator against Mosquitto", () => {
    test("status is online and retained", async () => {
        const late = await subscriber([`${TOPIC}/status`])
        const m = await late.next(() => true, 5000)
        await late.client.endAsync()
        expect(m.retain).toBe(true)
        const st = JSON.parse(m.text)
        expect(st.state).toBe("online")
        expect(st.board).toBe("sim")
        expect(st.firmware).toBe("devs-link")
        expect(typeof st.version).toBe("string")
        expect(st.uptime_ms).toBeGreaterThan(0)
    })

    test("Home Assistant discovery documents are retained and point at telemetry and status", async () => {
        const late = await subscriber(["homeassistant/sensor/+/config"])
        const docs: Record<string, any> = {}
        for (const q of ["temperature", "humidity", "pressure"]) {
            const m = await late.next((x) => x.topic === `homeassistant/sensor/${DEVICE_ID}_${q}/config`, 5000)
            expect(m.retain).toBe(true)
            docs[q] = JSON.parse(m.text)
        }
        await late.client.endAsync()
        expect(docs["temperature"].unit_of_measurement).toBe("°C")
        expect(docs["temperature"].device_class).toBe("temperature")
        expect(docs["humidity"].unit_of_measurement).toBe("%")
        expect(docs["pressure"].unit_of_measurement).toBe("hPa")
        for (const q of Object.keys(docs)) {
            expect(docs[q].state_topic).toBe(`${TOPIC}/telemetry`)
            // a quantity missing from telemetry (its sensor failed) renders None: "unknown" in Home Assistant
            expect(docs[q].value_template).toBe(`{{ value_json.${q} | default(None) }}`)
            expect(docs[q].availability[0].topic).toBe(`${TOPIC}/status`)
            expect(docs[q].unique_id).toBe(`devs-link_${DEVICE_ID}_${q}`)
            expect(docs[q].device.identifiers[0]).toBe(`devs-link_${DEVICE_ID}`)
        }
    })

    test("telemetry arrives within one interval, with each sensor's precision", async () => {
        const from = watcher.msgs.length
        const isTel = (x: Msg) => x.topic === `${TOPIC}/telemetry`
        const a = await watcher.next(isTel, INTERVAL_MS + 1500, from)
        const b = await watcher.next(isTel, INTERVAL_MS + 1500, watcher.msgs.indexOf(a) + 1)
        const ta = JSON.parse(a.text)
        const tb = JSON.parse(b.text)
        expect(tb.ts - ta.ts).toBeLessThanOrEqual(INTERVAL_MS + 1100)
        expect(tb.ts).toBeGreaterThan(ta.ts)
        expect(b.text).toMatch(/^\{"ts":\d+,"temperature":-?\d+\.\d\d,"humidity":\d+\.\d,"pressure":\d+\.\d\}$/)
        expect(tb.temperature).toBeGreaterThan(15)
        expect(tb.temperature).toBeLessThan(30)
    })

    test("sys.info, sensors.read, telemetry.now, config.get, led.set/led.get, rpc.list", async () => {
        const info = await rpc("sys.info")
        expect(info.result.device_id).toBe(DEVICE_ID)
        expect(info.result.board).toBe("sim")
        expect(info.result.led).toBe(true)
        expect(info.result.broker).toBe(`127.0.0.1:${broker.port}`)

        const read = await rpc("sensors.read")
        expect(Object.keys(read.result)).toEqual(["ts", "temperature", "humidity", "pressure"])

        const from = watcher.msgs.length
        const now = await rpc("telemetry.now")
        const published = await watcher.next((x) => x.topic === `${TOPIC}/telemetry`, 5000, from)
        expect(JSON.parse(published.text)).toEqual(now.result)

        const cfg = await rpc("config.get")
        expect(cfg.result.MQTT_URL).toBe(broker.url)
        expect(cfg.result.TELEMETRY_MS).toBe(INTERVAL_MS)
        expect(cfg.result.MQTT_PASS).toBe("")
        expect((await rpc("config.get", { key: "KEEPALIVE_S" })).result).toEqual({ KEEPALIVE_S: 10 })

        expect((await rpc("led.set", { on: true })).result).toEqual({ on: true })
        await run.log.waitFor(/^sim LED on/, 5000)
        expect((await rpc("led.get")).result).toEqual({ on: true })
        expect((await rpc("led.set", [false])).result).toEqual({ on: false })

        const list = await rpc("rpc.list")
        expect(list.result.map((m: any) => m.name)).toEqual([
            "rpc.list",
            "sys.info",
            "sys.restart",
            "sensors.read",
            "telemetry.now",
            "config.get",
            "config.set",
            "actuator.set",
            "actuator.get",
            "led.set",
            "led.get",
        ])
    })

    test("every JSON-RPC error path, and notifications get no reply", async () => {
        const err = async (text: string) => {
            // Error replies to unparseable/invalid requests carry id null; send one at a time.
            const from = watcher.msgs.length
            await watcher.client.publishAsync(`${TOPIC}/rx`, text, { qos: 1 })
            const m = await watcher.next((x) => x.topic === `${TOPIC}/tx`, 10000, from)
            return JSON.parse(m.text)
        }
        expect((await err("{not json")).error.code).toBe(-32700)
        expect((await err("{not json")).id).toBe(null)
        expect((await err('{"jsonrpc":"1.0","method":"sys.info","id":5}')).error.code).toBe(-32600)
        expect((await err("[]")).error.code).toBe(-32600)
        const nested = "[".repeat(40) + "]".repeat(40)
        expect((await err(nested)).error.code).toBe(-32600)
        const nf = await rpc("no.such.method")
        expect(nf.error.code).toBe(-32601)
        expect((await rpc("led.set", { on: "bright" })).error.code).toBe(-32602)
        expect((await rpc("config.set", { settings: { KEEPALIVE_S: 1 } })).error.code).toBe(-32602)
        expect((await rpc("config.get", { nope: 1 })).error.code).toBe(-32602)

        // A notification (no id) runs but is not answered: the next reply on tx is the request's.
        const from = watcher.msgs.length
        await watcher.client.publishAsync(`${TOPIC}/rx`, '{"jsonrpc":"2.0","method":"led.set","params":{"on":true}}', { qos: 1 })
        const after = await rpc("led.get")
        expect(after.result).toEqual({ on: true })
        const tx = watcher.msgs.slice(from).filter((x) => x.topic === `${TOPIC}/tx`)
        expect(tx.length).toBe(1)
        // And the board is still fine.
        expect((await rpc("sys.info")).result.device_id).toBe(DEVICE_ID)
    })

    test("config.set is validated, persisted, and survives sys.restart", async () => {
        const set = await rpc("config.set", { settings: { TELEMETRY_MS: 4000, CHANGE_THRESH: 0.25 } })
        expect(set.result.applied).toEqual({ TELEMETRY_MS: 4000, CHANGE_THRESH: 0.25 })
        expect(set.result.restart_needed).toBe(false)
        const starts = run.log.vm.filter((l) => /^start: devs-link/.test(l)).length
        const from = watcher.msgs.length
        const logFrom = run.log.vm.length
        const r = await rpc("sys.restart")
        expect(r.result.restarting).toBe(true)
        // The reply went out first; then the program restarts (in the simulator ds.millis() keeps
        // counting from VM start, so uptime cannot show it: the VM's start banner does).
        await run.log.waitFor(/^RESTART requested/, 10_000, logFrom)
        await run.log.waitFor(/^start: devs-link/, 30_000, logFrom)
        expect(run.log.vm.filter((l) => /^start: devs-link/.test(l)).length).toBe(starts + 1)
        await waitOnline(from, 60_000)
        await run.log.waitFor(/^mqtt: online as/, 30_000, logFrom)
        const cfg = await rpc("config.get")
        expect(cfg.result.TELEMETRY_MS).toBe(4000)
        expect(cfg.result.CHANGE_THRESH).toBe(0.25)
    }, 120_000)

    test("a burst of 200 requests is answered completely and in order", async () => {
        const first = nextId
        const from = watcher.msgs.length
        for (let i = 0; i < 200; i++) {
            const id = nextId++
            watcher.client.publish(
                `${TOPIC}/rx`,
                JSON.stringify({ jsonrpc: "2.0", method: "config.get", params: { key: "TELEMETRY_MS" }, id }),
                { qos: 1 }
            )
        }
        const last = first + 199
        const started = Date.now()
        await watcher
            .next((x) => x.topic === `${TOPIC}/tx` && JSON.parse(x.text).id === last, 60_000, from)
            .catch((e: Error) => {
                const got = watcher.msgs.slice(from).filter((x) => x.topic === `${TOPIC}/tx`).length
                throw new Error(`${got} of 200 answered; board log:\n${run.log.tail(80)}\n${e.message}`)
            })
        const elapsed = Date.now() - started
        const ids = watcher.msgs
            .slice(from)
            .filter((x) => x.topic === `${TOPIC}/tx`)
            .map((x) => JSON.parse(x.text).id)
        expect(run.log.panicCode()).toBeUndefined()
        expect(ids.length).toBe(200)
        expect(ids).toEqual(Array.from({ length: 200 }, (_, i) => first + i))
        console.log(`200 requests answered in ${elapsed} ms`)
    }, 90_000)

    test("npm run rpc calls a method on the running board and prints the result", async () => {
        const cli = (args: string[]) =>
            new Promise<{ code: number; out: string; err: string }>((resolve) => {
                execFile("npx", ["tsx", "scripts/rpc.ts", ...args, "--url", broker.url], { timeout: 30_000 }, (e, out, err) =>
                    resolve({ code: e ? ((e as any).code ?? 1) : 0, out, err })
                )
            })
        // No --device: the CLI finds the one board whose retained status is online.
        const ok = await cli(["config.get", '{"key":"MQTT_PREFIX"}'])
        expect(ok.code).toBe(0)
        expect(JSON.parse(ok.out)).toEqual({ MQTT_PREFIX: "devices" })
        const bad = await cli(["nope.nope", "--device", DEVICE_ID])
        expect(bad.code).toBe(1)
        expect(bad.err).toContain("error -32601: Method not found")
    }, 60_000)

    // A burst that arrives while the board is still publishing status and discovery (QoS 1, each
    // waiting for its PUBACK) right after a (re)connect: every request is answered, in order.
    test("a burst during the announce after a restart is answered completely", async () => {
        const from = watcher.msgs.length
        const logFrom = run.log.all.length
        await rpc("sys.restart")
        await waitOnline(from, 60_000)
        const first = nextId
        const burstFrom = watcher.msgs.length
        for (let i = 0; i < 200; i++) {
            const id = nextId++
            watcher.client.publish(
                `${TOPIC}/rx`,
                JSON.stringify({ jsonrpc: "2.0", method: "config.get", params: { key: "TELEMETRY_MS" }, id }),
                { qos: 1 }
            )
        }
        const started = Date.now()
        const replies = () =>
            watcher.msgs
                .slice(burstFrom)
                .filter((x) => x.topic === `${TOPIC}/tx`)
                .map((x) => JSON.parse(x.text).id)
        await watcher
            .next((x) => x.topic === `${TOPIC}/tx` && JSON.parse(x.text).id === first + 199, 60_000, burstFrom)
            .catch((e: Error) => {
                const ids = replies()
                throw new Error(
                    `${ids.length} of 200 answered (last id ${ids[ids.length - 1]}, wanted ${first + 199}); board log since the restart:\n${run.log.all.slice(logFrom).slice(-150).join("\n")}\n${e.message}`
                )
            })
        const elapsed = Date.now() - started
        expect(run.log.panicCode()).toBeUndefined()
        expect(replies()).toEqual(Array.from({ length: 200 }, (_, i) => first + i))
        console.log(`200 requests during the announce answered in ${elapsed} ms`)
    }, 120_000)

    test("killing the simulator leaves the retained offline will", async () => {
        const from = watcher.msgs.length
        await run.stop()
        const st = await watcher.next((x) => x.topic === `${TOPIC}/status` && JSON.parse(x.text).state === "offline", 30_000, from)
        expect(JSON.parse(st.text)).toEqual({ state: "offline" })
        const late = await subscriber([`${TOPIC}/status`])
        const m = await late.next(() => true, 5000)
        await late.client.endAsync()
        expect(m.retain).toBe(true)
        expect(JSON.parse(m.text)).toEqual({ state: "offline" })
    }, 60_000)
})
