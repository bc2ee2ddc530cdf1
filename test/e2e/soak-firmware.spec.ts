// Soak of the firmware (devs/main.ts, sim board) in the simulator: SOAK_N JSON-RPC requests in on
// devices/<id>/rx and SOAK_N replies out on devices/<id>/tx, with telemetry running meanwhile.
// Opt-in (minutes at 20,000): `SOAK_N=20000 npx vitest run test/e2e/soak-firmware.spec.ts`.
// Passes only if every request is answered once, in order, without an error reply, and the board
// neither panics nor restarts (its 64 KB heap has no usage API; an out-of-memory is a panic).
// The peer keeps at most SOAK_WINDOW requests unanswered, as a real caller would.
import mqtt from "mqtt"
import { afterAll, beforeAll, expect, test } from "vitest"
import { startMosquitto, type Mosquitto } from "../helpers/mosquitto"
import { startSimulator, type SimRun, type Simulator } from "../helpers/simulator"

const N = Number(process.env["SOAK_N"] ?? 0)
const WINDOW = Number(process.env["SOAK_WINDOW"] ?? 8)
const DEVICE = "soak-fw"

let broker: Mosquitto
let sim: Simulator
let run: SimRun

beforeAll(async () => {
    if (N <= 0) return
    broker = await startMosquitto({ persistence: false })
    sim = await startSimulator()
    run = await sim.run("devs/main.ts", {
        applyEnvFiles: false,
        settings: { MQTT_URL: `mqtt://127.0.0.1:${broker.port}`, DEVICE_ID: DEVICE, TELEMETRY_MS: 1000, HA_DISCOVERY: false },
    })
}, 240_000)

afterAll(async () => {
    await sim?.stop()
    await broker?.stop()
})

test.runIf(N > 0)(`firmware soak: ${N} RPC requests in, ${N} replies out, telemetry running`, async () => {
    const peer = await mqtt.connectAsync(broker.url, { protocolVersion: 4, clientId: "soak-fw-peer", reconnectPeriod: 0 })
    const replies: number[] = []
    let errors = 0
    let telemetry = 0
    let online = false
    peer.on("message", (topic, payload) => {
        const text = payload.toString()
        if (topic.endsWith("/tx")) {
            const r = JSON.parse(text)
            if (r.error) errors++
            replies.push(r.id)
        } else if (topic.endsWith("/telemetry")) telemetry++
        else if (topic.endsWith("/status") && text.includes('"online"')) online = true
    })
    await peer.subscribeAsync([`devices/${DEVICE}/tx`, `devices/${DEVICE}/telemetry`, `devices/${DEVICE}/status`], { qos: 1 })
    const startDeadline = Date.now() + 90_000
    while (!online) {
        if (Date.now() > startDeadline) throw new Error("board never came online:\n" + run.log.tail(40))
        await new Promise((r) => setTimeout(r, 50))
    }
    const t0 = Date.now()
    let lastProgress = t0
    for (let i = 1; i <= N; i++) {
        while (i - 1 - replies.length >= WINDOW) {
            if (run.log.panicCode() !== undefined) throw new Error("board panicked:\n" + run.log.tail(40))
            if (Date.now() - lastProgress > 30_000) throw new Error(`no reply for 30 s at ${replies.length}/${N}:\n` + run.log.tail(40))
            await new Promise((r) => setTimeout(r, 1))
        }
        lastProgress = Date.now()
        peer.publish(`devices/${DEVICE}/rx`, `{"jsonrpc":"2.0","id":${i},"method":"sys.info"}`, { qos: 1 })
    }
    // The last replies: give up only after 30 s without a new one.
    let count = replies.length
    while (replies.length < N && Date.now() - lastProgress < 30_000) {
        if (replies.length !== count) {
            count = replies.length
            lastProgress = Date.now()
        }
        await new Promise((r) => setTimeout(r, 10))
    }
    const secs = (Date.now() - t0) / 1000
    let inOrder = true
    for (let i = 0; i < replies.length; i++) if (replies[i] !== i + 1) inOrder = false
    const starts = run.log.vm.filter((l) => /^devs-link \S+ on /.test(l)).length
    console.log(
        `[soak-fw] N=${N} in ${secs.toFixed(1)} s (${(N / secs).toFixed(0)} requests/s, ${((2 * N) / secs).toFixed(0)} msg/s in+out): ` +
            `replies ${replies.length}/${N}, in order ${inOrder}, error replies ${errors}, telemetry messages ${telemetry}, ` +
            `firmware starts ${starts}, panic ${run.log.panicCode() ?? "none"}`,
    )
    await peer.endAsync(true)
    expect(run.log.panicCode()).toBe(undefined)
    expect(replies.length).toBe(N)
    expect(inOrder).toBe(true)
    expect(errors).toBe(0)
    expect(starts).toBe(1)
    expect(telemetry).toBeGreaterThan(0)
}, 3_600_000)
