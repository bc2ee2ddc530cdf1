// Soak of the firmware in the DeviceScript simulator (sim board, non-test mode) against Mosquitto:
//   npm run soak [-- N] [--ballast KB] [--window W] [--search]
// N JSON-RPC requests (default 20,000) go in on devices/<id>/rx at QoS 1, a mix of methods
// (results, -32601/-32602/-32700 errors, batches, notifications), with at most W unanswered;
// replies come out on devices/<id>/tx, telemetry runs every second meanwhile.
// Passes when every request that must be answered is answered exactly once with the expected kind
// of reply, no notification is answered, and the VM neither panics nor restarts.
//
// Heap: DeviceScript 2.16.4 has no heap API and an out-of-memory is a panic, so `--ballast KB`
// runs devs/soak/ballast.ts, which holds KB x 1 KB buffers for the whole run: surviving with B KB
// held bounds the firmware's peak live heap by (64 - B) KB. `--search` bisects the ballast with
// short soaks (1,000 requests) and reports the bracket.
import mqtt from "mqtt"
import { pathToFileURL } from "node:url"
import { startMosquitto, type Mosquitto } from "../test/helpers/mosquitto"
import { startSimulator, type SimRun } from "../test/helpers/simulator"
import { intArg, parseFlags, runTool } from "./lib/cli-args"

export interface SoakOptions {
    requests: number
    /** Most requests sent and not yet answered (a caller waiting for replies). */
    window?: number
    /** KB of heap held by the board for the whole run (devs/soak/ballast.ts); 0 = devs/main.ts. */
    ballastKb?: number
    /** Give up when no reply came for this long. */
    stallMs?: number
    log?: (line: string) => void
}

export interface SoakResult {
    requests: number
    /** Requests that must be answered (all but the notifications). */
    due: number
    answered: number
    /** Answers with an unexpected shape (a result where an error was due, a wrong code...). */
    wrong: number
    duplicates: number
    notificationsAnswered: number
    telemetry: number
    /** Whole run, including broker, simulator and board start-up. */
    seconds: number
    /** From the first request sent to the last reply. */
    sendSeconds: number
    /** Firmware starts seen in the VM log (1 = no restart). */
    starts: number
    panic: number | undefined
    ballastKb: number
    ok: boolean
    problems: string[]
    logTail: string
}

const DEVICE = "soak01"

/** Request i: its text, and what must come back (undefined: a notification, no reply). */
function request(i: number): { text: string; expect: Record<string, "result" | number> | undefined } {
    const k = i % 50
    if (k === 7) return { text: `{"jsonrpc":"2.0","method":"led.get"}`, expect: undefined }
    if (k === 13) return { text: `{"jsonrpc":"2.0","method":"sys.info","id":${i}`, expect: { null: -32700 } }
    if (k === 21) return { text: `{"jsonrpc":"2.0","method":"no.such","id":${i}}`, expect: { [i]: -32601 } }
    if (k === 29) return { text: `{"jsonrpc":"2.0","method":"sys.restart","params":{"delay_ms":5},"id":${i}}`, expect: { [i]: -32602 } }
    if (k === 37)
        return {
            text: `[{"jsonrpc":"2.0","method":"led.get","id":"${i}a"},{"jsonrpc":"2.0","method":"led.get"},{"jsonrpc":"2.0","method":"config.get","params":["KEEPALIVE_S"],"id":"${i}b"}]`,
            expect: { [`${i}a`]: "result", [`${i}b`]: "result" },
        }
    const methods = [
        `"method":"sys.info"`,
        `"method":"sensors.read"`,
        `"method":"config.get"`,
        `"method":"led.set","params":{"on":${i % 2 === 0}}`,
        `"method":"rpc.list"`,
        `"method":"config.get","params":{"key":"TELEMETRY_MS"}`,
    ]
    return { text: `{"jsonrpc":"2.0",${methods[i % methods.length]},"id":${i}}`, expect: { [i]: "result" } }
}

