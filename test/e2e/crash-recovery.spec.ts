// A board that crashes comes back: the firmware in the simulator against Mosquitto, crashing
// (test/devs/e2e/crash-loop.ts, a panic 8 s after every start) CRASH_CYCLES times (3 in npm test;
// `CRASH_CYCLES=20 npx vitest run test/e2e/crash-recovery.spec.ts` is the measurement in
// docs/faults.md); each time the VM restarts it and the board must be online again. Prints the
// time from each crash to the next online status.
// Needs the simulator lock (one simulator test file at a time).
import { afterAll, beforeAll, expect, test } from "vitest"
import mqtt, { type MqttClient } from "mqtt"
import { startMosquitto, type Mosquitto } from "../helpers/mosquitto"
import { startSimulator, type Simulator, type SimRun } from "../helpers/simulator"
import { until } from "../helpers/wait"

const DEVICE_ID = "e2e0c0ffee000003"
const CYCLES = Number(process.env["CRASH_CYCLES"] ?? 3)

let broker: Mosquitto
let sim: Simulator
let run: SimRun
let client: MqttClient
const online: number[] = []

beforeAll(async () => {
    broker = await startMosquitto()
    sim = await startSimulator()
    client = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 })
    client.on("message", (topic, payload) => {
        if (JSON.parse(payload.toString()).state === "online") online.push(Date.now())
    })
    await client.subscribeAsync(`devices/${DEVICE_ID}/status`, { qos: 1 })
}, 720_000)

afterAll(async () => {
    await client?.endAsync()
    await sim?.stop()
    await broker?.stop()
}, 60_000)

test(`the board is back online after each of ${CYCLES} crashes`, async () => {
    run = await sim.run("test/devs/e2e/crash-loop.ts", {
        deviceId: DEVICE_ID,
        settings: { MQTT_URL: broker.url, KEEPALIVE_S: 10, HA_DISCOVERY: false },
    })
    const times: number[] = []
    let from = 0
    for (let i = 0; i < CYCLES; i++) {
        // the crash
        await until(() => run.log.find(/^Exception: /, from) !== undefined, 120_000, `crash ${i + 1}`)
        const crashAt = Date.now()
        from = run.log.find(/^Exception: /, from)!.index + 1
        const seen = online.length
        // back: the retained online status published again by the restarted program
        await until(() => online.length > seen, 120_000, `online after crash ${i + 1}`).catch((e: Error) => {
            throw new Error(`${e.message}; board log:\n${run.log.tail(40)}`)
        })
        times.push(online[seen] - crashAt)
    }
    times.sort((a, b) => a - b)
    console.log(
        `crash -> online over ${CYCLES} cycles (ms): min ${times[0]}, median ${times[CYCLES >> 1]}, max ${times[CYCLES - 1]}; all: ${times.join(" ")}`
    )
    expect(times.length).toBe(CYCLES)
    expect(run.log.vm.filter((l) => /^start: /.test(l)).length).toBeGreaterThanOrEqual(CYCLES + 1)
}, 1_800_000)
