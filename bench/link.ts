// The link-shaping scenarios of `npm run bench -- --phases link-mqtt,link-coap` (docs/link-shaping.md).
// Node only, no simulator:
//   link-mqtt  this project's MQTT client through a Wi-Fi-like link (40 ms +- 20 ms each way,
//              256 kbit/s) to Mosquitto: publish round trip, pipelined QoS 1 throughput against
//              window / round trip, JSON-RPC request/response over devices/<id>/rx|tx (p50, p99)
//   link-coap  CoAP GETs (RFC 7252 default timers) through 5% UDP loss each way plus the same
//              latency to the gateway and a board on its head-end: completion, retransmissions, p50, p99
// and one that takes the simulator lock (for as long as the phase runs, about a minute):
//   link-firmware  the firmware (devs/main.ts) in the simulator through the same TCP link: JSON-RPC
//              p50/p99, telemetry delivered/sent, QoS 1 state publishes, and the board's client
//              pipelining QoS 1 (test/devs/e2e/shaped-burst.ts) against window / round trip
import { cpus } from "node:os"
import {
    CoapUdpClient,
    percentile,
    pipelinedQos1,
    publishRoundTrips,
    rpcRoundTrips,
    startShapedCoap,
    startShapedMqtt,
    wifiShape,
    WIFI_BYTES_PER_SEC,
    type CoapResult,
} from "../test/helpers/shaped-links"
import {
    announceSpacing,
    boardBurst,
    firmwareRpcRoundTrips,
    ledToggles,
    startFirmwareLink,
    telemetryNow,
} from "../test/helpers/firmware-link"

export const LINK_PHASES = ["link-mqtt", "link-coap", "link-firmware"]

const f = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : "n/a")

async function linkMqtt(window: number, run: number, brokerNodelay: boolean): Promise<void> {
    const m = await startShapedMqtt({ shape: wifiShape(run + 1), window, clientId: `link-bench-${run}`, brokerNodelay })
    try {
        const rtt = percentile(await publishRoundTrips(m, 50), 50)
        const n = 1000
        const before = m.proxy.bytes().toBroker
        let samples = 0
        let inflight = 0
        const sampler = setInterval(() => {
            samples++
            inflight += m.device.stats().inflight
        }, 5)
        const r = await pipelinedQos1(m, "bench/link/qos1", n, 32)
        clearInterval(sampler)
        const bytesPerMsg = (m.proxy.bytes().toBroker - before) / n
        const rate = (n * 1000) / r.ms
        const windowBound = (window * 1000) / rtt
        const linkBound = WIFI_BYTES_PER_SEC / bytesPerMsg
        const inOrder = r.received.every((v, i) => v === i)
        const rpc = await rpcRoundTrips(m, "bench01", 200)
        console.log(
            `link-mqtt run ${run + 1}, Mosquitto set_tcp_nodelay ${brokerNodelay}, window ${window}: publish->PUBACK round trip median ${f(rtt)} ms`
        )
        console.log(
            `  pipelined QoS 1: ${n} x 32 B in ${f(r.ms, 0)} ms = ${f(rate, 0)} msg/s (${r.received.length} arrived${inOrder ? ", in order" : ", OUT OF ORDER"}, ${f(bytesPerMsg, 1)} B/msg towards the broker)`
        )
        console.log(
            `  mean messages in flight while pipelining ${f(inflight / Math.max(1, samples))} of ${window}; loaded round trip (Little's law) ${f((window * r.ms) / n)} ms`
        )
        console.log(
            `  window / round trip = ${window} / ${f(rtt)} ms = ${f(windowBound, 0)} msg/s; link rate bound ${f(linkBound, 0)} msg/s`
        )
        const ratio = rate / windowBound
        console.log(`  throughput / (window / round trip) ${f(ratio, 2)}   target >= 0.80   ${ratio >= 0.8 ? "met" : "NOT met"}`)
        console.log(`  throughput / min(window bound, link bound) ${f(rate / Math.min(windowBound, linkBound), 2)}`)
        console.log(
            `  JSON-RPC devices/<id>/rx -> tx, ${rpc.length} requests: p50 ${f(percentile(rpc, 50))} ms, p99 ${f(percentile(rpc, 99))} ms, max ${f(Math.max(...rpc))} ms`
        )
        console.log(`  shaper: ${JSON.stringify(m.proxy.shaping())}, bytes ${JSON.stringify(m.proxy.bytes())}`)
    } finally {
        await m.stop()
    }
}

