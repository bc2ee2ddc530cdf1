// libcoap's command-line tools as real peers: coap-rd-notls (a resource directory listening
// on UDP and TCP) and coap-client-notls. Every child is tracked and stopped by PID.

import { spawn, type ChildProcess } from "node:child_process"
import { connect } from "node:net"
import { exited, track } from "../../helpers/processes"
import { freePort } from "../../helpers/ports"
import { untilAsync } from "../../helpers/wait"

export interface LibcoapServer {
    port: number
    log(): string
    stop(): Promise<void>
    /** Start again on the same port (a fresh, empty directory). */
    start(): Promise<void>
}

/** coap-rd-notls on 127.0.0.1:<free port>, UDP and TCP. */
export async function startCoapRd(): Promise<LibcoapServer> {
    const port = await freePort()
    let child: ChildProcess | undefined
    let logText = ""
    async function start(): Promise<void> {
        const proc = spawn("coap-rd-notls", ["-A", "127.0.0.1", "-p", String(port), "-v", "7"], {
            stdio: ["ignore", "pipe", "pipe"],
        })
        track(proc)
        proc.stdout?.on("data", (d: Buffer) => (logText += d.toString()))
        proc.stderr?.on("data", (d: Buffer) => (logText += d.toString()))
        child = proc
        await waitTcp(port, proc)
    }
    async function stop(): Promise<void> {
        const proc = child
        child = undefined
        if (!proc || proc.exitCode !== null) return
        proc.kill("SIGKILL")
        await exited(proc)
    }
    await start()
    return { port, log: () => logText, stop, start }
}

async function waitTcp(port: number, proc: ChildProcess): Promise<void> {
    await untilAsync(
        async () => {
            if (proc.exitCode !== null) throw new Error("libcoap server exited early")
            return new Promise<boolean>((resolve) => {
                const s = connect(port, "127.0.0.1")
                s.once("connect", () => {
                    s.destroy()
                    resolve(true)
                })
                s.once("error", () => resolve(false))
            })
        },
        5000,
        `libcoap listening on ${port}`
    )
}

export interface ClientResult {
    /** Response codes seen ("2.05", ...), in order (requests excluded). */
    codes: string[]
    /** Observe values of the responses, "" when absent. */
    observes: string[]
    /** Raw payloads of the responses, concatenated (blocks join into the whole body), trimmed. */
    payload: string
    /** Everything printed. */
    out: string
    exitCode: number | null
}

/** Responses ("c:2.05" headers, say) in coap-client's output so far. */
export function countCodes(out: string, code: string): number {
    return out.split(/(?=v:1 t:)/).filter((c) => c.startsWith("v:1 t:") && c.includes(` c:${code} `)).length
}

/**
 * Runs coap-client-notls with `args` (URI last) and verbosity 6, so each message is printed as
 * `v:1 t:ACK c:2.05 i:... {token} [ options ] :: 'payload'`. `live` sees the output as it grows
 * (to wait for a notification while an observation runs).
 */
export function coapClient(args: string[], timeoutMs = 20000, live?: (out: string) => void): Promise<ClientResult> {
    return new Promise((resolve) => {
        const proc = spawn("coap-client-notls", ["-v", "6", ...args], { stdio: ["ignore", "pipe", "pipe"] })
        track(proc)
        let out = ""
        const add = (d: Buffer) => {
            out += d.toString()
            live?.(out)
        }
        proc.stdout?.on("data", add)
        proc.stderr?.on("data", add)
        const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs)
        proc.once("close", (code) => {
            clearTimeout(timer)
            const codes: string[] = []
            const observes: string[] = []
            const payload: string[] = []
            // With -v 6 each message is printed as a header line; the raw payload follows it
            // WITHOUT a trailing newline, so the next header may start mid-line: split on headers.
            const chunks = out.split(/(?=v:1 t:)/)
            for (const chunk of chunks) {
                const m = /^v:1 t:\w+ c:(\d\.\d\d) /.exec(chunk)
                if (!m) continue
                codes.push(m[1])
                const nl = chunk.indexOf("\n")
                const header = nl < 0 ? chunk : chunk.slice(0, nl)
                const o = /Observe:(\d+)/.exec(header)
                observes.push(o ? o[1] : "")
                const raw = nl < 0 ? "" : chunk.slice(nl + 1)
                // drop libcoap's own log lines (timestamps) and error summaries that may interleave
                payload.push(
                    raw
                        .split("\n")
                        .filter((l) => !/^\w{3} \d\d \d\d:\d\d:\d\d/.test(l) && !/^\d\.\d\d [A-Z]/.test(l))
                        .join("\n")
                )
            }
            resolve({ codes, observes, payload: payload.join("").trim(), out, exitCode: code })
        })
    })
}
