// Fleet simulator and benchmark:
//   npm run fleet -- [--devices N] [--gateways G] [--brokers B] [--seconds S] [--telemetry-ms T]
//                    [--workers W] [--timeout S] [--consumer-replicas R] [--no-failover] [--no-compare] [--json]
// N simulated boards (the firmware's CoAP endpoint over MQTT, QoS 1 telemetry with sequence
// numbers, each with its own client id and credentials) on one Mosquitto (--brokers 1) or a
// B-node NATS cluster, G gateway processes serving them, request load through the gateways, then
// one gateway and one broker node killed. With B > 1 the same run follows on one Mosquitto, so
// the cluster's cost is a ratio. Progress on stderr; a summary table, or --json, on stdout.
import { pathToFileURL } from "node:url"
import { cpus, totalmem } from "node:os"
import { intArg, parseFlags, runTool, UsageError } from "./lib/cli-args"
import { runFleet, FleetOptions, FleetResult, Progress, DEFAULT_CONSUMER_REPLICAS } from "./fleet/run"

const USAGE =
    "usage: npm run fleet -- [--devices N] [--gateways G] [--brokers B] [--seconds S] [--telemetry-ms T] [--workers W] [--timeout S] [--consumer-replicas R] [--no-failover] [--no-compare] [--json]"

const FLAGS = {
    devices: { type: "string" },
    gateways: { type: "string" },
    brokers: { type: "string" },
    seconds: { type: "string" },
    "telemetry-ms": { type: "string" },
    workers: { type: "string" },
    timeout: { type: "string" },
    "consumer-replicas": { type: "string" },
    "no-failover": { type: "boolean" },
    "no-compare": { type: "boolean" },
    json: { type: "boolean" },
} as const

export function fleetOptions(argv: string[]): { options: FleetOptions; compare: boolean; json: boolean } {
    const { values: v } = parseFlags(argv, FLAGS)
    const options: FleetOptions = {
        devices: intArg("--devices", v.devices as string | undefined, 100, 1, 20000),
        gateways: intArg("--gateways", v.gateways as string | undefined, 2, 1, 8),
        brokers: intArg("--brokers", v.brokers as string | undefined, 3, 1, 7),
        measureS: intArg("--seconds", v.seconds as string | undefined, 20, 1, 3600),
        telemetryMs: intArg("--telemetry-ms", v["telemetry-ms"] as string | undefined, 5000, 100, 3_600_000),
        workers: intArg("--workers", v.workers as string | undefined, 8, 1, 256),
        onlineTimeoutS: intArg("--timeout", v.timeout as string | undefined, 180, 5, 3600),
        failover: !v["no-failover"],
        consumerReplicas: intArg("--consumer-replicas", v["consumer-replicas"] as string | undefined, DEFAULT_CONSUMER_REPLICAS, 1, 7),
    }
    if (options.brokers > 1 && (options.consumerReplicas ?? 1) > options.brokers)
        throw new UsageError(`--consumer-replicas ${options.consumerReplicas} is more than the ${options.brokers} nodes`)
    if (options.brokers === 2)
        throw new UsageError("--brokers 2 cannot survive the loss of a node (a JetStream quorum needs 2 of 3): give 1 or 3 or more")
    return { options, compare: options.brokers > 1 && !v["no-compare"], json: !!v.json }
}

function progressLine(p: Progress): string {
    return `[${p.elapsedS.toFixed(0).padStart(4)} s] ${p.phase.padEnd(18)} online ${p.online}/${p.devices}  telemetry ${p.telemetry}  requests ${p.requests} (${p.failed} failed)`
}

const f = (v: number | undefined, d = 0) => (v === undefined ? "-" : v.toFixed(d))

