// Partial writes: every write in both directions cut into 1-7 byte pieces with delays, so packets
// arrive split at every possible place, and several packets end and start inside one read.
import { afterEach, expect, test } from "vitest"
import { expectDelivery, startRig, type Rig } from "./harness"

let rig: Rig | undefined
afterEach(async () => {
    await rig?.stop()
    rig = undefined
})

test("1-byte, 3-byte and 7-byte fragments with delays: nothing lost at any QoS, no duplicate", async () => {
    rig = await startRig()
    const r = rig
    const phases = [
        { size: 1, delayMs: 0 },
        { size: 3, delayMs: 1 },
        { size: 7, delayMs: 2 },
    ]
    for (const f of phases) {
        r.proxy.fragment(f)
        await r.traffic(25, 15)
        await r.settle(20_000)
    }
    r.proxy.fragment(undefined)
    r.report("partial writes", { phases, bytes: r.proxy.bytes() })
    expectDelivery(r)
    // No fault broke the link here, so even QoS 0 must all arrive, exactly once.
    for (const l of [r.up, r.down]) {
        expect(l.missing(0)).toEqual([])
        expect(l.duplicates(0)).toBe(0)
        expect(l.duplicates(1)).toBe(0)
    }
    expect(r.device.stats().connects).toBe(1)
    expect(r.device.stats().protocolErrors).toBe(0)
}, 60_000)
