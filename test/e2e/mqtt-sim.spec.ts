// End to end: the firmware-side client (devs/mqtt.ts over the DeviceScript adapters) in the
// simulator talks to a real Mosquitto; a Node MQTT.js client checks what arrives and sends a command.
import mqtt, { type MqttClient } from "mqtt"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { startMosquitto, type Mosquitto } from "../helpers/mosquitto"
import { startSimulator, type SimRun, type Simulator } from "../helpers/simulator"
import { until, untilValue } from "../helpers/wait"

const DEVICE_ID = "0a1b2c3d4e5f6071"

describe("MQTT client in the simulator against Mosquitto", () => {
    let broker: Mosquitto
    let sim: Simulator
    let watcher: MqttClient
    let run: SimRun
    const prefix = `devs-link/e2e/${process.pid}-${Date.now()}`
    const received: { topic: string; payload: string; qos: number }[] = []

    beforeAll(async () => {
        broker = await startMosquitto({ persistence: false })
        watcher = await mqtt.connectAsync(broker.url, { clientId: "e2e-watcher" })
        watcher.on("message", (topic, payload, packet) => received.push({ topic, payload: payload.toString(), qos: packet.qos }))
        await watcher.subscribeAsync(`${prefix}/#`, { qos: 2 })
        sim = await startSimulator()
        run = await sim.run("test/devs/e2e/mqtt-echo.ts", {
            settings: { MQTT_HOST: "127.0.0.1", MQTT_PORT: broker.port, E2E_PREFIX: prefix },
            deviceId: DEVICE_ID,
        })
    }, 600_000)

    afterAll(async () => {
        await sim?.stop()
        await watcher?.endAsync()
        await broker?.stop()
    })

    async function arrived(topic: string, timeoutMs: number) {
        return untilValue(() => received.find((r) => r.topic === topic), timeoutMs, topic).catch((e: Error) => {
            throw new Error(`${e.message}; got ${JSON.stringify(received)}\n${run.log.tail()}`)
        })
    }

    test("the board connects and subscribes with the granted QoS", async () => {
        await run.log.waitFor(/^E2E connected$/, 60_000)
        const m = await run.log.waitFor(/^E2E subscribed (.*)$/, 10_000)
        expect(m[1]).toBe("2")
    }, 90_000)

    test("its publishes at QoS 0, 1 and 2 reach the broker with that QoS", async () => {
        await run.log.waitFor(/^E2E published$/, 20_000)
        for (const qos of [0, 1, 2]) {
            const m = await arrived(`${prefix}/hello/q${qos}`, 5_000)
            expect(m.payload).toBe(`hello ${DEVICE_ID}`)
            expect(m.qos).toBe(qos)
        }
        // QoS 2 from the board arrives exactly once.
        expect(received.filter((r) => r.topic === `${prefix}/hello/q2`).length).toBe(1)
    }, 30_000)

    test("it receives a message it subscribed to (QoS 2) and answers", async () => {
        await run.log.waitFor(/^E2E published$/, 20_000)
        const nonce = `n${Math.floor(Math.random() * 1e9)}`
        await watcher.publishAsync(`${prefix}/cmd`, nonce, { qos: 2 })
        await run.log.waitFor(new RegExp(`^E2E got ${nonce}$`), 10_000)
        const echo = await arrived(`${prefix}/echo`, 10_000)
        expect(echo.payload).toBe(`echo:${nonce}`)
        expect(echo.qos).toBe(1)
        expect(run.log.find(/^E2E error/)).toBe(undefined)
        expect(run.log.panicCode()).toBe(undefined)
    }, 30_000)

    test("after a broker restart it reconnects, resubscribes and answers again", async () => {
        await run.log.waitFor(/^E2E published$/, 20_000)
        const connectsBefore = run.log.vm.filter((l) => l.startsWith("E2E connect event")).length
        await broker.stop()
        await run.log.waitFor(/^E2E close /, 15_000)
        await broker.start()
        await until(
            () => run.log.vm.filter((l) => l.startsWith("E2E connect event")).length > connectsBefore,
            30_000,
            "the board to reconnect"
        ).catch((e: Error) => {
            throw new Error(`${e.message}:\n${run.log.tail()}`)
        })
        // MQTT.js reconnects on its own; wait until its subscription is back before publishing.
        await until(() => watcher.connected, 30_000, "the watcher to reconnect")
        await watcher.subscribeAsync(`${prefix}/#`, { qos: 2 })
        const nonce = `r${Math.floor(Math.random() * 1e9)}`
        await watcher.publishAsync(`${prefix}/cmd`, nonce, { qos: 1 })
        await run.log.waitFor(new RegExp(`^E2E got ${nonce}$`), 10_000)
        await until(
            () => received.some((r) => r.topic === `${prefix}/echo` && r.payload === `echo:${nonce}`),
            10_000,
            "the echo after the reconnect"
        ).catch((e: Error) => {
            throw new Error(`${e.message}:\n${run.log.tail()}`)
        })
        expect(run.log.panicCode()).toBe(undefined)
    }, 90_000)
})
