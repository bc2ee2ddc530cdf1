// The firmware (devs/main.ts, sim board) in the simulator against Mosquitto, attacked the way a
// careless or hostile user would: requests over the size limit, retained and repeated requests,
// settings that cannot work, input of the wrong type. The board must answer or ignore each one in
// plain words and stay up. Needs the simulator lock (one simulator test file at a time).
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import mqtt, { type MqttClient } from "mqtt"
import { startMosquitto, type Mosquitto } from "../helpers/mosquitto"
import { startSimulator, type Simulator, type SimRun } from "../helpers/simulator"
import { freePort } from "../helpers/ports"
import { until } from "../helpers/wait"
import { BOARD_BROKER_LIMITS } from "../../scripts/lib/broker-limits"

const DEVICE_ID = "e2e0c0ffee000002"
const TOPIC = `devices/${DEVICE_ID}`

interface Msg {
    topic: string
    text: string
    retain: boolean
}

let broker: Mosquitto
let sim: Simulator
let run: SimRun
let client: MqttClient
const msgs: Msg[] = []

async function next(pred: (m: Msg) => boolean, timeoutMs: number, from: number): Promise<Msg> {
    let hit: Msg | undefined
    await until(() => (hit = msgs.slice(from).find(pred)) !== undefined, timeoutMs, "a matching message").catch((e: Error) => {
        throw new Error(`${e.message}; board log:\n${run.log.tail(40)}`)
    })
    return hit!
}

const isTx = (m: Msg) => m.topic === `${TOPIC}/tx`

/** Publishes request text on rx and returns the reply (raw text) carrying idText. */
async function rpcRaw(text: string, idText: string, qos: 0 | 1 = 1): Promise<string> {
    const from = msgs.length
    await client.publishAsync(`${TOPIC}/rx`, text, { qos })
    const m = await next((x) => isTx(x) && x.text.includes(`"id":${idText}`), 15_000, from)
    return m.text
}

let nextId = 1
async function rpc(method: string, params?: unknown): Promise<any> {
    const id = nextId++
    const req: Record<string, unknown> = { jsonrpc: "2.0", method, id }
    if (params !== undefined) req["params"] = params
    return JSON.parse(await rpcRaw(JSON.stringify(req), String(id)))
}

async function waitOnline(from: number, timeoutMs: number): Promise<any> {
    const m = await next((x) => x.topic === `${TOPIC}/status` && JSON.parse(x.text).state === "online", timeoutMs, from)
    return JSON.parse(m.text)
}

/** A request of exactly 1,024 bytes, the largest the board reads (MAX_REQUEST_BYTES, docs/firmware.md). */
function maxRequest(id: number): string {
    const head = `{"jsonrpc":"2.0","method":"led.get","id":${id},"params":{"x":"`
    const tail = `"}}`
    return head + "y".repeat(1024 - head.length - tail.length) + tail
}

beforeAll(async () => {
    // configured as a deployment must be for boards (scripts/lib/broker-limits.ts)
    broker = await startMosquitto({ extraConfig: BOARD_BROKER_LIMITS.join("\n") })
    sim = await startSimulator()
    client = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 })
    client.on("message", (topic, payload, packet) => msgs.push({ topic, text: payload.toString("utf8"), retain: packet.retain }))
    await client.subscribeAsync([`${TOPIC}/#`], { qos: 1 })
    run = await sim.run("devs/main.ts", {
        deviceId: DEVICE_ID,
        settings: { MQTT_URL: broker.url, TELEMETRY_MS: 1000, KEEPALIVE_S: 10 },
    })
    await run.log.waitFor(/^mqtt: online as /, 120_000)
}, 720_000)

afterAll(async () => {
    // a retained request left behind would hit the next run on this broker
    await client?.publishAsync(`${TOPIC}/rx`, "", { qos: 1, retain: true })
    await client?.endAsync()
    await sim?.stop()
    await broker?.stop()
}, 60_000)