export async function runSoak(opts: SoakOptions): Promise<SoakResult> {
    const N = opts.requests
    const window = opts.window ?? 8
    const ballastKb = opts.ballastKb ?? 0
    const stallMs = opts.stallMs ?? 30_000
    const say = opts.log ?? ((l: string) => console.log(l))
    let broker: Mosquitto | undefined
    let sim: Awaited<ReturnType<typeof startSimulator>> | undefined
    let run: SimRun | undefined
    let peer: mqtt.MqttClient | undefined
    const problems: string[] = []
    // what is still due, keyed by id text ("null" for parse errors, counted)
    const due = new Map<string, "result" | number>()
    let nullDue = 0
    let dueTotal = 0
    let answered = 0
    let wrong = 0
    let duplicates = 0
    let notificationsAnswered = 0
    let telemetry = 0
    let online = false
    let lastReply = Date.now()
    const t0 = Date.now()
    let tSend = 0
    let tEnd = 0
    try {
        broker = await startMosquitto({ persistence: false })
        sim = await startSimulator()
        const entry = ballastKb > 0 ? "devs/soak/ballast.ts" : "devs/main.ts"
        const settings: Record<string, string | number | boolean> = {
            MQTT_URL: `mqtt://127.0.0.1:${broker.port}`,
            DEVICE_ID: DEVICE,
            TELEMETRY_MS: 1000,
            HA_DISCOVERY: false,
        }
        if (ballastKb > 0) settings["SOAK_BALLAST"] = ballastKb
        run = await sim.run(entry, { applyEnvFiles: false, settings })
        const r = run
        peer = await mqtt.connectAsync(broker.url, { protocolVersion: 4, clientId: "soak-peer", reconnectPeriod: 0 })
        const onReply = (o: Record<string, unknown>) => {
            const key = o["id"] === null ? "null" : String(o["id"])
            const err = o["error"] as Record<string, unknown> | undefined
            const got = err ? (err["code"] as number) : "result"
            if (key === "null") {
                if (nullDue > 0) {
                    nullDue--
                    answered++
                    if (got !== -32700) wrong++
                } else notificationsAnswered++
                return
            }
            const want = due.get(key)
            if (want === undefined) {
                duplicates++
                return
            }
            due.delete(key)
            answered++
            if (want !== got) {
                wrong++
                if (problems.length < 10) problems.push(`id ${key}: ${JSON.stringify(o)} (expected ${want})`)
            }
        }
        peer.on("message", (topic, payload) => {
            const text = payload.toString()
            if (topic.endsWith("/tx")) {
                lastReply = Date.now()
                let v: unknown
                try {
                    v = JSON.parse(text)
                } catch {
                    wrong++
                    problems.push("reply is not JSON: " + text.slice(0, 200))
                    return
                }
                for (const o of Array.isArray(v) ? v : [v]) onReply(o as Record<string, unknown>)
            } else if (topic.endsWith("/telemetry")) telemetry++
            else if (topic.endsWith("/status") && text.includes('"online"')) online = true
        })
        await peer.subscribeAsync([`devices/${DEVICE}/tx`, `devices/${DEVICE}/telemetry`, `devices/${DEVICE}/status`], { qos: 1 })
        const startDeadline = Date.now() + 120_000
        while (!online) {
            if (r.log.panicCode() !== undefined || Date.now() > startDeadline)
                throw new Error("board never came online:\n" + r.log.tail(40))
            await sleep(50)
        }
        say(`soak: board online (${entry}${ballastKb ? `, ${ballastKb} KB ballast` : ""}), sending ${N} requests, window ${window}`)
        tSend = Date.now()
        lastReply = tSend
        const outstanding = () => due.size + nullDue
        for (let i = 1; i <= N; i++) {
            while (outstanding() >= window) {
                if (r.log.panicCode() !== undefined) throw new Error("board panicked")
                if (Date.now() - lastReply > stallMs) throw new Error(`no reply for ${stallMs / 1000} s`)
                await sleep(1)
            }
            const q = request(i)
            if (q.expect) {
                for (const [k, v] of Object.entries(q.expect)) {
                    if (k === "null") nullDue++
                    else due.set(k, v)
                    dueTotal++
                }
            }
            await peer.publishAsync(`devices/${DEVICE}/rx`, q.text, { qos: 1 })
            if (i % 2000 === 0)
                say(`soak: ${i}/${N} sent, ${answered} answered, ${telemetry} telemetry, ${((Date.now() - tSend) / 1000).toFixed(0)} s`)
        }
        while (outstanding() > 0 && Date.now() - lastReply < stallMs && r.log.panicCode() === undefined) await sleep(10)
        tEnd = lastReply
        await sleep(500) // late duplicates or notification answers
    } catch (e) {
        problems.push((e as Error).message)
    } finally {
        await peer?.endAsync(true).catch(() => {})
    }
    const starts = run ? run.log.vm.filter((l) => /^devs-link \S+ on /.test(l)).length : 0
    const panic = run?.log.panicCode()
    const logTail = run ? run.log.tail(30) : ""
    await sim?.stop()
    await broker?.stop()
    if (panic !== undefined) problems.push(`panic ${panic}`)
    if (starts !== 1) problems.push(`${starts} firmware starts`)
    if (answered !== dueTotal) problems.push(`${dueTotal - answered} requests unanswered`)
    if (notificationsAnswered > 0) problems.push(`${notificationsAnswered} notifications answered`)
    if (duplicates > 0) problems.push(`${duplicates} duplicate replies`)
    if (wrong > 0) problems.push(`${wrong} wrong replies`)
    if (telemetry === 0) problems.push("no telemetry")
    return {
        requests: N,
        due: dueTotal,
        answered,
        wrong,
        duplicates,
        notificationsAnswered,
        telemetry,
        seconds: (Date.now() - t0) / 1000,
        sendSeconds: tSend && tEnd ? (tEnd - tSend) / 1000 : 0,
        starts,
        panic,
        ballastKb,
        ok: problems.length === 0,
        problems,
        logTail,
    }
}

