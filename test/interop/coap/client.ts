// Runs libcoap's real client (coap-client-notls, libcoap 4.3.x) against the test server.

import { execFile, execFileSync, spawn, ChildProcess } from "node:child_process"
import dgram from "node:dgram"
import { holds } from "../../helpers/wait"

export const COAP_CLIENT = process.env["COAP_CLIENT"] ?? "coap-client-notls"

/** Fails with a clear message when libcoap's client is not installed (Debian: libcoap3-bin). */
export function requireCoapClient(): void {
    try {
        execFileSync("sh", ["-c", `command -v ${COAP_CLIENT}`], { stdio: "pipe" })
    } catch {
        throw new Error(`${COAP_CLIENT} not found: install libcoap3-bin (apt-get install libcoap3-bin) or set COAP_CLIENT`)
    }
}

export interface ClientResult {
    code: number | null
    stdout: string
    stderr: string
}

/** One coap-client run; `-B` bounds its own wait, `timeoutMs` is a safety net. */
export function coapClient(args: string[], timeoutMs = 20000): Promise<ClientResult> {
    return new Promise((resolve) => {
        execFile(COAP_CLIENT, args, { timeout: timeoutMs, encoding: "utf8" }, (err, stdout, stderr) => {
            const raw: unknown = err ? (err as { code?: unknown }).code : 0
            resolve({ code: typeof raw === "number" ? raw : 1, stdout, stderr })
        })
    })
}

/** A long-running client (observe), killed by the test. Output is collected. */
export interface RunningClient {
    proc: ChildProcess
    stdout(): string
    stderr(): string
    exited: Promise<number | null>
    kill(signal?: NodeJS.Signals): void
}

export function spawnClient(args: string[]): RunningClient {
    const proc = spawn(COAP_CLIENT, args, { stdio: ["ignore", "pipe", "pipe"] })
    let out = ""
    let err = ""
    proc.stdout!.on("data", (d) => (out += d.toString()))
    proc.stderr!.on("data", (d) => (err += d.toString()))
    const exited = new Promise<number | null>((resolve) => proc.on("exit", (code) => resolve(code)))
    return {
        proc,
        stdout: () => out,
        stderr: () => err,
        exited,
        kill: (signal = "SIGKILL") => {
            if (proc.exitCode === null && proc.pid !== undefined) proc.kill(signal)
        },
    }
}

/** A UDP port that was free a moment ago (for coap-client -p). */
export async function freeUdpPort(): Promise<number> {
    const s = dgram.createSocket("udp4")
    await new Promise<void>((r) => s.bind(0, "127.0.0.1", () => r()))
    const port = s.address().port
    await new Promise<void>((r) => s.close(() => r()))
    return port
}

/** Waits until `cond()` holds or `ms` pass; returns whether it held. */
export const waitFor = (cond: () => boolean, ms: number): Promise<boolean> => holds(cond, ms)

/** A raw UDP socket for the few cases coap-client cannot produce (zero-length token). */
export async function rawExchange(port: number, request: Buffer, waitMs = 1000): Promise<Buffer[]> {
    const s = dgram.createSocket("udp4")
    const got: Buffer[] = []
    s.on("message", (m) => got.push(m))
    await new Promise<void>((r) => s.bind(0, "127.0.0.1", () => r()))
    s.send(request, port, "127.0.0.1")
    await waitFor(() => got.length > 0, waitMs)
    await new Promise<void>((r) => s.close(() => r()))
    return got
}
