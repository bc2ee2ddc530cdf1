// npm run bench  (tsx bench/run.ts [--runs N] [--phases stock,ours,raw (also: profile,pstream,pieces)] [--n0 5000] [--n1 2000] [--rtt 200])
// Link scenarios (bench/link.ts): --phases link-mqtt,link-coap (Node only), link-firmware (the firmware in the simulator)
//
// Not a test: measures, in the DeviceScript simulator against one real Mosquitto, the stock
// @devicescript/net client, this project's client (devs/mqtt.ts) and a raw-socket bound, then prints
// a table, the ratios and the performance targets
// (ours/stock QoS 0 >= 3, ours/raw >= 0.7, QoS 1/QoS 0 >= 0.5, round trip <= 15 ms, client bytecode <= 6,000 B). Device side: devs/bench/*.ts (timed with ds.millis()).
// Throughput counts what ARRIVED at the broker (an MQTT.js subscriber here), divided by device time.
import mqtt from "mqtt"
import { startMosquitto } from "../test/helpers/mosquitto"
import { killAll } from "../test/helpers/processes"
import { PROJECT_ROOT, startSimulator } from "../test/helpers/simulator"
import { buildAndMeasure, PROTOTYPE_SETUP, sumWhere } from "./bytecode-size"
import { LINK_PHASES, runLinkPhases } from "./link"
import { UsageError } from "../scripts/lib/cli-args"

interface Args {
    runs: number
    phases: string
    n0: number
    n1: number
    n1s: number
    rtt: number
    yieldEvery: number
    /** 1: Mosquitto with set_tcp_nodelay true (its default is false: Nagle on its side too). */
    brokerNodelay: number
    /** Our client's inflightWindow (default 16, the client's own default). */
    window: number
}

/** The phases devs/bench/main.ts runs. */
const PHASES = ["stock", "ours", "raw", "profile", "pstream", "pieces"]
const USAGE =
    "usage: npm run bench -- [--runs N] [--phases stock,ours,raw (also: profile,pstream,pieces,link-mqtt,link-coap,link-firmware)] [--n0 5000] [--n1 2000] [--n1s 300] [--rtt 200] [--yield 20] [--broker-nodelay 0|1] [--window 16]"

function parseArgs(argv: string[]): Args {
    const a: Args = {
        runs: 1,
        phases: "stock,ours,raw",
        n0: 10000,
        n1: 2000,
        n1s: 300,
        rtt: 200,
        yieldEvery: 20,
        brokerNodelay: 0,
        window: 16,
    }
    for (let i = 0; i < argv.length; i += 2) {
        const k = argv[i].replace(/^--/, "")
        const v = argv[i + 1]
        if (!argv[i].startsWith("--") || v === undefined)
            throw new UsageError(v === undefined ? `${argv[i]} needs a value` : `unexpected argument "${argv[i]}"`)
        if (k === "phases") a.phases = v
        else if (k === "runs") a.runs = Number(v)
        else if (k === "n0") a.n0 = Number(v)
        else if (k === "n1") a.n1 = Number(v)
        else if (k === "n1s") a.n1s = Number(v)
        else if (k === "rtt") a.rtt = Number(v)
        else if (k === "yield") a.yieldEvery = Number(v)
        else if (k === "broker-nodelay") a.brokerNodelay = Number(v)
        else if (k === "window") a.window = Number(v)
        else throw new UsageError(`unknown option --${k}`)
        // only the value just set can be bad: every earlier one passed this check
        if (Object.values(a).some((x) => typeof x === "number" && !(Number.isSafeInteger(x) && x >= 0)))
            throw new UsageError(`--${k} must be a whole number from 0 up, not "${v}"`)
    }
    const known = PHASES.concat(LINK_PHASES)
    for (const p of a.phases.split(","))
        if (known.indexOf(p) < 0) throw new UsageError(`--phases: unknown phase "${p}" (known: ${known.join(", ")})`)
    return a
}

interface Throughput {
    sent: number
    arrived: number
    ms: number
    rate: number
}

interface Rtt {
    n: number
    lost: number
    median: number
    p95: number
}

type RunResult = Record<string, Throughput | Rtt | string>

function percentile(sorted: number[], p: number): number {
    if (sorted.length === 0) return NaN
    const i = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)
    return sorted[Math.max(0, i)]
}

