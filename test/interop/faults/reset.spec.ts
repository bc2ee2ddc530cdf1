// Connection reset (TCP RST) in the middle of a packet, both directions, under QoS 0/1/2 traffic both ways.
import { afterEach, expect, test } from "vitest"
import { expectDelivery, startRig, until, type Rig } from "./harness"

let rig: Rig | undefined
afterEach(async () => {
    await rig?.stop()
    rig = undefined
})

test("RST mid-packet (broker->device, device->broker) and plain RSTs: QoS 1 at least once, QoS 2 exactly once", async () => {
    rig = await startRig()
    const r = rig
    const cuts: { forwarded: number; dropped: number }[] = []
    let faults = 0
    await r.traffic(150, 4, async () => {
        // A packet from the broker cut in half, then one from the device, then three bare resets.
        for (const dir of ["toClient", "toBroker"] as const) {
            const connects = r.log.connects.length
            // 20 bytes or more: a PUBLISH (topic + payload), not a 4-byte acknowledgement.
            cuts.push(await r.proxy.resetMidPacket(dir, 20))
            faults++
            await until(() => r.log.connects.length > connects, 10_000, "reconnect after RST")
        }
        for (let i = 0; i < 3; i++) {
            const connects = r.log.connects.length
            await r.proxy.resetNow()
            faults++
            r.sendOne(1)
            r.sendOne(2)
            await until(() => r.log.connects.length > connects, 10_000, "reconnect after RST")
        }
    })
    await r.settle(20_000)
    r.report("connection reset mid-packet", { faults, cuts })
    expectDelivery(r)
    // Each cut really split a packet: some bytes went through, the rest never did.
    for (const c of cuts) {
        expect(c.forwarded).toBeGreaterThanOrEqual(10)
        expect(c.dropped).toBeGreaterThan(0)
    }
    expect(r.device.stats().connects).toBe(1 + faults)
    // A reset is a network fault, not a protocol error: nothing was reported as malformed.
    expect(r.device.stats().protocolErrors).toBe(0)
}, 60_000)
