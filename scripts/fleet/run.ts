// One fleet run: a broker (one Mosquitto, or an N-node NATS cluster), gateways as processes, the
// telemetry collector, N simulated boards, request load through the gateways, then the failover
// (one gateway killed, then one broker node killed) and the QoS 1 loss count by sequence number.
import { startMosquitto } from "../../test/helpers/mosquitto"
import { startBrokerCluster } from "../../test/helpers/broker-cluster"
import { fleetBoard, FleetBoard } from "./board"
import { startCollector } from "./collector"
import { startGatewayProcess, GatewayProcess } from "./gateway-process"
import { percentile, Sample, startLoad } from "./load"
import { CoapUdpClient } from "./coap-udp"
import { watchLoopDelay } from "./loop-delay"
import { diagnose, Marks } from "./diagnose"
import { startSniffer } from "./sniffer"

export interface FleetOptions {
    devices: number
    gateways: number
    /** 1: one Mosquitto; more: a NATS cluster of that many nodes. */
    brokers: number
    /** Seconds of steady load measured before the failover. */
    measureS: number
    telemetryMs: number
    /** Concurrent requesters per gateway. */
    workers: number
    /** Kill one gateway, then (on a cluster) one broker node. */
    failover: boolean
    /** Longest wait for the fleet to come online, and back after a kill. */
    onlineTimeoutS: number
    progress?: (p: Progress) => void
    /**
     * On a cluster: replicas of the JetStream consumer behind each MQTT QoS 1 subscription (NATS's
     * mqtt consumer_replicas); default DEFAULT_CONSUMER_REPLICAS (docs/fleet.md).
     */
    consumerReplicas?: number
    /** On a cluster: keep those consumers' state in memory, not on disk (mqtt consumer_memory_storage); default true. */
    consumerMemory?: boolean
    /** Also watch every CoAP request and response at the broker (./sniffer), for the failure diagnoses. */
    sniff?: boolean
}

/**
 * NATS's own default (as many as the MQTT streams): with 1 a node's death silently ends the
 * subscriptions whose consumer it held (docs/fleet.md, measured), so 1 is only a flag.
 */
export const DEFAULT_CONSUMER_REPLICAS = 3

export interface Progress {
    phase: string
    online: number
    devices: number
    telemetry: number
    requests: number
    failed: number
    elapsedS: number
}

export interface RateFigures {
    requests: number
    failed: number
    /** Answered only at the second attempt, after the gateway's own timeout (load.ts). */
    retried: number
    perS: number
    p50Ms: number | undefined
    p99Ms: number | undefined
}

