// QoS 0/1/2 in both directions and retained messages, against a real Mosquitto, with MQTT.js as the other side.
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import mqtt from "mqtt"
import { connectNodeAsync, MqttClient } from "../../../src/host/mqtt"
import { Mosquitto, startMosquitto } from "../../helpers/mosquitto"
import { until } from "./proxy"
import { afterMarker } from "../../helpers/wait"

let broker: Mosquitto
let ours: MqttClient
let theirs: mqtt.MqttClient

beforeAll(async () => {
    broker = await startMosquitto({ persistence: false })
    // 200 publishes are issued at once: 16 in flight, the rest wait in the outbox
    ours = await connectNodeAsync({ url: broker.url, clientId: "ours-qos", outboxMaxMessages: 1000, outboxMaxBytes: 100000 })
    theirs = await mqtt.connectAsync(broker.url, { clientId: "theirs-qos", reconnectPeriod: 0 })
})

afterAll(async () => {
    ours?.end()
    await theirs?.endAsync()
    await broker?.stop()
})

describe("interop with Mosquitto and MQTT.js: QoS both directions", () => {
    for (const qos of [0, 1, 2] as const) {
        test(`our QoS ${qos} publishes reach an MQTT.js subscriber once each, in order`, async () => {
            const topic = `up/${qos}`
            const got: string[] = []
            const onMsg = (t: string, p: Buffer) => {
                if (t === topic) got.push(p.toString())
            }
            theirs.on("message", onMsg)
            await theirs.subscribeAsync(topic, { qos })
            const n = 200
            const all: Promise<void>[] = []
            for (let i = 0; i < n; i++) all.push(ours.publish(topic, "m" + i, { qos }))
            await Promise.all(all)
            await until(() => got.length >= n, 5000)
            theirs.off("message", onMsg)
            expect(got.length).toBe(n)
            expect(got.join(",")).toBe(Array.from({ length: n }, (_, i) => "m" + i).join(","))
        })

        test(`our QoS ${qos} long texts (header, then the text) reach MQTT.js byte for byte, between short ones`, async () => {
            const topic = `long/${qos}`
            const got: string[] = []
            const onMsg = (t: string, p: Buffer) => {
                if (t === topic) got.push(p.toString())
            }
            theirs.on("message", onMsg)
            await theirs.subscribeAsync(topic, { qos })
            const long = "\u00e9t\u00e9 \u20ac \ud83d\ude00 ".repeat(200)
            const sent = ["a", long, "b", long + "!", "c"]
            await Promise.all(sent.map((m) => ours.publish(topic, m, { qos })))
            await until(() => got.length >= sent.length, 5000)
            theirs.off("message", onMsg)
            expect(got).toEqual(sent)
        })

        test(`MQTT.js QoS ${qos} publishes reach our subscriber once each`, async () => {
            const topic = `down/${qos}`
            const got: string[] = []
            const granted = await ours.subscribe(topic, { qos, onMessage: (_t, p) => got.push(p.toString()) })
            expect(granted).toEqual([qos])
            const n = 200
            // MQTT.js has no in-flight window for 3.1.1; Mosquitto drops (with PUBREC rc 0x97) QoS 2
            // beyond its 20-message receive quota, so the other side publishes in batches of 10
            for (let i = 0; i < n; i += 10)
                await Promise.all(Array.from({ length: 10 }, (_, k) => theirs.publishAsync(topic, "d" + (i + k), { qos })))
            await until(() => got.length >= n, 5000)
            expect(got.length).toBe(n)
            expect(new Set(got).size).toBe(n)
            await ours.unsubscribe(topic)
        })
    }

    test("the stats count what crossed the wire", () => {
        const s = ours.stats()
        expect(s.messagesSent).toBeGreaterThanOrEqual(600)
        expect(s.messagesAcked).toBeGreaterThanOrEqual(400)
        expect(s.messagesReceived).toBeGreaterThanOrEqual(600)
        expect(s.inflight).toBe(0)
        expect(s.queued).toBe(0)
    })

    test("retained: a later subscriber gets the retained message with the retain flag; empty payload clears it", async () => {
        await ours.publish("ret/a", "kept", { qos: 1, retain: true })
        const late = await connectNodeAsync({ url: broker.url, clientId: "ours-late" })
        const got: Array<[string, boolean]> = []
        await late.subscribe("ret/#", { qos: 1, onMessage: (_t, p, packet) => got.push([p.toString(), packet.retain]) })
        await until(() => got.length >= 1, 3000)
        expect(got).toEqual([["kept", true]])
        // a live message on the same topic is not flagged retained (3.3.1.3)
        await theirs.publishAsync("ret/a", "live", { qos: 1 })
        await until(() => got.length >= 2, 3000)
        expect(got[1]).toEqual(["live", false])
        late.end()
        await ours.publish("ret/a", "", { qos: 1, retain: true })
        const later = await mqtt.connectAsync(broker.url, { clientId: "theirs-later", reconnectPeriod: 0 })
        const seen: string[] = []
        later.on("message", (t, p) => seen.push(p.toString()))
        await later.subscribeAsync("ret/#", { qos: 1 })
        // the broker queues retained messages right behind the SUBACK, so a live marker published
        // after it arrives behind any of them
        await afterMarker(
            () => later.publishAsync("ret/marker", "marker", { qos: 1 }),
            () => seen.includes("marker"),
            3000,
            "on ret/"
        )
        expect(seen).toEqual(["marker"])
        await later.endAsync()
    })

    test("wildcard dispatch: onMessage handlers see only their filter's topics; $SYS is not matched by #", async () => {
        const a: string[] = []
        const b: string[] = []
        const all: string[] = []
        const sys: string[] = []
        await ours.subscribe("w/+/x", { qos: 0, onMessage: (t) => a.push(t) })
        await ours.subscribe("w/#", { qos: 0, onMessage: (t) => b.push(t) })
        await ours.subscribe("#", { qos: 0, onMessage: (t) => all.push(t) })
        // Mosquitto retains $SYS/broker/version: it arrives for this subscription, and the client
        // must not hand it to the "#" handler (4.7.2-1)
        await ours.subscribe("$SYS/broker/version", { qos: 0, onMessage: (t) => sys.push(t) })
        for (const t of ["w/1/x", "w/2/y", "w"]) await theirs.publishAsync(t, "p", { qos: 1 })
        await until(() => b.length >= 3 && sys.length >= 1, 3000)
        expect(a).toEqual(["w/1/x"])
        expect(b.sort()).toEqual(["w", "w/1/x", "w/2/y"])
        expect(sys).toEqual(["$SYS/broker/version"])
        expect(all.filter((t) => t.startsWith("$"))).toEqual([])
        expect(all.filter((t) => t.startsWith("w")).sort()).toEqual(["w", "w/1/x", "w/2/y"])
        await ours.unsubscribe(["w/+/x", "w/#", "#", "$SYS/broker/version"])
    })
})