function sleep(ms: number): Promise<void> {
    return new Promise((r) => setTimeout(r, ms))
}

export function formatSoak(r: SoakResult): string {
    return (
        `soak: ${r.requests} requests in (${r.due} due a reply), ${r.answered} answered, ${r.telemetry} telemetry out, ` +
        (r.sendSeconds > 0
            ? `${r.sendSeconds.toFixed(1)} s of traffic (${((r.requests + r.answered + r.telemetry) / r.sendSeconds).toFixed(0)} msg/s in+out; ${r.seconds.toFixed(1)} s with start-up), `
            : `stopped after ${r.seconds.toFixed(1)} s with start-up, `) +
        `wrong ${r.wrong}, duplicates ${r.duplicates}, notifications answered ${r.notificationsAnswered}, ` +
        `firmware starts ${r.starts}, panic ${r.panic ?? "none"}, ballast ${r.ballastKb} KB: ${r.ok ? "OK" : "FAILED: " + r.problems.join("; ")}`
    )
}

const USAGE = "usage: npm run soak [-- N] [--ballast KB] [--window W] [--search]"

async function main(): Promise<void> {
    const { values, positionals } = parseFlags(
        process.argv.slice(2),
        { ballast: { type: "string" }, window: { type: "string" }, search: { type: "boolean" } },
        { min: 0, max: 1 }
    )
    const window = intArg("--window", values.window as string | undefined, 8, 1, 1000)
    // the ballast is 1 KB buffers held on a 64 KB heap
    const ballastKb = intArg("--ballast", values.ballast as string | undefined, 0, 0, 63)
    const positional = positionals[0]
    const requests = intArg("N (the number of requests)", positional, values.search ? 1000 : 20000, 1, 10_000_000)
    if (values.search) {
        // Bisection over the ballast (2 KB resolution): the largest one that passes bounds the peak heap.
        const n = requests
        let ok = 0
        let bad = 64
        while (bad - ok > 2) {
            const kb = 2 * Math.round((ok + bad) / 4)
            const r = await runSoak({ requests: n, window, ballastKb: kb })
            console.log(formatSoak(r))
            if (r.ok) ok = kb
            else {
                console.log(
                    r.logTail
                        .split("\n")
                        .filter((l) => !/LED (on|off)/.test(l))
                        .join("\n")
                )
                bad = kb
            }
        }
        console.log(
            `heap: the firmware survived ${n} requests with ${ok} KB held and failed with ${bad} KB held (of 64 KB): peak live heap between ${64 - bad} and ${64 - ok} KB`
        )
        process.exit(0)
    }
    const r = await runSoak({ requests, window, ballastKb })
    console.log(formatSoak(r))
    if (!r.ok) console.log(r.logTail)
    process.exit(r.ok ? 0 : 1)
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
    runTool("soak", USAGE, main)
}
