// npx tsx scripts/status-gap.ts [--boards N] [--period-ms T] [--broker nats|mosquitto]
// Does a broker deliver every retained status to a QoS 1 subscription made while the statuses
// change? N boards (spread over the nodes of a 3-node NATS cluster, or on one Mosquitto) each
// publish their retained status every T ms with a counter; a subscriber on the first node then
// subscribes the gateway's three filters at QoS 1. For each board it takes the retained copy it
// got and the first status delivered live after it: a counter value between them is a status the
// broker delivered neither way (docs/fleet.md, "Start-up"). Then it subscribes the status filter
// once more, as the gateway's re-read does, and says whether the statuses came again.
import mqtt from "mqtt"
import { intArg, parseFlags, runTool, UsageError } from "./lib/cli-args"
import { startBrokerCluster } from "../test/helpers/broker-cluster"
import { startMosquitto } from "../test/helpers/mosquitto"

const USAGE = "usage: npx tsx scripts/status-gap.ts [--boards N] [--period-ms T] [--broker nats|mosquitto]"
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

interface Seen {
    at: number
    retain: boolean
    k: number
}

runTool("status-gap", USAGE, async () => {
    const { values } = parseFlags(process.argv.slice(2), {
        boards: { type: "string" },
        "period-ms": { type: "string" },
        broker: { type: "string" },
    })
    const n = intArg("--boards", values.boards as string | undefined, 30, 1, 1000)
    const period = intArg("--period-ms", values["period-ms"] as string | undefined, 100, 10, 10000)
    const broker = (values.broker as string | undefined) ?? "nats"
    if (broker !== "nats" && broker !== "mosquitto") throw new UsageError(`--broker must be nats or mosquitto, not "${broker}"`)

    let urls: string[]
    let stop: () => Promise<void>
    if (broker === "nats") {
        // the fleet's cluster settings (scripts/fleet/run.ts)
        const c = await startBrokerCluster(3, { ackWaitS: 2, consumerReplicas: 3, consumerMemoryStorage: true })
        urls = c.nodes.map((x) => x.url)
        stop = () => c.stop()
    } else {
        const m = await startMosquitto({ persistence: false })
        urls = [m.url]
        stop = () => m.stop()
    }
    const clients: mqtt.MqttClient[] = []
    try {
        const t0 = Date.now()
        const rel = () => Date.now() - t0
        const boards: { id: string; node: number; next: number; client: mqtt.MqttClient }[] = []
        for (let i = 0; i < n; i++) {
            const node = i % urls.length
            const client = mqtt.connect(urls[node], { clientId: `gap-b${i}`, protocolVersion: 4, reconnectPeriod: 0 })
            clients.push(client)
            client.on("error", () => {})
            await new Promise((r) => client.once("connect", r))
            boards.push({ id: `b${i}`, node, next: 0, client })
        }
        // one board after the other, each once per period: the boards' publishes are spread over the
        // period, so the share of boards with a hole estimates how long the window is
        let turn = 0
        const timer = setInterval(
            () => {
                const b = boards[turn++ % n]
                b.client.publish(`devices/${b.id}/status`, JSON.stringify({ state: "online", k: b.next++ }), { qos: 1, retain: true })
            },
            Math.max(1, period / n)
        )
        // every board has a retained status before the subscriber comes
        await sleep(10 * period)
        const sub = mqtt.connect(urls[0], { clientId: "gap-subscriber", protocolVersion: 4, reconnectPeriod: 0 })
        clients.push(sub)
        sub.on("error", () => {})
        await new Promise((r) => sub.once("connect", r))
        const seen = new Map<string, Seen[]>()
        sub.on("message", (topic, payload, p) => {
            let k = -1
            try {
                k = Number(JSON.parse(payload.toString()).k)
            } catch {
                return
            }
            const id = topic.split("/")[1]
            seen.set(id, [...(seen.get(id) ?? []), { at: rel(), retain: p.retain, k }])
        })
        const sent = rel()
        let granted = -1
        sub.subscribe(["devices/+/coap/res", "devices/+/coap/req", "devices/+/status"], { qos: 1 }, () => (granted = rel()))
        const end = Date.now() + 60_000
        while (granted < 0 && Date.now() < end) await sleep(20)
        if (granted < 0) throw new Error("no SUBACK within 60 s")
        await sleep(20 * period)
        clearInterval(timer)
        await sleep(2000)
        console.log(`${broker}: SUBSCRIBE at ${sent} ms, SUBACK at ${granted} ms; ${n} boards each publishing every ${period} ms`)
        let holes = 0
        const lost = new Map<string, number>()
        for (const b of boards) {
            const list = seen.get(b.id) ?? []
            const retained = list.find((x) => x.retain)
            const live = list.filter((x) => !x.retain).map((x) => x.k)
            if (!retained || live.length === 0) continue
            const gap = Math.min(...live) - retained.k - 1
            if (gap > 0) {
                holes++
                lost.set(b.id, Math.min(...live) - 1)
                console.log(`  ${b.id} (node ${b.node + 1}): retained k=${retained.k}, first live k=${Math.min(...live)}`)
            }
        }
        console.log(`${broker}: ${holes} of ${n} boards had a status delivered neither retained nor live`)
        if (holes === 0) return
        // the gateway's re-read: the same filter again; the statuses now retained come again
        const before = new Map([...seen].map(([id, l]) => [id, l.length]))
        sub.subscribe("devices/+/status", { qos: 1 })
        await sleep(2000)
        const again = boards.filter((b) => (seen.get(b.id)?.length ?? 0) > (before.get(b.id) ?? 0)).length
        console.log(`${broker}: a second SUBSCRIBE of devices/+/status delivered the retained status of ${again} of ${n} boards again`)
    } finally {
        for (const c of clients) c.end(true)
        await stop()
    }
})
