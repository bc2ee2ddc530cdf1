// End to end: the firmware (devs/main.ts) in the simulator behind a Wi-Fi-like link (40 ms +- 20 ms
// each way, 256 kbit/s each way; test/helpers/fault-proxy.ts shape()) to a real Mosquitto. Asserts
// outcomes only: nothing the board published is lost, every request is answered, and in order where
// the protocol promises order. Times are the bench's business (npm run bench -- --phases link-firmware).
// Needs the simulator lock (test/helpers/simulator.ts), taken only after the broker and proxy are up.
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import {
    boardBurst,
    ledToggles,
    rpc,
    rpcBatch,
    firmwareRpcRoundTrips,
    startFirmwareLink,
    telemetryNow,
    type FirmwareLink,
} from "../helpers/firmware-link"
import { wifiShape } from "../helpers/shaped-links"

const DEVICE_ID = "e2e0c0ffee00a11c"

let link: FirmwareLink

beforeAll(async () => {
    link = await startFirmwareLink({ shape: wifiShape(7), deviceId: DEVICE_ID, brokerNodelay: true })
}, 900_000)

afterAll(async () => {
    await link?.stop()
}, 60_000)

describe("the firmware through a 40 +- 20 ms, 256 kbit/s link to Mosquitto", () => {
    test("it came online: its status and Home Assistant documents (QoS 1, retained) all arrived", async () => {
        const status = await link.collect((m) => m.topic === `${link.topic}/status`, 1, 10_000)
        expect(JSON.parse(status[0].text).state).toBe("online")
        const docs = await link.collect(
            (m) => /^homeassistant\/sensor\/.*_(temperature|humidity|pressure)\/config$/.test(m.topic),
            3,
            10_000
        )
        expect(docs.map((m) => m.topic).sort()).toEqual(
            ["humidity", "pressure", "temperature"].map((q) => `homeassistant/sensor/${DEVICE_ID}_${q}/config`)
        )
        // the shaper really was in the way
        expect(link.proxy.shaping().delayedChunks).toBeGreaterThan(0)
    })

    test("30 requests one at a time are all answered, each with its own id", async () => {
        const replies = await firmwareRpcRoundTrips(link, 30)
        expect(replies.map((r) => r.error)).toEqual(new Array(30).fill(undefined))
        expect(replies.every((r) => typeof r.result.on === "boolean")).toBe(true)
    }, 120_000)

    test("40 requests sent at once are all answered, in the order they were sent", async () => {
        const calls = Array.from({ length: 40 }, (_, i) => ({
            method: "config.get",
            params: { key: i % 2 ? "KEEPALIVE_S" : "TELEMETRY_MS" },
        }))
        const replies = await rpcBatch(link, calls, 120_000)
        expect(replies).toHaveLength(40)
        const ids = replies.map((r) => r.id)
        expect(ids).toEqual([...ids].sort((a, b) => a - b))
        expect(replies.map((r) => Object.keys(r.result)[0])).toEqual(calls.map((c) => c.params.key))
    }, 180_000)

    test("every telemetry document the board published arrives, in order", async () => {
        const t = await telemetryNow(link, 20)
        expect(t.sent).toHaveLength(20)
        // the telemetry.now documents, in the order the peer saw them (periodic ones may sit between)
        const sentSet = new Set(t.sent)
        expect(t.arrived.filter((d) => sentSet.has(d))).toEqual(t.sent)
    }, 180_000)

    test("20 LED changes sent at once: 20 answers, and 20 QoS 1 state publishes in the order of the changes", async () => {
        const { replies, states } = await ledToggles(link, 20)
        expect(replies.map((r) => r.error)).toEqual(new Array(20).fill(undefined))
        const want = replies.map((r) => (r.result.on ? "ON" : "OFF"))
        expect(states).toEqual(want)
        expect((await rpc(link, "sys.info")).result.dropped_requests).toBe(0)
    }, 180_000)

    test("the board's client pipelining 300 QoS 1 publishes (window 16): all acknowledged, all delivered once, in order", async () => {
        const r = await boardBurst(link, 300, 16, 10)
        expect([r.ok, r.failed]).toEqual([300, 0])
        expect(r.received).toEqual(Array.from({ length: 300 }, (_, i) => i))
        expect(link.run.log.panicCode()).toBe(undefined)
    }, 400_000)
})
