// This project's MQTT client (the board's core, on node:net) through a slow Wi-Fi-like link to a real
// Mosquitto: 40 ms +- 20 ms each way, 256 kbit/s. Pipelined QoS 1 publishes all arrive, once each,
// in order, also across a half-second stall of the link, and at least once across a reset with a
// persistent session; a request/response over devices/<id>/rx|tx is answered every time.
import { afterAll, beforeAll, expect, test } from "vitest"
import { pipelinedQos1, rpcRoundTrips, startShapedMqtt, wifiShape, WIFI_BYTES_PER_SEC, type ShapedMqtt } from "../../helpers/shaped-links"
import { worstWindowExcess } from "../../helpers/link-model"
import { until } from "../../helpers/wait"
import { connectNodeAsync } from "../../../src/host/mqtt"

let m: ShapedMqtt

beforeAll(async () => {
    m = await startShapedMqtt({ shape: wifiShape(11), window: 16 })
})

afterAll(async () => {
    await m?.stop()
})

test("200 pipelined QoS 1 publishes: every one arrives once, in order, and the link's rate was kept", async () => {
    const n = 200
    const r = await pipelinedQos1(m, "wifi/qos1", n, 64)
    expect(r.received).toEqual([...Array(n).keys()])
    const s = m.device.stats()
    expect(s.messagesResent).toBe(0)
    expect(s.inflight).toBe(0)
    // the shaper really stood in the way: every byte towards the broker was booked at 256 kbit/s
    const booked = m.proxy.releases("toBroker")
    expect(booked.reduce((a, b) => a + b.bytes, 0)).toBe(m.proxy.bytes().toBroker)
    expect(worstWindowExcess(booked, WIFI_BYTES_PER_SEC, 1460)).toBeLessThanOrEqual(1e-6)
})

test("a 500 ms stall of the link in the middle of a burst loses nothing", async () => {
    const n = 100
    const burst = pipelinedQos1(m, "wifi/stall", n, 64)
    m.proxy.pauseFor(500)
    const r = await burst
    expect(r.received).toEqual([...Array(n).keys()])
    expect(m.proxy.shaping().pauses).toBe(1)
})

test("JSON-RPC over devices/<id>/rx|tx is answered every time", async () => {
    const samples = await rpcRoundTrips(m, "wifi01", 10)
    expect(samples).toHaveLength(10)
})

test("a reset of the link in the middle of a burst: the persistent session resends, every publish arrives", async () => {
    const device = await connectNodeAsync({
        url: m.proxy.url,
        clientId: "wifi-persistent",
        clean: false,
        reconnectPeriod: 100,
        reconnectPeriodMax: 1000,
        outboxMaxMessages: 1000,
        outboxMaxBytes: 1_000_000,
    })
    try {
        const n = 100
        const before = m.proxy.bytes().toBroker
        const burst = pipelinedQos1(m, "wifi/reset", n, 64, device)
        // cut while the burst is on the wire: some publishes are acknowledged, some in flight
        await until(() => m.proxy.bytes().toBroker - before > 20 * 70, 10000, "a fifth of the burst through the link")
        await m.proxy.resetNow()
        const r = await burst
        expect([...new Set(r.received)].sort((a, b) => a - b)).toEqual([...Array(n).keys()])
        expect(device.stats().reconnects).toBeGreaterThanOrEqual(1)
        expect(device.stats().messagesResent).toBeGreaterThan(0)
        expect(m.proxy.shaping().resets).toBeGreaterThanOrEqual(1)
    } finally {
        device.end()
    }
})
