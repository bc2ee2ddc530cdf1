// A client given the whole cluster in its url (MQTT_URL list syntax) loses its node to a SIGKILL
// and carries on through another node: the dialler (src/broker-dialler.ts) moves to the next URL,
// the session's backoff paces the attempts, the client subscribes again on the new node, and every
// QoS 1 message published after it is back arrives. Real 3-node NATS cluster on loopback
// (test/helpers/broker-cluster.ts; docs/cluster.md).
import { afterEach, beforeEach, describe, expect, test } from "vitest"
import type { StreamEvents, StreamTarget, Stream } from "../../../src/io"
import { connectNodeAsync, MqttClient, NodeStreamConnector } from "../../../src/host/mqtt"
import { BrokerCluster, natsServerPath, startBrokerCluster } from "../../helpers/broker-cluster"
import { freePort } from "../../helpers/ports"
import { until } from "../../helpers/wait"

const nats = natsServerPath()
if (!nats) console.log("cluster tests skipped: nats-server is not installed (scripts/install-system-deps.sh installs it)")

/** Remembers the port of every connection the client opens: which node it dialled, in order. */
class RecordingConnector extends NodeStreamConnector {
    dialled: number[] = []
    override open(target: StreamTarget, events: StreamEvents): Stream {
        this.dialled.push(target.port)
        return super.open(target, events)
    }
}

const fast = {
    reconnectPeriod: 100,
    reconnectPeriodMax: 400,
    keepalive: 5,
    connectTimeout: 5000,
    outboxMaxMessages: 1000,
    outboxMaxBytes: 100_000,
}
const N = 100
/** NATS's default is 30 s: shorter, so messages a dead node had in flight come again within the test. */
const ACK_WAIT_S = 5

