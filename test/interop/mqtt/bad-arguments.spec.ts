// Bad publish arguments against a real Mosquitto: each call throws at once and leaves nothing
// behind (no packet id held in the window, nothing queued), so the valid traffic after it flows,
// flush() resolves, and a reconnect restores the subscription.
import { afterAll, beforeAll, expect, test } from "vitest"
import { connectNodeAsync, NodeStreamConnector } from "../../../src/host/mqtt"
import { Mosquitto, startMosquitto } from "../../helpers/mosquitto"
import { until } from "../../helpers/wait"

let broker: Mosquitto

beforeAll(async () => {
    broker = await startMosquitto({ persistence: false })
})

afterAll(async () => {
    await broker?.stop()
})

test("16 QoS 1 publishes with a number payload, connected then offline, block nothing", async () => {
    const connector = new NodeStreamConnector()
    const c = await connectNodeAsync({ url: broker.url, clientId: "bad-args", connector, reconnectPeriod: 50 })
    const got: string[] = []
    c.on("message", (_t, p) => got.push(p.toString()))
    await c.subscribe("bad/echo", { qos: 1 })
    for (let i = 0; i < 16; i++)
        expect(() => c.publishNoWait("bad/echo", 42 as unknown as string, { qos: 1 })).toThrow(
            /payload must be a string, a Buffer or an object/
        )
    let flushed = false
    c.publishNoWait("bad/echo", "first", { qos: 1 })
    void c.flush().then(() => (flushed = true))
    await until(() => flushed && got.includes("first"), 5000, "the valid publish acknowledged and echoed, flush() resolved")

    // offline: the bad one is refused, the valid one queued and sent after the reconnect
    let connects = 0
    c.on("connect", () => connects++)
    // Published from the close event itself: the reconnect (50 ms) cannot come first.
    let refusal = ""
    let offlineWhenQueued = false
    let closes = 0
    c.on("close", () => {
        if (closes++ > 0) return
        offlineWhenQueued = !c.isConnected()
        try {
            c.publishNoWait("bad/echo", 42 as unknown as string, { qos: 1 })
        } catch (e) {
            refusal = String(e)
        }
        c.publishNoWait("bad/echo", "second", { qos: 1 })
    })
    connector.last!.destroy()
    await until(() => connects === 1 && got.includes("second"), 5000, "reconnected, resubscribed, the queued message echoed")
    expect(offlineWhenQueued).toBe(true)
    expect(refusal).toMatch(/payload/)
    expect(got).toEqual(["first", "second"])
    c.end()
}, 20000)
