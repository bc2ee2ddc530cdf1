// The broker restarted (graceful stop, persistence on) in the middle of traffic both ways. The device
// (clean session off) and the peer both come back to their stored sessions; messages queued for the
// device while it was away are delivered, unacknowledged ones are resent with DUP.
import { afterEach, expect, test } from "vitest"
import { expectDelivery, startRig, until, type Rig } from "./harness"

let rig: Rig | undefined
afterEach(async () => {
    await rig?.stop()
    rig = undefined
})

test("broker stopped until both sides noticed, then started again with its database: QoS 1 at least once, QoS 2 exactly once", async () => {
    rig = await startRig({ persistence: true })
    const r = rig
    let downMs = 0
    let peerRetries = 0
    r.peer.on("reconnect", () => peerRetries++)
    let sessionPresent: boolean | undefined
    r.device.on("connect", (sp: boolean) => (sessionPresent = sp))
    await r.traffic(150, 10, async () => {
        const connects = r.log.connects.length
        const t0 = Date.now()
        const closes = r.log.closes.length
        await r.broker.stop()
        // down until both the device (through the proxy) and the peer have lost it and tried in
        // vain to come back: each side's reconnect runs against a dead broker first
        const attempts = r.proxy.attempts()
        const retries = peerRetries
        await until(
            () => r.log.closes.length > closes + 1 && r.proxy.attempts() > attempts && peerRetries > retries + 1,
            10_000,
            "device and peer to retry against the stopped broker"
        )
        await r.broker.start()
        downMs = Date.now() - t0
        await until(() => r.log.connects.length > connects, 10_000, "the device back on the restarted broker")
    })
    await r.settle(20_000)
    r.report("broker restart with persistence", { downMs, sessionPresent })
    expectDelivery(r)
    // The broker kept the device's session (subscriptions, queued QoS 1/2) in its database.
    expect(sessionPresent).toBe(true)
    expect(r.device.stats().connects).toBe(2)
    expect(r.device.stats().protocolErrors).toBe(0)
}, 60_000)