export interface FleetResult {
    broker: string
    brokers: number
    devices: number
    gateways: number
    /** Devices connected and subscribed, and listed online by every gateway. */
    online: number
    onlineS: number | undefined
    /** When not every board came online: each gateway's boards not listed online, with its reason. */
    notOnline: string[]
    telemetryPerS: number
    coap: RateFigures
    rpc: RateFigures
    /** Growth of each gateway's resident memory from no board to the whole fleet, per board. */
    gatewayBytesPerDevice: number
    /**
     * The fleet process (every simulated board, the collector and the load): its resident memory
     * and V8 heap in use once every board is online, and their growth from before the first board
     * was made, per board.
     */
    fleetMemory: { rss: number; rssPerDevice: number; heapUsed: number; heapPerDevice: number }
    gatewayKill?: {
        /** Requests through the killed gateway that failed: in flight at the kill or sent after it. */
        requestsLost: number
        /** Requests through the other gateways from the kill until 20 each were answered, and how many failed. */
        othersRequests: number
        othersFailed: number
        /** Of those, how many succeeded only at the second attempt after the gateway's own timeout (load.ts). */
        othersRetried: number
        /** Each of those, with where its first attempt was lost (./diagnose). */
        othersRetriedWhy: string[]
        /** What the first of those failures got back. */
        othersFailures: string[]
    }
    brokerKill?: {
        /** Devices whose connection the kill broke. */
        devicesDropped: number
        /** From the kill until every device was connected and subscribed again. */
        backS: number | undefined
        requestsLost: number
        requestsDuring: number
        /** Devices not back when the wait ended, with their state. */
        notBack: string[]
        /** Devices that, once all were back, did not answer a CoAP GET through a surviving gateway within 30 s. */
        unreachable: string[]
        /** Late "offline" statuses the surviving gateway disproved over the whole run (the board answered). */
        offlinesDisproved: number
        /** The surviving gateway's MQTT connects and last MQTT errors. */
        survivorMqtt: string
    }
    qos1: { acked: number; received: number; lost: number }
    /** How late the event loops ran: the fleet process (every board) and the worst gateway. */
    loopDelay: { fleetP99Ms: number; fleetMaxMs: number; fleetStalls: number; gatewayStalls: number; gatewayMaxStallMs: number }
    /** The first 50 requests that failed or needed their second attempt, with where each was lost (./diagnose). */
    failures: string[]
    /**
     * Boards a gateway listed online only when it read the retained statuses again, each with the
     * seconds since the first board started (src/host/gateway/mqtt-side.ts, rereadStatuses).
     */
    statusesRecovered: string[]
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function rotate(list: string[], k: number): string {
    const n = list.length
    return list.map((_, i) => list[(i + k) % n]).join(",")
}

function figures(samples: Sample[], kind: "coap" | "rpc", seconds: number): RateFigures {
    const s = samples.filter((x) => x.kind === kind)
    const ok = s.filter((x) => x.ok)
    const ms = ok.map((x) => x.ms)
    return {
        requests: s.length,
        failed: s.length - ok.length,
        retried: s.filter((x) => x.retried !== undefined).length,
        perS: ok.length / seconds,
        p50Ms: percentile(ms, 50),
        p99Ms: percentile(ms, 99),
    }
}

export async function runFleet(o: FleetOptions): Promise<FleetResult> {
    const started = Date.now()
    const cleanup: (() => Promise<void> | void)[] = []
    let phase = "broker"
    let boards: FleetBoard[] = []
    let load: ReturnType<typeof startLoad> | undefined
    let collectorTotal = () => 0
    const readyCount = () => boards.filter((b) => b.ready()).length
    const report = () =>
        o.progress?.({
            phase,
            online: readyCount(),
            devices: o.devices,
            telemetry: collectorTotal(),
            requests: load ? load.samples.length : 0,
            failed: load ? load.samples.filter((s) => !s.ok).length : 0,
            elapsedS: (Date.now() - started) / 1000,
        })
    const ticker = setInterval(report, 1000)
    const loop = watchLoopDelay()
    const marks: Marks = { events: [] }
    try {
        let urls: string[]
        let killNode: (() => Promise<void>) | undefined
        if (o.brokers === 1) {
            const mosq = await startMosquitto({ persistence: false, extraConfig: "max_inflight_messages 100" })
            cleanup.push(() => mosq.stop())
            urls = [mosq.url]
        } else {
            // redelivery of a QoS 1 message a dead node had sent but not seen acknowledged comes after ack_wait
            const cluster = await startBrokerCluster(o.brokers, {
                ackWaitS: 2,
                consumerReplicas: o.consumerReplicas ?? DEFAULT_CONSUMER_REPLICAS,
                consumerMemoryStorage: o.consumerMemory ?? true,
            })
            cleanup.push(() => cluster.stop())
            urls = cluster.nodes.map((n) => n.url)
            killNode = () => cluster.nodes[o.brokers - 1].kill()
        }

        phase = "gateways"
        const collector = startCollector(rotate(urls, 0))
        cleanup.push(() => collector.stop())
        collectorTotal = () => collector.total
        if (o.sniff) {
            const sniffer = startSniffer(rotate(urls, 1))
            cleanup.push(() => sniffer.stop())
            marks.sniffer = sniffer
            await waitFor(() => sniffer.ready(), 60_000, "the sniffer subscribed")
        }
        await waitFor(() => collector.ready(), 60_000, "the telemetry collector subscribed")
        const gws: GatewayProcess[] = []
        cleanup.push(async () => {
            for (const g of gws) await g.kill()
        })
        for (let g = 0; g < o.gateways; g++) gws.push(await startGatewayProcess(`gw${g + 1}`, rotate(urls, g)))
        // the memory baseline is taken once every gateway's start-up is over: modules loaded (its
        // ports are printed after that) and its MQTT side connected
        await waitFor(() => gws.every((g) => g.mqttConnected()), 30_000, "every gateway connected to its broker")
        const baseRss = gws.map((g) => g.rss())
        const fleetBase = process.memoryUsage()

        phase = "connecting"
        const t0 = Date.now()
        const ids: string[] = []
        cleanup.push(() => {
            for (const b of boards) b.stop()
        })
        for (let i = 0; i < o.devices; i++) {
            const id = "fleet" + String(i + 1).padStart(5, "0")
            ids.push(id)
            boards.push(await fleetBoard(id, rotate(urls, i)))
            // spread the CONNECTs a little so the broker's accept queue is not one burst
            if (i % 50 === 49) await sleep(20)
        }
        boards = [...boards]
        let gatewaysOnline = 0
        let onlineS: number | undefined
        const deadline = Date.now() + o.onlineTimeoutS * 1000
        while (Date.now() < deadline) {
            if (readyCount() === o.devices) {
                const counts = await Promise.all(gws.map((g) => g.online()))
                gatewaysOnline = Math.min(...counts)
                if (gatewaysOnline === o.devices) {
                    onlineS = (Date.now() - t0) / 1000
                    break
                }
            }
            await sleep(250)
        }
        const online = onlineS !== undefined ? o.devices : Math.min(readyCount(), gatewaysOnline)
        const notOnline: string[] = []
        if (onlineS === undefined) {
            for (const b of boards) if (!b.ready()) notOnline.push(`fleet ${b.id}: ${b.state()}`)
            for (const g of gws) for (const s of await g.notOnline(ids)) notOnline.push(`${g.name} ${s}`)
        }
        const gatewayBytesPerDevice = gws.map((g, i) => (g.rss() - baseRss[i]) / o.devices).reduce((a, b) => a + b, 0) / gws.length
        const fleetNow = process.memoryUsage()
        const fleetMemory = {
            rss: fleetNow.rss,
            rssPerDevice: (fleetNow.rss - fleetBase.rss) / o.devices,
            heapUsed: fleetNow.heapUsed,
            heapPerDevice: (fleetNow.heapUsed - fleetBase.heapUsed) / o.devices,
        }

        phase = "load"
        // each board publishes once per period at its own phase (a tenth of the fleet per tenth of
        // the period), as independent boards would: the rate is even, not a burst per period
        const SLICES = 10
        let slice = 0
        const telemetry = setInterval(() => {
            const k = slice++ % SLICES
            for (let i = k; i < boards.length; i += SLICES) boards[i].publishTelemetry()
        }, o.telemetryMs / SLICES)
        cleanup.push(() => clearInterval(telemetry))
        load = startLoad(gws, ids, o.workers, 5000)
        cleanup.push(() => load?.stop())
        const m0 = Date.now()
        marks.events.push({ name: "load", at: m0 })
        const tel0 = collector.total
        await sleep(o.measureS * 1000)
        const measuredS = (Date.now() - m0) / 1000
        const telemetryPerS = (collector.total - tel0) / measuredS
        const window = load.samples.filter((s) => s.at >= m0)
        const result: FleetResult = {
            broker: o.brokers === 1 ? "mosquitto" : "nats-cluster",
            brokers: o.brokers,
            devices: o.devices,
            gateways: o.gateways,
            online,
            onlineS,
            notOnline,
            telemetryPerS,
            coap: figures(window, "coap", measuredS),
            rpc: figures(window, "rpc", measuredS),
            gatewayBytesPerDevice,
            fleetMemory,
            qos1: { acked: 0, received: 0, lost: 0 },
            loopDelay: { fleetP99Ms: 0, fleetMaxMs: 0, fleetStalls: 0, gatewayStalls: 0, gatewayMaxStallMs: 0 },
            failures: [],
            statusesRecovered: [],
        }

        if (o.failover && o.gateways >= 2) {
            phase = "gateway killed"
            const victim = gws[gws.length - 1]
            const tKill = Date.now()
            marks.events.push({ name: "gwkill", at: tKill })
            await victim.kill()
            // the window closes once the other gateways have answered enough requests sent after the kill
            const samples = load.samples
            const sentAfter = () => samples.filter((s) => s.at >= tKill && s.gateway !== victim.name).length
            await waitFor(() => sentAfter() >= 20 * (o.gateways - 1), 30_000, "requests through the other gateways after the kill").catch(
                () => {}
            )
            const tEnd = Date.now()
            // the other gateways' requests that were under way at the kill or sent until the window
            // closed, each counted once it is done (a failure may take the whole request timeout)
            const inWindow = (s: { gateway: string; at: number }) => s.gateway !== victim.name && s.at <= tEnd
            const inFlight = load.inFlight
            await waitFor(() => ![...inFlight].some(inWindow), 30_000, "the window's requests done").catch(() => {})
            const others = samples.filter((s) => inWindow(s) && s.at + s.ms >= tKill)
            // the killed gateway's losses are counted once each of its requesters has seen its request
            // fail (a CoAP one only at its timeout)
            const victimFailed = () => samples.filter((s) => s.gateway === victim.name && !s.ok && s.at + s.ms >= tKill).length
            await waitFor(() => victimFailed() >= o.workers, 30_000, "the killed gateway's requests failed").catch(() => {})
            result.gatewayKill = {
                requestsLost: victimFailed(),
                othersRequests: others.length,
                othersFailed: others.filter((s) => !s.ok).length,
                othersRetried: others.filter((s) => s.retried !== undefined).length,
                othersRetriedWhy: others
                    .filter((s) => s.retried !== undefined)
                    .map((s) =>
                        diagnose(
                            s,
                            boards.find((b) => b.id === s.id),
                            loop.stalls,
                            gws.find((g) => g.name === s.gateway)?.stalls ?? [],
                            marks
                        )
                    ),
                othersFailures: others
                    .filter((s) => !s.ok)
                    .slice(0, 5)
                    .map((s) => `${s.gateway} ${s.detail} after ${s.ms} ms`),
            }
        }
        if (o.failover && killNode) {
            phase = "broker node killed"
            const drops0 = boards.reduce((n, b) => n + b.drops, 0)
            const tKill = Date.now()
            marks.events.push({ name: "nodekill", at: tKill })
            await killNode()
            // its clients' sockets close with the process: wait until those drops are seen
            await waitFor(
                () => boards.reduce((n, b) => n + b.drops, 0) > drops0 || readyCount() < o.devices,
                10_000,
                "devices of the killed node dropped"
            ).catch(() => {})
            let backS: number | undefined
            const deadline = Date.now() + o.onlineTimeoutS * 1000
            while (Date.now() < deadline) {
                if (readyCount() === o.devices) {
                    backS = (Date.now() - tKill) / 1000
                    break
                }
                await sleep(100)
            }
            const tBack = Date.now()
            // connected and subscribed is the board's view; what counts is that a request reaches it
            // (a subscription whose JetStream consumer lived on the dead node would not deliver)
            const survivor = gws.find((g) => g.alive())
            let unreachable = survivor ? await unreachableBoards(survivor, ids, 30_000) : ids
            // with the gateway's own word on each (its listing's reason)
            if (survivor && unreachable.length > 0) {
                const listed = await survivor.notOnline(ids)
                unreachable = unreachable.map((u) => `${u} [${listed.find((l) => l.startsWith(u.split(":")[0] + ":")) ?? "listed online"}]`)
            }
            const during = load.samples.filter((s) => s.at + s.ms >= tKill && s.at <= tBack && gwsAlive(gws, s.gateway))
            result.brokerKill = {
                devicesDropped: boards.reduce((n, b) => n + b.drops, 0) - drops0,
                backS,
                requestsLost: during.filter((s) => !s.ok).length,
                requestsDuring: during.length,
                notBack: boards.filter((b) => !b.ready()).map((b) => `${b.id}: ${b.state()}`),
                unreachable,
                offlinesDisproved: survivor?.offlinesDisproved() ?? 0,
                survivorMqtt: survivor?.mqttLog() ?? "no survivor",
            }
        }

        phase = "draining"
        clearInterval(telemetry)
        await load.stop()
        const acked = new Map<string, Set<number>>()
        const ackedNow = () => {
            acked.clear()
            for (const b of boards) acked.set(b.id, b.acked)
        }
        ackedNow()
        // in-flight publishes are acknowledged, then redelivered to the collector after ack_wait
        await waitFor(
            () => {
                ackedNow()
                return collector.ready() && collector.missing(acked) === 0
            },
            60_000,
            "every acknowledged telemetry message collected"
        ).catch(() => {})
        ackedNow()
        let ackedTotal = 0
        for (const s of acked.values()) ackedTotal += s.size
        result.qos1 = { acked: ackedTotal, received: collector.total, lost: collector.missing(acked) }
        const gwStalls = gws.flatMap((g) => g.stalls)
        result.loopDelay = {
            fleetP99Ms: loop.p99Ms(),
            fleetMaxMs: loop.maxMs(),
            fleetStalls: loop.stalls.length,
            gatewayStalls: gwStalls.length,
            gatewayMaxStallMs: Math.max(0, ...gwStalls.map((x) => x.ms)),
        }
        const byId = new Map(boards.map((b) => [b.id, b]))
        result.failures = load.samples
            .filter((x) => !x.ok || x.retried !== undefined)
            .slice(0, 50)
            .map((x) => diagnose(x, byId.get(x.id), loop.stalls, gws.find((g) => g.name === x.gateway)?.stalls ?? [], marks))
        result.statusesRecovered = gws.flatMap((g) => g.recovered.map((r) => `${g.name} ${r.id} ${((r.at - t0) / 1000).toFixed(1)} s`))
        return result
    } finally {
        loop.stop()
        clearInterval(ticker)
        phase = "stopping"
        for (const c of cleanup.reverse()) {
            try {
                await c()
            } catch {
                // one failed cleanup must not keep the others from running
            }
        }
    }
}

/** The boards that did not answer a GET through `gw` within `ms`, each with what the last try got. */
async function unreachableBoards(gw: GatewayProcess, ids: string[], ms: number): Promise<string[]> {
    const coap = new CoapUdpClient(gw.coapPort)
    const left = new Map(ids.map((id) => [id, "not tried"]))
    const end = Date.now() + ms
    try {
        while (left.size > 0 && Date.now() < end) {
            const round = [...left.keys()]
            for (let i = 0; i < round.length; i += 25)
                await Promise.all(
                    round.slice(i, i + 25).map(async (id) => {
                        const r = await coap.get(`/${id}/sensors/temperature`, 3500)
                        if (r.code === "2.05") left.delete(id)
                        else left.set(id, `${r.code} ${r.payload.toString().slice(0, 60)}`)
                    })
                )
            // a board the gateway lists offline is answered at once: do not spin on it
            if (left.size > 0) await sleep(200)
        }
    } finally {
        coap.close()
    }
    return [...left].map(([id, last]) => `${id}: ${last}`)
}

function gwsAlive(gws: GatewayProcess[], name: string): boolean {
    const g = gws.find((x) => x.name === name)
    return !!g && g.alive()
}

async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
    const end = Date.now() + ms
    while (!cond()) {
        if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
        await sleep(50)
    }
}
