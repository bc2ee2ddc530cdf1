// Last will, persistent sessions, and a half-open link, against a real Mosquitto.
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import mqtt from "mqtt"
import { connectNode, connectNodeAsync, NodeStreamConnector } from "../../../src/host/mqtt"
import { Mosquitto, startMosquitto } from "../../helpers/mosquitto"
import { startProxy } from "./proxy"
import { afterMarker, roundTrip, until, untilLine } from "../../helpers/wait"

let broker: Mosquitto

beforeAll(async () => {
    broker = await startMosquitto({ persistence: false })
})

afterAll(async () => {
    await broker?.stop()
})

describe("last will (3.1.2.5)", () => {
    test("published when the socket dies without DISCONNECT, with its qos and retain", async () => {
        const watcher = await mqtt.connectAsync(broker.url, { clientId: "will-watcher", reconnectPeriod: 0 })
        const got: Array<[string, string, boolean]> = []
        watcher.on("message", (t, p, packet) => got.push([t, p.toString(), packet.retain]))
        await watcher.subscribeAsync("will/#", { qos: 1 })
        const connector = new NodeStreamConnector()
        const c = await connectNodeAsync({
            url: broker.url,
            clientId: "will-dies",
            connector,
            reconnectPeriod: 0,
            will: { topic: "will/dies", payload: "offline", qos: 1, retain: true },
        })
        connector.last!.destroy() // no DISCONNECT: as if the board lost power
        await until(() => got.length >= 1, 5000, "the will")
        expect(got).toEqual([["will/dies", "offline", false]])
        // retained: a later subscriber sees it flagged as retained
        const late = await connectNodeAsync({ url: broker.url, clientId: "will-late" })
        const seen: Array<[string, boolean]> = []
        await late.subscribe("will/dies", { qos: 1, onMessage: (_t, p, packet) => seen.push([p.toString(), packet.retain]) })
        await until(() => seen.length >= 1, 3000, "the retained will")
        expect(seen).toEqual([["offline", true]])
        late.end()
        c.end()
        await watcher.endAsync()
    })

    test("not published after end() (DISCONNECT discards it, 3.14.4)", async () => {
        const watcher = await mqtt.connectAsync(broker.url, { clientId: "will-watcher2", reconnectPeriod: 0 })
        const got: string[] = []
        watcher.on("message", (t) => got.push(t))
        await watcher.subscribeAsync("will2/#", { qos: 1 })
        const logFrom = broker.log().length
        const c = await connectNodeAsync({
            url: broker.url,
            clientId: "will-polite",
            will: { topic: "will2/polite", payload: "x", qos: 1 },
        })
        c.end()
        // The broker decides about the will when it closes the connection; after that, a marker
        // published to the watcher arrives behind the will, if there was one.
        await untilLine(broker.log, /Client will-polite disconnected/, 5000, "the broker to drop will-polite", logFrom)
        await afterMarker(
            () => watcher.publishAsync("will2/marker", "m", { qos: 1 }),
            () => got.includes("will2/marker"),
            5000,
            "on will2/"
        )
        expect(got).toEqual(["will2/marker"])
        await watcher.endAsync()
    })
})