async function linkCoap(run: number): Promise<void> {
    const way = { loss: 0.05, latencyMs: 40, jitterMs: 20 }
    const c = await startShapedCoap({ toServer: way, toClient: way, seed: run + 1 })
    try {
        const clients = await Promise.all([0, 1, 2, 3, 4].map((i) => CoapUdpClient.open("127.0.0.1", c.shaper.port, {}, 1000 * run + i)))
        const results: CoapResult[] = []
        const failures: string[] = []
        await Promise.all(
            clients.map(async (cl) => {
                for (let i = 0; i < 40; i++) {
                    try {
                        results.push(await cl.get("/sb1/sensors/temperature"))
                    } catch (e) {
                        failures.push((e as Error).message)
                    }
                }
            })
        )
        for (const cl of clients) cl.close()
        const ms = results.map((r) => r.ms)
        const retx = results.reduce((a, r) => a + r.retransmissions, 0)
        const withRetx = results.filter((r) => r.retransmissions > 0).length
        const k = c.shaper.counters()
        console.log(`link-coap run ${run + 1}: 5% loss + 40 +- 20 ms each way, RFC 7252 timers (ACK_TIMEOUT 2 s), 5 clients x 40 GETs`)
        console.log(
            `  completed ${results.length}/${results.length + failures.length}, 2.05 Content ${results.filter((r) => r.code === 0x45).length}`
        )
        console.log(
            `  retransmissions ${retx} (${withRetx} requests needed any); datagrams dropped ${k.toServer.dropped} towards the gateway, ${k.toClient.dropped} back`
        )
        console.log(
            `  latency p50 ${f(percentile(ms, 50))} ms, p90 ${f(percentile(ms, 90))} ms, p99 ${f(percentile(ms, 99))} ms, max ${f(Math.max(...ms))} ms`
        )
        if (failures.length) console.log(`  failures: ${failures.slice(0, 5).join("; ")}`)
    } finally {
        await c.stop()
    }
}

async function linkFirmware(window: number, run: number): Promise<void> {
    // set_tcp_nodelay true, as docs/link-shaping.md advises for pipelining over Wi-Fi (and provision writes)
    const link = await startFirmwareLink({ shape: wifiShape(run + 1), deviceId: `b0a4d11f0000000${run % 10}`, brokerNodelay: true })
    try {
        const announce = announceSpacing(link)
        const rpc = (await firmwareRpcRoundTrips(link, 100)).map((r) => r.ms)
        const tel = await telemetryNow(link, 50)
        const telSet = new Set(tel.arrived)
        const telDelivered = tel.sent.filter((d) => telSet.has(d)).length
        const led = await ledToggles(link, 20)
        const stateOk =
            led.states.length === led.replies.length && led.states.every((s, i) => s === (led.replies[i].result?.on ? "ON" : "OFF"))
        const n = 500
        const b = await boardBurst(link, n, window, 30)
        const rtt = percentile(b.rttSamples, 50)
        const rate = (b.ok * 1000) / b.ms
        const windowBound = (window * 1000) / rtt
        const distinct = new Set(b.received).size
        const inOrder = b.received.every((v, i) => v === i)
        console.log(
            `link-firmware run ${run + 1}: devs/main.ts in the simulator, 40 +- 20 ms each way, 256 kbit/s, Mosquitto set_tcp_nodelay true`
        )
        console.log(
            `  announce after connect: ${announce.count} QoS 1 documents (status, discovery, states), first to last ${f(announce.ms, 0)} ms = ${f(announce.ms / Math.max(1, announce.count - 1))} ms apart (one publish per round trip: the firmware awaits each PUBACK)`
        )
        console.log(
            `  JSON-RPC devices/<id>/rx -> tx, ${rpc.length} requests one at a time: p50 ${f(percentile(rpc, 50))} ms, p99 ${f(percentile(rpc, 99))} ms, max ${f(Math.max(...rpc))} ms`
        )
        console.log(`  telemetry (QoS 0) delivered/sent ${telDelivered}/${tel.sent.length}`)
        console.log(
            `  LED changes ${led.replies.length} sent at once: ${led.replies.length} answered, QoS 1 state publishes ${led.states.length}/${led.replies.length}${stateOk ? ", in order" : ", NOT IN ORDER"}`
        )
        console.log(
            `  board client pipelined QoS 1: ${b.ok}/${b.n} acknowledged (${b.failed} failed) in ${b.ms} ms (board clock) = ${f(rate, 0)} msg/s; ${distinct} distinct arrived${inOrder ? ", in order" : ", NOT IN ORDER"}`
        )
        console.log(
            `  board publish->PUBACK round trip (${b.rttSamples.length} one at a time): median ${f(rtt)} ms, p99 ${f(percentile(b.rttSamples, 99))} ms`
        )
        const ratio = rate / windowBound
        console.log(
            `  window / round trip = ${window} / ${f(rtt)} ms = ${f(windowBound, 0)} msg/s; throughput / (window / round trip) ${f(ratio, 2)}   target >= 0.80   ${ratio >= 0.8 ? "met" : "NOT met"}`
        )
        console.log(`  shaper: ${JSON.stringify(link.proxy.shaping())}, bytes ${JSON.stringify(link.proxy.bytes())}`)
    } finally {
        await link.stop()
    }
}

/** Runs the link phases named in `phases`; returns the other phases (for the simulator). */
export async function runLinkPhases(phases: string, runs: number, window: number): Promise<string> {
    const asked = phases.split(",").filter((p) => p !== "")
    const link = asked.filter((p) => LINK_PHASES.includes(p))
    if (link.length > 0) console.log(`link scenarios on ${cpus().length} x ${cpus()[0]?.model ?? "?"} (node ${process.version})`)
    for (let i = 0; i < runs; i++) {
        // both broker settings: the default shows what Nagle on the broker's side costs a pipelined client
        if (link.includes("link-mqtt")) for (const nodelay of [false, true]) await linkMqtt(window, i, nodelay)
        if (link.includes("link-coap")) await linkCoap(i)
        if (link.includes("link-firmware")) await linkFirmware(window, i)
    }
    return asked.filter((p) => !LINK_PHASES.includes(p)).join(",")
}