describe("firmware safety in the simulator", () => {
    test("requests up to the limit are answered back to back and in bursts; a 6 KB one is refused without a crash", async () => {
        const max = maxRequest
        // back to back: each one as soon as the previous one is answered
        for (let i = 0; i < 12; i++) {
            const id = nextId++
            const text = max(id)
            expect(text.length).toBe(1024)
            expect(JSON.parse(await rpcRaw(text, String(id), i % 2 === 0 ? 1 : 0)).error.code).toBe(-32602)
        }
        // a burst: whatever does not fit the board's queue is dropped and counted, never a crash
        const dropped0 = (await rpc("sys.info")).result.dropped_requests
        const first = nextId
        const from = msgs.length
        for (let i = 0; i < 12; i++) client.publish(`${TOPIC}/rx`, max(nextId++), { qos: i % 2 === 0 ? 1 : 0 })
        // sys.info itself is dropped while the queue is full: ask again until it is answered
        let info: any
        let lost = 0
        for (let i = 0; i < 5 && !info; i++) info = await rpc("sys.info").catch((): undefined => (lost++, undefined))
        const answered = msgs
            .slice(from)
            .filter((m) => isTx(m) && m.text.includes('"error"'))
            .map((m) => JSON.parse(m.text).id)
        expect(answered.length + info.result.dropped_requests - dropped0 - lost).toBe(12)
        expect(answered).toEqual([...answered].sort((a, b) => a - b))
        expect(answered.every((id) => id >= first && id < first + 12)).toBe(true)
        console.log(`burst of 12 max-size requests: ${answered.length} answered, ${info.result.dropped_requests - dropped0} dropped`)

        // 6,071 bytes: over the board's limit
        const big = `{"jsonrpc":"2.0","method":"led.get","params":{"pad":"${"z".repeat(6000)}"},"id":"big-123"}`
        expect(big.length).toBe(6071)
        const logFrom = run.log.vm.length
        const bigFrom = msgs.length
        for (let i = 0; i < 3; i++) await client.publishAsync(`${TOPIC}/rx`, big, { qos: 1 })
        // the client's "oversize" event: the packet is skipped unread and answered -32600, id null
        const m = await next(isTx, 15_000, bigFrom)
        const r = JSON.parse(m.text)
        expect(r.error.code).toBe(-32600)
        expect(r.id).toBe(null)
        await run.log.waitFor(/^rpc: request of \d+ bytes on devices\/\S+\/rx is over the board's limit of \d+/, 10_000, logFrom)
        // the board carries on: it still answers, and never crashed
        let ok = false
        for (let i = 0; i < 4 && !ok; i++)
            ok = await rpc("sys.info").then(
                (r) => r.result.device_id === DEVICE_ID,
                () => false
            )
        expect(ok).toBe(true)
        expect(run.log.panicCode()).toBeUndefined()
    }, 180_000)

    test("a burst of twenty 1,024-byte requests published at once is answered in full, without running out of heap", async () => {
        // The runtime copies whatever the broker sends into the heap before the program reads it:
        // twenty at once were one ~21 KB allocation on top of the firmware's own ~31 KB, and ran the
        // board out of memory. The broker's in-flight limit now holds the rest of a burst back.
        const dropped0 = (await rpc("sys.info")).result.dropped_requests
        const first = nextId
        const from = msgs.length
        for (let i = 0; i < 20; i++) client.publish(`${TOPIC}/rx`, maxRequest(nextId++), { qos: i % 2 === 0 ? 1 : 0 })
        const answered = () =>
            msgs
                .slice(from)
                .filter(isTx)
                .map((m) => JSON.parse(m.text).id as number)
        await until(() => answered().length >= 20 || run.log.panicCode() !== undefined, 60_000, "twenty replies").catch((e: Error) => {
            throw new Error(
                `${e.message}: ${answered().length} answered (ids ${answered().join(",")} of ${first}..${first + 19}); board log:\n${run.log.tail(30)}`
            )
        })
        expect(run.log.panicCode(), run.log.tail(30)).toBeUndefined()
        expect(answered()).toEqual(Array.from({ length: 20 }, (_, i) => first + i))
        expect((await rpc("sys.info")).result.dropped_requests).toBe(dropped0)
    }, 120_000)

    test("a retained request is ignored, on rx and coap/req; a repeated id is not run twice", async () => {
        // Published live, a retained request reaches the subscribed board without the retain flag and
        // runs once; after every reconnect the broker delivers it again, retained: that must not run.
        const from = msgs.length
        await client.publishAsync(`${TOPIC}/coap/req`, Buffer.from([0x40, 0x01, 0x12, 0x34]), { qos: 1, retain: true })
        await client.publishAsync(`${TOPIC}/rx`, '{"jsonrpc":"2.0","method":"led.get","id":"ret-1"}', { qos: 1, retain: true })
        await next((x) => isTx(x) && x.text.includes('"id":"ret-1"'), 15_000, from)
        const logFrom = run.log.vm.length
        const before = msgs.length
        await rpc("sys.restart", { delay_ms: 100 })
        await waitOnline(before, 120_000)
        // requests are handled in order: had the retained one run, its reply came before this one
        expect((await rpc("sys.info")).result.device_id).toBe(DEVICE_ID)
        expect(msgs.filter((x) => isTx(x) && x.text.includes('"id":"ret-1"')).length).toBe(1)
        await run.log.waitFor(/retained/, 5_000, logFrom)
        await client.publishAsync(`${TOPIC}/rx`, "", { qos: 1, retain: true })
        await client.publishAsync(`${TOPIC}/coap/req`, "", { qos: 1, retain: true })

        const on = await rpcRaw('{"jsonrpc":"2.0","method":"led.set","params":{"on":true},"id":"dup-1"}', '"dup-1"')
        expect(JSON.parse(on).result).toEqual({ on: true })
        const again = JSON.parse(await rpcRaw('{"jsonrpc":"2.0","method":"led.set","params":{"on":false},"id":"dup-1"}', '"dup-1"'))
        expect(again.error.code).toBe(-32600)
        expect((await rpc("led.get")).result).toEqual({ on: true })
    }, 60_000)

    test("input is checked where it enters: types, ids, tls, version", async () => {
        const bad = await rpc("config.set", { settings: { TELEMETRY_MS: "5000" } })
        expect(bad.error.code).toBe(-32602)
        expect(bad.error.data).toContain("TELEMETRY_MS")
        // 2^53 + 1 has no double: the id must come back as it was written
        const raw = await rpcRaw('{"jsonrpc":"2.0","method":"led.get","id":9007199254740993}', "9007199254740993")
        expect(raw).toContain('"id":9007199254740993}')
        const info = await rpc("sys.info")
        expect(info.result.tls).toBe(false)
        // one version: the one the start banner prints (package.json's, stamped by the compiler)
        const banner = run.log.vm.filter((l) => /^start: devs-link /.test(l)).pop()!
        expect(banner).toContain(" " + info.result.version)
        const badType = await rpc("config.set", { settings: 5 })
        expect(badType.error.data).toBe("'settings' must be an object")
    }, 60_000)

    test("connection settings that work are kept after their trial", async () => {
        const url = broker.url.replace("127.0.0.1", "localhost")
        expect((await rpc("config.set", { settings: { MQTT_URL: url } })).result.restart_needed).toBe(true)
        const logFrom = run.log.vm.length
        const from = msgs.length
        await rpc("sys.restart", { delay_ms: 100 })
        await run.log.waitFor(/^config: the new connection settings work; keeping them/, 90_000, logFrom)
        await waitOnline(from, 30_000)
        // kept: still in effect after another restart, and no settings_error
        const again = msgs.length
        await rpc("sys.restart", { delay_ms: 100 })
        const st = await waitOnline(again, 60_000)
        expect(st.settings_error).toBeUndefined()
        expect((await rpc("config.get", { key: "MQTT_URL" })).result.MQTT_URL).toBe(url)
        // back to the address the harness knows, for the next test
        await rpc("config.set", { settings: { MQTT_URL: broker.url } })
        const lastLog = run.log.vm.length
        await rpc("sys.restart", { delay_ms: 100 })
        await run.log.waitFor(/^config: the new connection settings work; keeping them/, 90_000, lastLog)
    }, 240_000)

    test("connection settings that cannot connect are tried, then the last good ones come back", async () => {
        const dead = await freePort()
        const set = await rpc("config.set", { settings: { MQTT_URL: `mqtt://127.0.0.1:${dead}` } })
        expect(set.result.restart_needed).toBe(true)
        const from = msgs.length
        const logFrom = run.log.vm.length
        await rpc("sys.restart")
        await run.log.waitFor(new RegExp(`^mqtt: connecting to mqtt://127.0.0.1:${dead}`), 60_000, logFrom)
        // the trial ends, the board restarts on the settings that worked and says what happened
        const st = await waitOnline(from, 240_000)
        expect(st.settings_error).toContain("MQTT_URL")
        expect((await rpc("config.get", { key: "MQTT_URL" })).result.MQTT_URL).toBe(broker.url)
        expect(run.log.panicCode()).toBeUndefined()
    }, 300_000)
})
