// A gateway as its own process (npm run gateway: scripts/gateway.ts), so that it can be killed
// abruptly (SIGKILL) and its memory read from the kernel.
import { spawn, ChildProcess } from "node:child_process"
import { readFileSync } from "node:fs"
import { fileURLToPath, pathToFileURL } from "node:url"
import { dirname, join } from "node:path"
import type { Stall } from "./loop-delay"

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..")

export interface GatewayProcess {
    name: string
    coapPort: number
    httpPort: number
    alive(): boolean
    /** Resident memory in bytes (/proc/<pid>/status VmRSS). */
    rss(): number
    /** Its MQTT side has connected to the broker (its "MQTT connected" line). */
    mqttConnected(): boolean
    /** How many boards its HTTP front lists online. */
    online(): Promise<number>
    /** Of `ids`, those its HTTP front does not list online, each with the reason it gives. */
    notOnline(ids: string[]): Promise<string[]>
    kill(): Promise<void>
    /** Its event loop's stalls (./report-loop-delay). */
    stalls: Stall[]
    /** "offline" statuses it did not believe because the board answered (its log lines). */
    offlinesDisproved(): number
    /** Boards it listed online only when it read the retained statuses again (its log lines), each with when. */
    recovered: { id: string; at: number }[]
    /** Its MQTT connects and its last MQTT errors, from its log. */
    mqttLog(): string
}

export async function startGatewayProcess(name: string, mqttUrl: string, timeoutMs = 3000): Promise<GatewayProcess> {
    const proc: ChildProcess = spawn(
        process.execPath,
        // tsx as a loader in this very process: its CLI would run the gateway in a child that a kill of the CLI leaves behind
        [
            "--require",
            join(ROOT, "node_modules", "tsx", "dist", "preflight.cjs"),
            "--import",
            pathToFileURL(join(ROOT, "node_modules", "tsx", "dist", "loader.mjs")).href,
            "--import",
            pathToFileURL(join(ROOT, "scripts", "fleet", "report-loop-delay.ts")).href,
            join(ROOT, "scripts", "gateway.ts"),
        ],
        {
            cwd: ROOT,
            env: {
                ...process.env,
                MQTT_URL: mqttUrl,
                GATEWAY_COAP_PORT: "0",
                GATEWAY_TCP_PORT: "off",
                GATEWAY_HTTP_PORT: "0",
                GATEWAY_TIMEOUT_MS: String(timeoutMs),
            },
            stdio: ["ignore", "pipe", "pipe"],
        }
    )
    let out = ""
    let err = ""
    let mqttConnected = false
    const stalls: Stall[] = []
    let errLine = ""
    let outLine = ""
    let disproved = 0
    const recovered: { id: string; at: number }[] = []
    let connects = 0
    let mqttErrors: string[] = []
    proc.stdout?.on("data", (d: Buffer) => {
        const lines = (outLine + d.toString()).split("\n")
        outLine = lines.pop() ?? ""
        for (const l of lines) {
            if (l.endsWith(": offline status disproved, it answered")) disproved++
            else if (l.endsWith(": online status read again")) recovered.push({ id: l.slice(6, -26), at: Date.now() })
            else if (l === "MQTT connected") connects++
            else if (l.startsWith("MQTT error: ")) mqttErrors = [...mqttErrors.slice(-4), l.slice(12)]
        }
    })
    const ports = await new Promise<{ coap: number; http: number }>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`gateway ${name} did not start: ${err.slice(-500)}`)), 30_000)
        proc.stdout?.on("data", (d: Buffer) => {
            // keep only what the start-up lines need (ports, MQTT connected): a fleet's "board X online" lines would grow it without end
            if (out.length < 4000) out += d.toString()
            mqttConnected ||= /^MQTT connected$/m.test(out)
            const coap = /coap:\/\/[^:]+:(\d+)\//.exec(out)
            const http = /http:\/\/[^:]+:(\d+)\//.exec(out)
            if (coap && http) {
                clearTimeout(timer)
                resolve({ coap: Number(coap[1]), http: Number(http[1]) })
            }
        })
        proc.stderr?.on("data", (d: Buffer) => {
            const lines = (errLine + d.toString()).split("\n")
            errLine = lines.pop() ?? ""
            for (const l of lines) {
                const m = /^loop-stall (\d+) (\d+)$/.exec(l)
                if (m) stalls.push({ at: Number(m[1]), ms: Number(m[2]) })
                else err = (err + l + "\n").slice(-4000)
            }
        })
        proc.once("exit", (code) => {
            clearTimeout(timer)
            reject(new Error(`gateway ${name} exited (${code}): ${err.slice(-500)}`))
        })
    })
    const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()))
    return {
        name,
        stalls,
        coapPort: ports.coap,
        httpPort: ports.http,
        alive: () => proc.exitCode === null && proc.signalCode === null,
        mqttConnected: () => mqttConnected,
        offlinesDisproved: () => disproved,
        recovered,
        mqttLog: () => `${connects} MQTT connects; last errors: ${mqttErrors.join(" | ") || "none"}`,
        rss() {
            try {
                const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${proc.pid}/status`, "utf8"))
                return m ? Number(m[1]) * 1024 : 0
            } catch {
                return 0
            }
        },
        async online() {
            try {
                const r = await fetch(`http://127.0.0.1:${ports.http}/devices`, { signal: AbortSignal.timeout(5000) })
                const list = (await r.json()) as { online: boolean }[]
                return list.filter((b) => b.online).length
            } catch {
                return 0
            }
        },
        async notOnline(ids: string[]) {
            try {
                const r = await fetch(`http://127.0.0.1:${ports.http}/devices`, { signal: AbortSignal.timeout(5000) })
                const list = (await r.json()) as { id: string; online: boolean; reason?: string }[]
                const by = new Map(list.map((b) => [b.id, b]))
                return ids.flatMap((id) => {
                    const b = by.get(id)
                    if (!b) return [`${id}: unknown`]
                    return b.online ? [] : [`${id}: offline, ${b.reason ?? ""}`]
                })
            } catch (e) {
                return [`list failed: ${String(e)}`]
            }
        },
        async kill() {
            if (proc.exitCode !== null || proc.signalCode !== null) return
            proc.kill("SIGKILL")
            await exited
        },
    }
}