export function summary(runs: FleetResult[]): string {
    const rows: [string, (r: FleetResult) => string][] = [
        ["devices online", (r) => `${r.online}/${r.devices}`],
        ["time for all to come online (s)", (r) => f(r.onlineS, 1)],
        ["telemetry messages/s end to end", (r) => f(r.telemetryPerS, 1)],
        ["CoAP requests/s (GET via UDP front)", (r) => f(r.coap.perS, 1)],
        ["CoAP p50 / p99 (ms)", (r) => `${f(r.coap.p50Ms)} / ${f(r.coap.p99Ms)}`],
        ["JSON-RPC round trips/s (HTTP front)", (r) => f(r.rpc.perS, 1)],
        ["JSON-RPC p50 / p99 (ms)", (r) => `${f(r.rpc.p50Ms)} / ${f(r.rpc.p99Ms)}`],
        ["requests failed / retried before the kills", (r) => `${r.coap.failed + r.rpc.failed} / ${r.coap.retried + r.rpc.retried}`],
        ["gateway memory per device (bytes)", (r) => f(r.gatewayBytesPerDevice)],
        ["fleet process RSS (MB) / per device (bytes)", (r) => `${f(r.fleetMemory.rss / 2 ** 20, 1)} / ${f(r.fleetMemory.rssPerDevice)}`],
        [
            "fleet process heap used (MB) / per device (bytes)",
            (r) => `${f(r.fleetMemory.heapUsed / 2 ** 20, 1)} / ${f(r.fleetMemory.heapPerDevice)}`,
        ],
        ["gateway killed: its requests lost", (r) => (r.gatewayKill ? `${r.gatewayKill.requestsLost}` : "-")],
        [
            "gateway killed: others failed/retried/sent",
            (r) => (r.gatewayKill ? `${r.gatewayKill.othersFailed}/${r.gatewayKill.othersRetried}/${r.gatewayKill.othersRequests}` : "-"),
        ],
        ["broker node killed: devices dropped", (r) => (r.brokerKill ? `${r.brokerKill.devicesDropped}` : "-")],
        ["broker node killed: all back after (s)", (r) => (r.brokerKill ? f(r.brokerKill.backS, 1) : "-")],
        [
            "broker node killed: requests lost/sent",
            (r) => (r.brokerKill ? `${r.brokerKill.requestsLost}/${r.brokerKill.requestsDuring}` : "-"),
        ],
        ["late offline statuses disproved (survivor)", (r) => (r.brokerKill ? `${r.brokerKill.offlinesDisproved}` : "-")],
        ["online statuses read again (all gateways)", (r) => `${r.statusesRecovered.length}`],
        ["QoS 1 telemetry acked / lost", (r) => `${r.qos1.acked} / ${r.qos1.lost}`],
        ["event loop delay p99 / max, fleet (ms)", (r) => `${f(r.loopDelay.fleetP99Ms)} / ${f(r.loopDelay.fleetMaxMs)}`],
        ["gateway loop stalls > 250 ms (longest)", (r) => `${r.loopDelay.gatewayStalls} (${r.loopDelay.gatewayMaxStallMs})`],
    ]
    const heads = runs.map((r) => (r.brokers === 1 ? "1 Mosquitto" : `${r.brokers}-node cluster`))
    if (runs.length === 2) heads.push("cluster / Mosquitto")
    const ratio = (a: number | undefined, b: number | undefined) => (a !== undefined && b ? (a / b).toFixed(2) : "-")
    const ratios: Record<string, (a: FleetResult, b: FleetResult) => string> = {
        "time for all to come online (s)": (a, b) => ratio(a.onlineS, b.onlineS),
        "telemetry messages/s end to end": (a, b) => ratio(a.telemetryPerS, b.telemetryPerS),
        "CoAP requests/s (GET via UDP front)": (a, b) => ratio(a.coap.perS, b.coap.perS),
        "CoAP p50 / p99 (ms)": (a, b) => `${ratio(a.coap.p50Ms, b.coap.p50Ms)} / ${ratio(a.coap.p99Ms, b.coap.p99Ms)}`,
        "JSON-RPC round trips/s (HTTP front)": (a, b) => ratio(a.rpc.perS, b.rpc.perS),
        "JSON-RPC p50 / p99 (ms)": (a, b) => `${ratio(a.rpc.p50Ms, b.rpc.p50Ms)} / ${ratio(a.rpc.p99Ms, b.rpc.p99Ms)}`,
    }
    const table = rows.map(([name, get]) => {
        const cells = runs.map(get)
        if (runs.length === 2) cells.push(ratios[name] ? ratios[name](runs[0], runs[1]) : "")
        return [name, ...cells]
    })
    const all = [["", ...heads], ...table]
    const widths = all[0].map((_, i) => Math.max(...all.map((r) => r[i].length)))
    return all.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ")).join("\n")
}

async function main(): Promise<void> {
    const { options, compare, json } = fleetOptions(process.argv.slice(2))
    const tty = process.stderr.isTTY
    let lastLine = 0
    const progress = (p: Progress) => {
        if (tty) process.stderr.write("\r" + progressLine(p) + "\x1b[K")
        else if (Date.now() - lastLine >= 5000) {
            lastLine = Date.now()
            process.stderr.write(progressLine(p) + "\n")
        }
    }
    const runs: FleetResult[] = []
    const plan = compare ? [options, { ...options, brokers: 1 }] : [options]
    for (const o of plan) {
        process.stderr.write(
            `fleet: ${o.devices} devices, ${o.gateways} gateways, ${o.brokers === 1 ? "one Mosquitto" : `${o.brokers}-node NATS cluster`}\n`
        )
        runs.push(await runFleet({ ...o, progress }))
        if (tty) process.stderr.write("\n")
    }
    const machine = `${cpus().length} cores (${cpus()[0]?.model ?? "?"}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}`
    if (json) console.log(JSON.stringify({ machine, runs }, null, 2))
    else console.log(`\nmachine: ${machine}\n\n${summary(runs)}`)
    const bad = runs.some((r) => r.online < r.devices || r.qos1.lost > 0 || (r.brokerKill && r.brokerKill.backS === undefined))
    process.exit(bad ? 1 : 0)
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) runTool("fleet", USAGE, main)
