// The firmware (devs/main.ts, sim board) with MQTT_URL listing two brokers (docs/cluster.md): it
// comes online on the first, moves to the second when the first dies, subscribes again there
// (a JSON-RPC request on the second broker is answered), refuses a bad list over config.set
// without losing its connection, and a list set over config.set passes its trial even when its
// first broker does not answer. Two real Mosquitto brokers on loopback stand for two nodes; a NATS
// node that refuses the board's SUBSCRIBE (SUBACK 0x80, what a cluster node answers while it
// re-elects) stands for the node the board must leave.
// Needs the simulator lock (devtools' fixed ports): one simulator test file at a time.
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import mqtt, { type MqttClient } from "mqtt"
import { startMosquitto, type Mosquitto } from "../helpers/mosquitto"
import { startSimulator, type Simulator, type SimRun } from "../helpers/simulator"
import { freePort } from "../helpers/ports"
import { natsServerPath, startBrokerCluster } from "../helpers/broker-cluster"
import { until } from "../helpers/wait"

const DEVICE_ID = "e2e0b40c3e000002"
const TOPIC = `devices/${DEVICE_ID}`

/** What one broker carried on the device's topics, seen by a subscriber of that broker. */
class Watcher {
    msgs: { topic: string; text: string }[] = []
    constructor(public client: MqttClient) {
        client.on("message", (topic, payload) => this.msgs.push({ topic, text: payload.toString("utf8") }))
    }
    onlineSince(from: number): boolean {
        return this.msgs.slice(from).some((m) => m.topic === `${TOPIC}/status` && JSON.parse(m.text).state === "online")
    }
}

async function watch(b: Mosquitto): Promise<Watcher> {
    const c = await mqtt.connectAsync(b.url, { reconnectPeriod: 0 })
    const w = new Watcher(c)
    await c.subscribeAsync(`${TOPIC}/#`, { qos: 1 })
    return w
}

let first: Mosquitto
let second: Mosquitto
let onSecond: Watcher
let sim: Simulator
let run: SimRun
let nextId = 1

/** A JSON-RPC request over `w`'s broker (devices/ID/rx); resolves with the reply from tx. */
async function rpc(w: Watcher, method: string, params?: unknown): Promise<any> {
    const id = nextId++
    const from = w.msgs.length
    await w.client.publishAsync(`${TOPIC}/rx`, JSON.stringify({ jsonrpc: "2.0", method, params, id }), { qos: 1 })
    const isReply = (m: { topic: string; text: string }) => m.topic === `${TOPIC}/tx` && JSON.parse(m.text).id === id
    await until(() => w.msgs.slice(from).some(isReply), 15_000, `the reply to ${method} on tx`)
    return JSON.parse(w.msgs.slice(from).filter(isReply)[0].text)
}

beforeAll(async () => {
    first = await startMosquitto()
    second = await startMosquitto()
    onSecond = await watch(second)
    sim = await startSimulator()
}, 720_000)

afterAll(async () => {
    await onSecond?.client.endAsync()
    await sim?.stop()
    await first?.stop()
    await second?.stop()
}, 60_000)

