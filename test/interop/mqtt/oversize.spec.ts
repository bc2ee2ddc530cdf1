// A message over the client's maxPacketSize queued for a persistent session, against a real
// Mosquitto: the client acknowledges it without delivering it (the "oversize" event), so the
// broker drops it instead of sending it again on every reconnect.
import { afterAll, beforeAll, expect, test } from "vitest"
import mqtt from "mqtt"
import { connectNodeAsync } from "../../../src/host/mqtt"
import { Mosquitto, startMosquitto } from "../../helpers/mosquitto"
import { until } from "../../helpers/wait"

let broker: Mosquitto

beforeAll(async () => {
    broker = await startMosquitto({ persistence: false })
})

afterAll(async () => {
    await broker?.stop()
})

test("a 70,000 B QoS 1 message for a clean:false client with the 64 KB default limit is acknowledged once, not delivered, and the session carries on", async () => {
    const first = await connectNodeAsync({ url: broker.url, clientId: "poisoned", clean: false })
    await first.subscribe("poison/#", { qos: 1 })
    first.end()
    const sender = await mqtt.connectAsync(broker.url, { clientId: "poison-sender" })
    await sender.publishAsync("poison/big", Buffer.alloc(70000, 0x7a), { qos: 1 })
    await sender.publishAsync("poison/after", "small", { qos: 1 })

    const oversize: string[] = []
    const messages: string[] = []
    let connects = 0
    const c = await connectNodeAsync({ url: broker.url, clientId: "poisoned", clean: false })
    c.on("oversize", (topic, size, limit) => oversize.push(`${topic} ${size} ${limit}`))
    c.on("message", (topic) => messages.push(topic))
    c.on("connect", () => connects++)
    await until(() => messages.includes("poison/after"), 10000, "the message queued after the oversized one")
    expect(oversize).toEqual(["poison/big 70018 65536"])
    expect(messages).toEqual(["poison/after"])
    // never dropped: the "connect" listener was added after the first CONNACK
    expect(connects).toBe(0)
    expect(broker.log()).not.toMatch(/protocol error|disconnected due to/i)
    c.end()

    // the broker took the PUBACK: nothing is sent again to the next connection
    const again = await connectNodeAsync({ url: broker.url, clientId: "poisoned", clean: false })
    const later: string[] = []
    again.on("oversize", (topic) => later.push("oversize " + topic))
    again.on("message", (topic) => later.push(topic))
    await sender.publishAsync("poison/marker", "m", { qos: 1 })
    await until(() => later.includes("poison/marker"), 10000, "the marker")
    expect(later).toEqual(["poison/marker"])
    again.end()
    await sender.endAsync()
}, 30000)