function parseRtt(samplesText: string): Rtt {
    const all = samplesText
        .split(",")
        .filter((s) => s !== "")
        .map(Number)
    const ok = all.filter((x) => x >= 0).sort((a, b) => a - b)
    return { n: ok.length, lost: all.length - ok.length, median: percentile(ok, 50), p95: percentile(ok, 95) }
}

async function oneRun(args: Args, runNo: number): Promise<RunResult> {
    const broker = await startMosquitto({ persistence: false, extraConfig: args.brokerNodelay ? "set_tcp_nodelay true" : "" })
    const counts = new Map<string, number>()
    const watcher = await mqtt.connectAsync(broker.url, { clientId: `bench-counter-${runNo}` })
    watcher.on("message", (topic) => counts.set(topic, (counts.get(topic) ?? 0) + 1))
    await watcher.subscribeAsync("bench/#", { qos: 2 })
    const sim = await startSimulator()
    const out: RunResult = {}
    try {
        const run = await sim.run("devs/bench/main.ts", {
            applyEnvFiles: false,
            settings: {
                MQTT_HOST: "127.0.0.1",
                MQTT_PORT: broker.port,
                BENCH_PHASES: args.phases,
                BENCH_N0: args.n0,
                BENCH_N1: args.n1,
                BENCH_N1S: args.n1s,
                BENCH_RTT: args.rtt,
                BENCH_YIELD: args.yieldEvery,
                BENCH_WINDOW: args.window,
            },
        })
        await run.log.waitFor(/^BENCH done$/, 600_000)
        // Let the last messages reach the counter: wait until the counts stop moving.
        let last = -1
        for (;;) {
            const total = [...counts.values()].reduce((a, b) => a + b, 0)
            if (total === last) break
            last = total
            await new Promise((r) => setTimeout(r, 500))
        }
        const rttParts = new Map<string, string[]>()
        for (const line of run.log.vm) {
            if (line.startsWith("BENCH profile ")) console.log(line)
            let m = /^BENCH (\w+) (qos\d) n=(\d+) ms=(\d+)/.exec(line)
            if (m) {
                const [, client, kind, n, ms] = m
                const arrived = counts.get(`bench/${client}/${kind}`) ?? 0
                out[`${client} ${kind}`] = { sent: Number(n), arrived, ms: Number(ms), rate: (arrived * 1000) / Math.max(1, Number(ms)) }
                continue
            }
            m = /^BENCH (\w+) rttpart samples=(.*)$/.exec(line)
            if (m) {
                rttParts.set(m[1], [...(rttParts.get(m[1]) ?? []), m[2]])
                continue
            }
            m = /^BENCH (\w+) rtt n=(\d+)$/.exec(line)
            if (m) {
                const r = parseRtt((rttParts.get(m[1]) ?? []).join(","))
                if (r.n + r.lost !== Number(m[2])) out[`${m[1]} error`] = `rtt: ${r.n + r.lost} samples parsed, ${m[2]} reported`
                out[`${m[1]} rtt`] = r
                continue
            }
            m = /^BENCH (\w+) error (.*)$/.exec(line)
            if (m) out[`${m[1]} error`] = m[2]
        }
    } finally {
        await sim.stop()
        await watcher.endAsync()
        await broker.stop()
    }
    return out
}

function median(xs: number[]): number {
    const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b)
    if (s.length === 0) return NaN
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

const fmt = (x: number, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : "n/a")
const pad = (s: string, n: number) => (s.length >= n ? s : s + " ".repeat(n - s.length))
const lpad = (s: string, n: number) => (s.length >= n ? s : " ".repeat(n - s.length) + s)

function printThroughput(runs: RunResult[], key: string, label: string): number {
    const ts = runs.map((r) => r[key] as Throughput | undefined).filter((t): t is Throughput => !!t)
    if (ts.length === 0) {
        console.log(`${pad(label, 26)} ${lpad("-", 9)}`)
        return NaN
    }
    const rates = ts.map((t) => t.rate)
    const detail = ts.map((t) => `${t.arrived}/${t.sent} in ${t.ms} ms`).join("; ")
    console.log(
        `${pad(label, 26)} ${lpad(fmt(median(rates)), 9)} ${lpad(fmt(Math.min(...rates)), 9)} ${lpad(fmt(Math.max(...rates)), 9)}   ${detail}`
    )
    return median(rates)
}

