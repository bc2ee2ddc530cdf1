// A connection that Mosquitto drops right after CONNACK (here: another client takes over the id,
// 3.1.4-2) must not reset the reconnect backoff, or the client hammers the broker at its floor delay.
import { afterAll, beforeAll, expect, test } from "vitest"
import mqtt from "mqtt"
import { connect } from "../../../src/mqtt/client/client"
import { NodeStreamConnector } from "../../../src/host/node-stream"
import { nodeClock, nodeCompletions } from "../../../src/host/node-platform"
import { Mosquitto, startMosquitto } from "../../helpers/mosquitto"
import { until } from "../../helpers/wait"

let broker: Mosquitto

beforeAll(async () => {
    broker = await startMosquitto({ persistence: false })
})

afterAll(async () => {
    await broker?.stop()
})

test("kicked off after every CONNACK, the client waits longer each time", async () => {
    // the kicker's first connection is slow (module warm-up): not part of what is measured
    await (await mqtt.connectAsync(broker.url, { clientId: "warm-up" })).endAsync()
    // jitter pinned near its ceiling: the delays are ~100, 200, 400, 800 ms
    const platform = {
        connector: new NodeStreamConnector({}),
        clock: nodeClock,
        random: { next: () => 0.999 },
        completions: nodeCompletions,
    }
    const c = connect({ url: broker.url, clientId: "kicked", reconnectPeriod: 100, reconnectPeriodMax: 3200 }, platform)
    const connectedAt: number[] = []
    let kicks = 0
    c.on("connect", () => {
        connectedAt.push(Date.now())
        if (connectedAt.length > 5) return
        // the same client id: Mosquitto disconnects the first client (session takeover)
        void mqtt.connectAsync(broker.url, { clientId: "kicked", reconnectPeriod: 0 }).then(async (k) => {
            kicks++
            await k.endAsync()
        })
    })
    await until(() => connectedAt.length >= 5, 15000, "five connections")
    c.end()
    await until(() => kicks >= 5, 5000, "the kickers done")
    const gaps = connectedAt.slice(1).map((t, i) => t - connectedAt[i])
    // each gap is the backoff delay plus a kick's round trips: growing, not flat at the floor
    for (let i = 1; i < gaps.length; i++) expect(gaps[i], `gaps ${gaps.join(", ")}`).toBeGreaterThan(gaps[i - 1])
    expect(gaps[3], `gaps ${gaps.join(", ")}`).toBeGreaterThan(3 * gaps[0])
}, 30000)