describe("firmware with a list of brokers in MQTT_URL", () => {
    test("online on the first broker; when it dies, online on the second with its subscriptions back", async () => {
        const onFirst = await watch(first)
        run = await sim.run("devs/main.ts", {
            deviceId: DEVICE_ID,
            settings: { MQTT_URL: `${first.url}, ${second.url}`, KEEPALIVE_S: 10, HA_DISCOVERY: false },
        })
        await until(() => onFirst.onlineSince(0), 120_000, "the board online on the first broker")
        expect(onSecond.onlineSince(0)).toBe(false)
        await onFirst.client.endAsync()
        const from = onSecond.msgs.length
        await first.kill()
        await until(() => onSecond.onlineSince(from), 120_000, "the board online on the second broker")
        // its requests topic was subscribed again on the second broker: a request there is answered
        const info = await rpc(onSecond, "sys.info")
        expect(info.result.device_id).toBe(DEVICE_ID)
        expect(run.log.panicCode()).toBeUndefined()
    }, 300_000)

    test("a bad list is refused with the entry at fault, and the board stays connected", async () => {
        const empty = await rpc(onSecond, "config.set", { settings: { MQTT_URL: `${second.url},,${first.url}` } })
        expect(empty.error.code).toBe(-32602)
        expect(empty.error.data).toContain("MQTT_URL entry 2 of 3 is empty")
        const twice = await rpc(onSecond, "config.set", { settings: { MQTT_URL: `${second.url},${second.url}` } })
        expect(twice.error.data).toContain(`MQTT_URL entry 2 of 2 repeats 127.0.0.1:${second.port}`)
        // nothing was stored for a trial: the setting in effect is unchanged and the board answers
        const cfg = await rpc(onSecond, "config.get", { key: "MQTT_URL" })
        expect(cfg.result.MQTT_URL).toBe(`${first.url}, ${second.url}`)
    }, 60_000)

    test("a list set over config.set is tried after the restart and kept, its dead first broker skipped", async () => {
        const dead = `mqtt://127.0.0.1:${await freePort()}`
        const list = `${dead},${second.url}`
        const set = await rpc(onSecond, "config.set", { settings: { MQTT_URL: list } })
        expect(set.result.restart_needed).toBe(true)
        const logFrom = run.log.vm.length
        await rpc(onSecond, "sys.restart", { delay_ms: 100 })
        await run.log.waitFor(/^config: the new connection settings work; keeping them/, 120_000, logFrom)
        // the dead first broker was tried first, and its refusal sent the board on to the second
        const tried = run.log.find(/^mqtt: connecting to (\S+)/, logFrom)
        expect(tried?.match[1]).toBe(dead)
        expect(run.log.find(new RegExp(`^mqtt: connection closed \\(.*${dead.slice(7)}`), logFrom)).toBeDefined()
        expect((await rpc(onSecond, "config.get", { key: "MQTT_URL" })).result.MQTT_URL).toBe(list)
        expect(run.log.panicCode()).toBeUndefined()
    }, 300_000)

    // Its subscription refused, the board would stay connected and deaf to requests: it must leave
    // that broker for the next one. The NATS node's permissions refuse the board's user the rx
    // topic (devices.*.rx in NATS's subjects); Mosquitto, second in the list, takes any user.
    test.skipIf(!natsServerPath())(
        "a broker that refuses its SUBSCRIBE is left for the next one",
        async () => {
            const refusing = await startBrokerCluster(1, {
                extraConfig: [
                    "authorization { users = [",
                    '  { user: "anyone", password: "unused" }',
                    '  { user: "board", password: "pw", permissions: { subscribe: { deny: ["devices.*.rx"] } } }',
                    "] }",
                    // the helper's readiness probe and nothing else connects without a user
                    "no_auth_user: anyone",
                ].join("\n"),
            })
            try {
                const list = `${refusing.nodes[0].url},${second.url}`
                const set = await rpc(onSecond, "config.set", { settings: { MQTT_URL: list, MQTT_USER: "board", MQTT_PASS: "pw" } })
                expect(set.result.restart_needed).toBe(true)
                const logFrom = run.log.vm.length
                await rpc(onSecond, "sys.restart", { delay_ms: 100 })
                await run.log.waitFor(/^config: the new connection settings work; keeping them/, 120_000, logFrom)
                // it reached the NATS node first and was refused there, then left it
                expect(run.log.find(/^mqtt: connecting to (\S+)/, logFrom)?.match[1]).toBe(refusing.nodes[0].url)
                expect(run.log.find(/SUBACK 0x80/, logFrom)).toBeDefined()
                expect((await rpc(onSecond, "sys.info")).result.device_id).toBe(DEVICE_ID)
                expect(run.log.panicCode()).toBeUndefined()
            } finally {
                await refusing.stop()
            }
        },
        300_000
    )
})