describe.skipIf(!nats)("a client with the cluster's 3 URLs", () => {
    let cluster: BrokerCluster
    const clients: MqttClient[] = []

    // a fresh cluster for each test: a node killed by one test leaves JetStream re-electing leaders
    beforeEach(async () => {
        const t0 = Date.now()
        cluster = await startBrokerCluster(3, { ackWaitS: ACK_WAIT_S })
        console.log(`cluster: 3 nodes serving MQTT ${Date.now() - t0} ms after the start`)
    }, 60_000)

    afterEach(async () => {
        for (const c of clients.splice(0)) c.end()
        await cluster?.stop()
    })

    test("its node killed, it is back on the next node with its subscription, and loses no QoS 1 message published after", async () => {
        const [first, second, third] = cluster.nodes
        const dial = new RecordingConnector()
        // The board's own pattern (src/firmware/app.ts onConnected): a clean session that subscribes
        // after every connect. A node may refuse the subscription (SUBACK 0x80) while JetStream
        // elects new leaders after a node died (docs/cluster.md): then the client moves on.
        const sub = await connectNodeAsync({ url: cluster.urls, clientId: "failover-sub", clean: true, connector: dial, ...fast })
        clients.push(sub)
        expect(dial.dialled).toEqual([first.port])
        const got: string[] = []
        sub.on("message", (_t, p) => got.push(p.toString()))
        let granted = 0
        let refused = 0
        const subscribeHere = () =>
            sub.subscribe("fo/#", { qos: 1 }).then(
                () => granted++,
                () => {
                    refused++
                    sub.reconnect()
                }
            )
        await subscribeHere()
        sub.on("connect", () => void subscribeHere())
        sub.on("error", () => {}) // the session's own resubscription refused: subscribeHere answers it

        // the publisher sits on the third node, which stays up throughout
        const pub = await connectNodeAsync({ url: third.url, clientId: "failover-pub", ...fast })
        clients.push(pub)

        // A QoS 1 stream runs while the subscriber's node dies: what reaches it across the kill is
        // measured and printed (docs/cluster.md), not asserted; a clean session keeps nothing.
        const before: Promise<void>[] = []
        for (let i = 0; i < N; i++) before.push(pub.publish("fo/before", "before" + i, { qos: 1 }))
        await until(() => got.length >= 10, 10_000, "the subscriber receiving the first of the stream")
        let closes = 0
        sub.on("close", () => closes++)
        const t0 = Date.now()
        await first.kill()
        // 5-37 s measured on an idle machine; JetStream's elections stretch with the CPU it gets (one
        // run took over 60 s while a full test run and three other jobs shared the 2 cores)
        await until(() => granted >= 2, 150_000, "the subscriber connected to another node and its subscription granted")
        const backMs = Date.now() - t0
        await Promise.all(before)
        expect(closes).toBeGreaterThanOrEqual(1)
        // the dialler moved on: the attempt after the dead node went to the next URL of the list
        expect(dial.dialled.slice(0, 2)).toEqual([first.port, second.port])
        expect(first.running()).toBe(false)
        expect(sub.isConnected()).toBe(true)
        const beforeGot = new Set(got.filter((m) => m.startsWith("before"))).size
        console.log(
            `cluster failover: back after ${backMs} ms, ${refused} subscription(s) refused on the way; ` +
                `${beforeGot} of ${N} QoS 1 messages published across the kill reached the clean-session subscriber ` +
                `(dialled ${dial.dialled.map((p) => cluster.nodes.find((x) => x.port === p)?.name).join(" -> ")})`
        )

        // published after the subscriber is back: every one arrives, through the publisher's node
        const after: Promise<void>[] = []
        for (let i = 0; i < N; i++) after.push(pub.publish("fo/after", "after" + i, { qos: 1 }))
        await Promise.all(after)
        // (a publisher that reconnected may send a message twice: QoS 1 is at least once)
        const afterGot = () => new Set(got.filter((m) => m.startsWith("after"))).size
        await until(() => afterGot() === N, 20_000, `all ${N} QoS 1 messages published after the reconnect`)
        expect(afterGot()).toBe(N)
    }, 240_000)

    test("a persistent session (clean 0) across the kill of its node: nothing published meanwhile is lost", async () => {
        const [first, , third] = cluster.nodes
        const dial = new RecordingConnector()
        const sub = await connectNodeAsync({ url: cluster.urls, clientId: "persist-sub", clean: false, connector: dial, ...fast })
        clients.push(sub)
        expect(dial.dialled).toEqual([first.port])
        const got: string[] = []
        sub.on("message", (_t, p) => got.push(p.toString()))
        const present: boolean[] = []
        sub.on("connect", (sessionPresent: boolean) => present.push(sessionPresent))
        sub.on("error", () => {})
        await sub.subscribe("ps/#", { qos: 1 })
        const pub = await connectNodeAsync({ url: third.url, clientId: "persist-pub", ...fast })
        clients.push(pub)

        const sent: Promise<void>[] = []
        for (let i = 0; i < N; i++) sent.push(pub.publish("ps/before", "before" + i, { qos: 1 }))
        await until(() => got.length >= 10, 10_000, "the subscriber receiving the first of the stream")
        const t0 = Date.now()
        await first.kill()
        // and as many again at once, while the subscriber is (most likely) still away
        for (let i = 0; i < N; i++) sent.push(pub.publish("ps/away", "away" + i, { qos: 1 }))
        await until(() => present.length >= 1 && sub.isConnected(), 40_000, "the persistent subscriber connected to another node")
        const backMs = Date.now() - t0
        const atBack = new Set(got).size
        await Promise.all(sent)
        // the session kept what was published while the client was away; what the dead node had
        // delivered but not seen acknowledged comes again after the cluster's ack_wait
        await until(() => new Set(got).size === 2 * N, 30_000, `all ${2 * N} QoS 1 messages published around the kill`)
        console.log(
            `cluster persistent session: back after ${backMs} ms (session present: ${present.join(",")}); ` +
                `${atBack} of ${2 * N} delivered when it was back, all ${2 * N} ${Date.now() - t0} ms after the kill (ack_wait ${ACK_WAIT_S} s), ` +
                `${got.length - 2 * N} delivered twice`
        )
        expect(present[0]).toBe(true)
        expect(new Set(got).size).toBe(2 * N)
    }, 90_000)

    test("a list whose first node is down connects to the next one at once", async () => {
        const dead = await freePort()
        const dial = new RecordingConnector()
        const live = cluster.nodes.filter((x) => x.running())[0]
        const c = await connectNodeAsync({ url: `mqtt://127.0.0.1:${dead},${live.url}`, clientId: "first-down", connector: dial, ...fast })
        clients.push(c)
        expect(dial.dialled).toEqual([dead, live.port])
        expect(c.isConnected()).toBe(true)
    }, 30_000)
})
