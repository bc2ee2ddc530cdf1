// A stall: the link goes half-open (no bytes, no FIN, no RST). With keepalive 2 s the client must
// find it within 1.5 x keepalive = 3 s (no PINGRESP), reconnect, and lose no QoS 1/2 message.
import { afterEach, expect, test } from "vitest"
import { expectDelivery, startRig, until, type Rig } from "./harness"

const KEEPALIVE_S = 2
const BOUND_MS = 1.5 * KEEPALIVE_S * 1000
// The design bound is last byte received + keepalive + keepalive/2, reached by the first unanswered
// PINGREQ; the next one would be due a keepalive later. Timers run late on a loaded machine, so the
// tests check the PINGREQ count and the ratio to that next period instead of milliseconds.
const NEXT_PERIOD_MS = 2 * KEEPALIVE_S * 1000

let rig: Rig | undefined
afterEach(async () => {
    await rig?.stop()
    rig = undefined
})

async function stallAndTime(r: Rig): Promise<{ detectedMs: number; reason: string; pings: number }> {
    const closes = r.log.closes.length
    const pings = r.device.stats().pingsSent
    const t0 = Date.now()
    r.proxy.stall()
    await until(() => r.log.closes.length > closes, 2 * NEXT_PERIOD_MS, "the client to notice the stall")
    const c = r.log.closes[closes]
    return { detectedMs: c.at - t0, reason: c.reason, pings: r.device.stats().pingsSent - pings }
}

test("idle link stalls: found within 1.5 x keepalive by a missing PINGRESP, then reconnected", async () => {
    // Jitter pinned: the reconnect comes 999 ms after the close, leaving time to look at the old link.
    rig = await startRig({ device: { keepalive: KEEPALIVE_S, reconnectPeriod: 1000 }, random: { next: () => 0.999 } })
    const r = rig
    // Stall right after a keepalive exchange (PINGREQ out, PINGRESP back): the worst case, a full
    // keepalive of silence before the next PINGREQ and half of one for its PINGRESP.
    const rx = r.device.stats().packetsReceived
    await until(() => r.device.stats().pingsSent >= 1, 3 * KEEPALIVE_S * 1000, "a PINGREQ")
    await until(() => r.device.stats().packetsReceived > rx, 3 * KEEPALIVE_S * 1000, "its PINGRESP")
    const { detectedMs, reason, pings } = await stallAndTime(r)
    // The broker's side of the stalled connection is still open: no FIN or RST crossed the proxy,
    // so the link really was half-open when the client gave up on it.
    const halfOpenAtDetection = r.proxy.halfOpen()
    await until(() => r.log.connects.length >= 2, 5000, "reconnect")
    r.report("stall while idle", { detectedMs, reason, boundMs: BOUND_MS })
    expect(pings).toBe(1)
    expect(detectedMs / NEXT_PERIOD_MS).toBeLessThan(1)
    expect(r.device.stats().pingTimeouts).toBe(1)
    expect(r.log.errors.map((e) => e.code)).toEqual(["PING_TIMEOUT"])
    expect(halfOpenAtDetection).toBe(1)
    // Reconnecting with the same client id made Mosquitto take the session over and drop the old link.
    await until(() => r.proxy.halfOpen() === 0, 3000, "the broker to drop the stale connection")
}, 30_000)

test("link stalls under traffic both ways: found within 1.5 x keepalive, QoS 1 at least once, QoS 2 exactly once", async () => {
    rig = await startRig({ device: { keepalive: KEEPALIVE_S } })
    const r = rig
    let timing: { detectedMs: number; reason: string; pings: number } | undefined
    await r.traffic(120, 30, async () => {
        timing = await stallAndTime(r)
    })
    await r.settle(20_000)
    r.report("stall under traffic", { ...timing, boundMs: BOUND_MS })
    expect(timing!.pings).toBe(1)
    expect(timing!.detectedMs / NEXT_PERIOD_MS).toBeLessThan(1)
    expect(r.device.stats().pingTimeouts).toBe(1)
    expectDelivery(r)
}, 60_000)