describe("persistent session (clean=false)", () => {
    test("messages queued while the client was away arrive on resume, QoS 2 exactly once, no resubscribe needed", async () => {
        const opts = { url: broker.url, clientId: "persist-1", clean: false }
        const first = await connectNodeAsync(opts)
        // start from a known state: the broker may remember this id from an earlier run
        const logFrom = broker.log().length
        await first.subscribe("p/+", { qos: 2 })
        first.end()
        // publish only once the broker holds the session offline, so everything is queued for it
        await untilLine(broker.log, /Client persist-1 disconnected/, 5000, "the broker to drop persist-1", logFrom)
        const pub = await mqtt.connectAsync(broker.url, { clientId: "persist-pub", reconnectPeriod: 0 })
        for (let i = 0; i < 30; i += 10)
            await Promise.all(
                Array.from({ length: 10 }, (_, k) =>
                    pub.publishAsync(k % 2 ? "p/a" : "p/b", "q" + (i + k), { qos: (k % 2 ? 1 : 2) as 1 | 2 })
                )
            )
        await pub.endAsync()
        const got: string[] = []
        let sessionPresent: boolean | undefined
        const again = connectNode(opts)
        again.on("connect", (sp: boolean) => (sessionPresent = sp))
        again.on("message", (_t: string, p: Buffer) => got.push(p.toString()))
        await again.whenConnected()
        await until(() => got.length >= 30, 5000, "the 30 queued messages")
        expect(sessionPresent).toBe(true)
        expect(got.length).toBe(30)
        expect(new Set(got).size).toBe(30)
        // the session kept the subscription, so nothing was resubscribed: exactly CONNECT,
        // 15 PUBACK and 15 x (PUBREC + PUBCOMP) went out
        await until(() => again.stats().packetsSent >= 46, 3000, "every acknowledgement sent")
        // A marker publish (to a topic it does not subscribe) acknowledged by the broker: every
        // PUBREL came before its PUBACK, so every PUBCOMP (or stray SUBSCRIBE) was sent before it.
        await again.publish("marker/persist-1", "m", { qos: 1 })
        expect(again.stats().packetsSent).toBe(1 + 15 + 30 + 1)
        again.end()
    })

    test("a broker that lost the session (clean start elsewhere) gets the subscriptions again", async () => {
        const c = await connectNodeAsync({
            url: broker.url,
            clientId: "persist-2",
            clean: false,
            reconnectPeriod: 50,
            reconnectPeriodMax: 100,
        })
        const got: string[] = []
        await c.subscribe("lost/+", { qos: 1, onMessage: (t) => got.push(t) })
        // another connection with the same id and clean=true wipes the broker's session and kicks us off
        const thief = await mqtt.connectAsync(broker.url, { clientId: "persist-2", clean: true, reconnectPeriod: 0 })
        await thief.endAsync()
        const presents: boolean[] = []
        c.on("connect", (sp: boolean) => presents.push(sp))
        await until(() => presents.length >= 1, 5000, "the reconnect")
        expect(presents[0]).toBe(false)
        const pub = await mqtt.connectAsync(broker.url, { clientId: "persist-pub2", reconnectPeriod: 0 })
        // the restored subscription is in place once a probe on it comes through (the broker
        // drops probes published before that)
        await roundTrip(
            () => pub.publishAsync("lost/probe", "p", { qos: 1 }),
            () => got.includes("lost/probe"),
            5000,
            "a probe on the restored subscription"
        )
        await pub.publishAsync("lost/x", "y", { qos: 1 })
        await pub.endAsync()
        await until(() => got.includes("lost/x"), 3000, "lost/x")
        expect(got.filter((t) => t !== "lost/probe")).toEqual(["lost/x"])
        c.end()
    })
})

describe("half-open link", () => {
    test("a link that goes silent is found within 1.5 x keepalive, then the client reconnects", async () => {
        const proxy = await startProxy(broker.port)
        const keepalive = 2
        const c = await connectNodeAsync({
            host: "127.0.0.1",
            port: proxy.port,
            clientId: "half-open",
            keepalive,
            reconnectPeriod: 100,
            reconnectPeriodMax: 200,
        })
        const errors: string[] = []
        c.on("error", (e: any) => errors.push(e.code))
        let offlineAt = 0
        c.on("offline", () => (offlineAt = Date.now()))
        // publish QoS 0 every 100 ms so the client never stops sending
        const timer = setInterval(() => {
            if (c.isConnected()) c.publishNoWait("ho/t", "x", { qos: 0 })
        }, 100)
        const sentBefore = c.stats().packetsSent
        await until(() => c.stats().packetsSent >= sentBefore + 3, 5000, "the client publishing")
        const silentAt = Date.now()
        const pingsBefore = c.stats().pingsSent
        proxy.blackhole(true)
        await until(() => offlineAt > 0, 5000, "the client to give the link up")
        const detectedAfter = offlineAt - silentAt
        const pings = c.stats().pingsSent - pingsBefore
        proxy.blackhole(false)
        proxy.cut()
        let back = true
        await until(() => c.isConnected(), 5000, "the reconnect").catch(() => (back = false))
        clearInterval(timer)
        c.end()
        await proxy.close()
        expect(errors).toContain("PING_TIMEOUT")
        // found by the first unanswered PINGREQ (at most keepalive of silence, then keepalive/2
        // for the PINGRESP), long before a second keepalive period would have run out
        expect(pings).toBe(1)
        expect(detectedAfter / (keepalive * 1000)).toBeLessThan(2)
        expect(back).toBe(true)
        console.log(`half-open link found after ${detectedAfter} ms (keepalive ${keepalive} s)`)
    })
})