function printRtt(runs: RunResult[], key: string, label: string): number {
    const rs = runs.map((r) => r[key] as Rtt | undefined).filter((t): t is Rtt => !!t)
    if (rs.length === 0) {
        console.log(`${pad(label, 26)} ${lpad("-", 9)}`)
        return NaN
    }
    const meds = rs.map((r) => r.median)
    const detail = rs.map((r) => `median ${r.median} p95 ${r.p95} (n=${r.n}, lost ${r.lost})`).join("; ")
    console.log(
        `${pad(label, 26)} ${lpad(fmt(median(meds)), 9)} ${lpad(fmt(Math.min(...meds)), 9)} ${lpad(fmt(Math.max(...meds)), 9)}   ${detail}`
    )
    return median(meds)
}

function verdict(ok: boolean): string {
    return ok ? "met" : "NOT met"
}

async function main(): Promise<void> {
    const args = parseArgs(process.argv.slice(2))
    args.phases = await runLinkPhases(args.phases, args.runs, args.window)
    if (args.phases === "") return
    console.log(
        `devs-link bench: ${args.runs} run(s), phases ${args.phases}, n0=${args.n0} n1=${args.n1} (stock QoS 1: ${args.n1s}) rtt=${args.rtt}, yield every ${args.yieldEvery}, our window ${args.window}, broker set_tcp_nodelay ${args.brokerNodelay ? "true" : "false (default)"}`
    )

    // Bytecode first (each build overwrites .devicescript/bin).
    const ours = buildAndMeasure(PROJECT_ROOT, "devs/bench/size-ours.ts")
    const oursCore = buildAndMeasure(PROJECT_ROOT, "devs/bench/size-ours-core.ts")
    const stock = buildAndMeasure(PROJECT_ROOT, "devs/bench/size-stock.ts")
    const client = sumWhere(ours, (f) => f.startsWith("src/mqtt/"))
    const clientCore = sumWhere(oursCore, (f) => f.startsWith("src/mqtt/"))
    const adapters = sumWhere(ours, (f) => f.startsWith("devs/") && !f.startsWith("devs/bench/"))
    const util = sumWhere(ours, (f) => f.startsWith("src/util/") || f === "src/io.ts")
    const stockClient = sumWhere(stock, (f) => f.endsWith("@devicescript/net/src/mqtt.ts"))
    const sockets = sumWhere(stock, (f) => f.endsWith("@devicescript/net/src/sockets.ts"))
    const protoOurs = sumWhere(ours, (f) => f === PROTOTYPE_SETUP)
    const protoStock = sumWhere(stock, (f) => f === PROTOTYPE_SETUP)

    const runs: RunResult[] = []
    for (let i = 0; i < args.runs; i++) {
        const t0 = Date.now()
        let r: RunResult
        try {
            r = await oneRun(args, i)
        } catch (e) {
            // One broken run (e.g. the simulator lock timed out) should not throw away the others.
            console.log(`run ${i + 1}/${args.runs} FAILED: ${(e as Error).message.split("\n").slice(0, 40).join("\n")}`)
            continue
        }
        runs.push(r)
        const errors = Object.keys(r).filter((k) => k.endsWith(" error"))
        const brief = Object.keys(r)
            .filter((k) => !k.endsWith(" error"))
            .map((k) => {
                const v = r[k] as Throughput & Rtt
                return v.rate !== undefined ? `${k} ${fmt(v.rate)}/s` : `${k} ${v.median}/${v.p95} ms`
            })
            .join(", ")
        console.log(
            `run ${i + 1}/${args.runs} done in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${brief}${errors.map((k) => `; ${k}: ${r[k]}`).join("")}`
        )
    }

    console.log("")
    console.log(`${pad("throughput (msg/s arrived)", 26)} ${lpad("median", 9)} ${lpad("min", 9)} ${lpad("max", 9)}   per run`)
    const s0 = printThroughput(runs, "stock qos0", "stock QoS 0")
    printThroughput(runs, "stock qos1", "stock QoS 1 (no PUBACK wait)")
    printThroughput(runs, "ours qos0", "ours QoS 0")
    const o1 = printThroughput(runs, "ours qos1", "ours QoS 1 pipelined")
    printThroughput(runs, "ours qos2", "ours QoS 2 pipelined")
    const raw = printThroughput(runs, "raw qos0", "raw socket bound QoS 0")
    console.log("")
    console.log(`${pad("round trip (ms)", 26)} ${lpad("median", 9)} ${lpad("min", 9)} ${lpad("max", 9)}   per run`)
    printRtt(runs, "stock rtt", "stock publish->echo")
    const ortt = printRtt(runs, "ours rtt", "ours publish->echo")
    console.log("")
    console.log("bytecode (function bytes, from .devicescript/bin/bytecode-dbg.json)")
    console.log(
        `  ours  src/mqtt/*                        ${lpad(String(client.bytes), 6)} B in ${client.functions} functions (MqttClient: QoS 0/1/2, unsubscribe, end)`
    )
    console.log(
        `  ours  src/mqtt/* core                   ${lpad(String(clientCore.bytes), 6)} B in ${clientCore.functions} functions (MqttClientCore: QoS 0/1, what the firmware links; the stock client's job)`
    )
    console.log(`  ours  devs/ adapters (mqtt, net-stream, completion, clock, random)  ${adapters.bytes} B; src/util + io ${util.bytes} B`)
    console.log(
        `  stock @devicescript/net/src/mqtt.ts     ${lpad(String(stockClient.bytes), 6)} B in ${stockClient.functions} functions (QoS 0/1 only)`
    )
    console.log(`  both  @devicescript/net/src/sockets.ts  ${lpad(String(sockets.bytes), 6)} B (shared, not counted above)`)
    console.log(
        `  class prototype setup (whole program, not counted above): ours build ${protoOurs.bytes} B, stock build ${protoStock.bytes} B`
    )
    console.log(
        "  per file (ours): " +
            ours
                .filter((f) => f.file.startsWith("src/mqtt/"))
                .map((f) => `${f.file.replace("src/mqtt/", "")} ${f.bytes}`)
                .join(", ")
    )
    console.log("")
    // Ratios are taken within each run (same machine load), then the median over runs.
    const rate = (r: RunResult, k: string) => (r[k] as Throughput | undefined)?.rate ?? NaN
    const perRun = (a: string, b: string) => runs.map((r) => rate(r, a) / rate(r, b))
    const show = (xs: number[]) => xs.map((x) => fmt(x, 2)).join(" ")
    const q0s = perRun("ours qos0", "stock qos0")
    const q0r = perRun("ours qos0", "raw qos0")
    const q10 = perRun("ours qos1", "ours qos0")
    console.log("ratios (per run, then the median over runs) vs the targets")
    const r1 = median(q0s)
    const r2 = median(q0r)
    const r3 = median(q10)
    console.log(`  per run: ours/stock QoS 0 [${show(q0s)}], ours/raw [${show(q0r)}], ours QoS 1/QoS 0 [${show(q10)}]`)
    void s0
    void raw
    void o1
    console.log(`  ours QoS 0 / stock QoS 0     ${lpad(fmt(r1, 2), 6)}   target >= 3      ${verdict(r1 >= 3)}`)
    console.log(`  ours QoS 0 / raw bound       ${lpad(fmt(r2, 2), 6)}   target >= 0.70   ${verdict(r2 >= 0.7)}`)
    console.log(`  ours QoS 1 / ours QoS 0      ${lpad(fmt(r3, 2), 6)}   target >= 0.5    ${verdict(r3 >= 0.5)}`)
    console.log(`  ours round trip median       ${lpad(fmt(ortt, 1), 6)}   target <= 15 ms  ${verdict(ortt <= 15)}`)
    console.log(`  ours client bytecode         ${lpad(String(client.bytes), 6)}   target <= 6000   ${verdict(client.bytes <= 6000)}`)
    console.log(
        `  ours core client bytecode    ${lpad(String(clientCore.bytes), 6)}   target <= 6000   ${verdict(clientCore.bytes <= 6000)}`
    )
}

main()
    .then(() => process.exit(0))
    .catch((e) => {
        if (e instanceof UsageError) {
            console.error(`bench: ${e.message}\n${USAGE}`)
            process.exit(2)
        }
        console.error(e)
        killAll()
        process.exit(1)
    })
