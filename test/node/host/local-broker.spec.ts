import { describe, expect, test } from "vitest"
import mqtt from "mqtt"
import { startLocalBroker } from "../../../src/host/local-broker"

describe("in-process broker for npm start", () => {
    test("routes a retained message between two real MQTT clients", async () => {
        const broker = await startLocalBroker(0)
        const pub = await mqtt.connectAsync(broker.url)
        await pub.publishAsync("local/check", "hello", { qos: 1, retain: true })
        const sub = await mqtt.connectAsync(broker.url)
        const got = new Promise<string>((resolve) => sub.on("message", (_t, p) => resolve(p.toString())))
        await sub.subscribeAsync("local/check", { qos: 1 })
        expect(await got).toBe("hello")
        await pub.endAsync()
        await sub.endAsync()
        await broker.close()
    })
})
