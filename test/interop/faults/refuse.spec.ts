// The broker refusing connections for a while (every TCP connection accepted and reset at once).
// The client must back off exponentially (full jitter, min 100 ms, max 2 s here), not storm, and
// come back with nothing lost at QoS 1/2 once the broker accepts again.
import { afterEach, expect, test } from "vitest"
import { expectDelivery, sleep, startRig, until, type Rig } from "./harness"

let rig: Rig | undefined
afterEach(async () => {
    await rig?.stop()
    rig = undefined
})

const intervals = (t: number[]) => t.slice(1).map((x, i) => x - t[i])

test("backoff doubles on the wire: with jitter pinned near its ceiling the gaps go ~100, 200, 400, 800, 1600, 2000, 2000 ms", async () => {
    // random() = 0.999: each delay is just under the current ceiling, so the doubling is visible exactly.
    rig = await startRig({ random: { next: () => 0.999 }, device: { reconnectPeriod: 100, reconnectPeriodMax: 2000 } })
    const r = rig
    const before = r.proxy.attempts()
    r.proxy.refuse(true)
    const t0 = Date.now()
    await r.proxy.resetNow()
    // seven refused attempts: five doublings, then two at the ceiling
    await until(() => r.proxy.attempts() - before >= 7, 20_000, "seven reconnect attempts")
    const times = r.proxy.attemptTimes().slice(before, before + 7)
    r.proxy.refuse(false)
    await until(() => r.device.isConnected(), 5000, "reconnect once the broker accepts")
    const gaps = intervals([t0, ...times])
    r.report("refusal, pinned jitter", { gapsMs: gaps })
    // A timer never fires early, so each gap is at least its pinned delay; a late one (a loaded
    // machine) only stretches it, so the shape is checked by order and ratio, not milliseconds.
    const expected = [99, 199, 399, 799, 1598, 1998, 1998]
    gaps.forEach((g, i) => expect(g).toBeGreaterThanOrEqual(expected[i] - 5))
    // the ceiling doubles: each gap longer than the one before, about twice it where the gaps are
    // long enough for timer lateness not to swamp the ratio
    for (let i = 1; i <= 4; i++) expect(gaps[i]).toBeGreaterThan(gaps[i - 1])
    for (let i = 3; i <= 4; i++) {
        expect(gaps[i] / gaps[i - 1]).toBeGreaterThan(1.4)
        expect(gaps[i] / gaps[i - 1]).toBeLessThan(2.6)
    }
    // then it stays at reconnectPeriodMax: the last two gaps alike, and shorter than another doubling
    expect(gaps[6] / gaps[5]).toBeGreaterThan(0.7)
    expect(gaps[6] / gaps[5]).toBeLessThan(1.4)
    expect(gaps[5] / gaps[4]).toBeLessThan(1.6)
}, 30_000)

test("5 s of refusal under traffic (real jitter): a handful of attempts, no storm, then nothing lost", async () => {
    rig = await startRig({ device: { reconnectPeriod: 100, reconnectPeriodMax: 2000 } })
    const r = rig
    let attempts = 0
    let refusedMs = 0
    await r.traffic(100, 60, async () => {
        const before = r.proxy.attempts()
        r.proxy.refuse(true)
        const t0 = Date.now()
        await r.proxy.resetNow()
        // the fault's length (5 s of refusal), not a wait: the device's own backoff runs meanwhile
        await sleep(5000)
        r.proxy.refuse(false)
        refusedMs = Date.now() - t0
        attempts = r.proxy.attempts() - before
        await until(() => r.device.isConnected(), 5000, "reconnect once the broker accepts")
    })
    await r.settle(20_000)
    r.report("refusal under traffic", { refusedMs, attemptsWhileRefused: attempts })
    // Expected about 8 (ceilings 100..2000 ms, mean delay half the ceiling); an immediate-retry
    // client would make thousands, a fixed 100 ms one 50.
    expect(attempts).toBeGreaterThanOrEqual(3)
    expect(attempts).toBeLessThanOrEqual(20)
    expectDelivery(r)
}, 60_000)
