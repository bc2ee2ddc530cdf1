// Runs firmware entries in the DeviceScript simulator (WASM VM) and captures what the VM prints.
//
// Two ways to run an entry:
// - startSimulator(): non-test mode, like a board. `devs devtools` must be up (the VM connects to
//   ws://127.0.0.1:8081), and its ports 8081-8083 are fixed, so the whole session holds the machine-wide
//   simulator lock: a listening socket on 127.0.0.1:8084 (SIMULATOR_LOCK_PORT), which only one process
//   can hold and which the system releases when that process dies, on Linux and macOS alike.
//   Settings reach the board the way a deploy puts them there: written into the simulated flash
//   (.devicescript/flash/sim.bin) before the entry starts, then read with readSetting().
// - runTestEntry(): `devs run --test -k` (no devtools, no lock, GC stress on, no settings). Values
//   reach it through a generated wrapper entry that fills `simEnv` from devs/sim-env.ts.
//
// Every process started here is tracked (./processes) and stopped by PID, also when a test fails
// or the Node process exits.
import { spawn, type ChildProcess } from "node:child_process"
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { connect, createServer, type Server } from "node:net"
import { dirname, join, relative, resolve } from "node:path"
import { exited, track } from "./processes"
import { until, untilAsync } from "./wait"

/** The project root: devs must run here (it needs ./devsconfig.json and writes ./.devicescript). */
export const PROJECT_ROOT = findProjectRoot()

function findProjectRoot(): string {
    // From the working directory up (works under vitest's ESM and tsx's CJS alike).
    let dir = process.cwd()
    for (;;) {
        if (existsSync(join(dir, "devsconfig.json")) && existsSync(join(dir, "package.json"))) return dir
        const up = dirname(dir)
        if (up === dir) throw new Error("devsconfig.json not found above " + process.cwd())
        dir = up
    }
}
const DEVS_CLI = join(PROJECT_ROOT, "node_modules/.bin/devs")
/** The simulator lock: whoever listens on this loopback port may use devtools' ports. */
export const SIMULATOR_LOCK_PORT = 8084
const LOCK_NAME = `the simulator lock (127.0.0.1:${SIMULATOR_LOCK_PORT})`
const GEN_DIR = join(PROJECT_ROOT, ".devicescript/gen")
export const FLASH_FILE = join(PROJECT_ROOT, ".devicescript/flash/sim.bin")
const DEVTOOLS_PORTS = [8081, 8082, 8083]
/** Settings keys longer than this throw RangeError in the VM ("key length must be <= 13"). */
const MAX_SETTING_KEY = 13

export type SettingValue = string | number | boolean

// ---------------------------------------------------------------- captured output

/** The console of one simulator process: VM lines (`WASM>` prefix removed) and the CLI's own lines. */
export class SimLog {
    /** Every line, ANSI colours removed, prefix kept ("WASM> ..."). */
    readonly all: string[] = []
    /** Only the VM's console lines, without the "WASM> " prefix. */
    readonly vm: string[] = []
    private waiters: (() => void)[] = []
    private partial = ""
    /** Set when the process exited; waitFor then fails at once instead of timing out. */
    exitCode: number | null | undefined = undefined

    push(chunk: string): void {
        const text = this.partial + chunk
        const parts = text.split("\n")
        this.partial = parts.pop() ?? ""
        for (const raw of parts) this.addLine(raw)
        this.wake()
    }

    flush(): void {
        if (this.partial) this.addLine(this.partial)
        this.partial = ""
        this.wake()
    }

    private addLine(raw: string): void {
        const line = raw.replace(/\x1b\[[0-9;]*m/g, "").replace(/\r$/, "")
        this.all.push(line)
        const m = /^WASM> ?(.*)$/.exec(line)
        if (m) this.vm.push(m[1])
    }

    private wake(): void {
        const w = this.waiters
        this.waiters = []
        for (const f of w) f()
    }

    text(): string {
        return this.all.join("\n")
    }

    /** The VM panicked (uncaught exception, watchdog, OOM...): its code, else undefined. */
    panicCode(): number | undefined {
        for (const l of this.all) {
            const m = /^PANIC (\d+)/.exec(l)
            if (m) return Number(m[1])
        }
        return undefined
    }

    /** First VM line (at index >= from) matching re. */
    find(re: RegExp, from = 0): { line: string; index: number; match: RegExpExecArray } | undefined {
        for (let i = from; i < this.vm.length; i++) {
            const match = re.exec(this.vm[i])
            if (match) return { line: this.vm[i], index: i, match }
        }
        return undefined
    }

    /**
     * Resolves with the first VM console line matching re (already printed or still to come).
     * Rejects on timeout, on a VM panic, or when the process exits, with the log's tail.
     */
    async waitFor(re: RegExp, timeoutMs = 10_000, from = 0): Promise<RegExpExecArray> {
        const deadline = Date.now() + timeoutMs
        for (;;) {
            const hit = this.find(re, from)
            if (hit) return hit.match
            const panic = this.panicCode()
            if (panic !== undefined) throw new Error(`simulator panicked (${panic}) before ${re}:\n${this.tail()}`)
            if (this.exitCode !== undefined) throw new Error(`simulator exited (${this.exitCode}) before ${re}:\n${this.tail()}`)
            const left = deadline - Date.now()
            if (left <= 0) throw new Error(`timeout after ${timeoutMs} ms waiting for ${re}:\n${this.tail()}`)
            await new Promise<void>((res) => {
                const t = setTimeout(res, left)
                this.waiters.push(() => {
                    clearTimeout(t)
                    res()
                })
            })
        }
    }

    tail(n = 40): string {
        return this.all.slice(-n).join("\n")
    }
}

function spawnDevs(args: string[], log: SimLog): ChildProcess {
    // node + the CLI script directly (not npx): one process, so its PID is the one to kill.
    const child = spawn(process.execPath, [DEVS_CLI, "--no-colors", ...args], {
        cwd: PROJECT_ROOT,
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, NO_COLOR: "1" },
    })
    track(child)
    child.stdout?.setEncoding("utf8")
    child.stderr?.setEncoding("utf8")
    child.stdout?.on("data", (d: string) => log.push(d))
    child.stderr?.on("data", (d: string) => log.push(d))
    child.once("exit", (code, signal) => {
        log.flush()
        log.exitCode = code ?? (signal ? -1 : null)
        log.push("")
    })
    return child
}

async function stopChild(child: ChildProcess | undefined): Promise<void> {
    if (!child || child.exitCode !== null || child.signalCode !== null) return
    child.kill("SIGTERM")
    const t = setTimeout(() => child.kill("SIGKILL"), 2000)
    await exited(child)
    clearTimeout(t)
}

// ---------------------------------------------------------------- generated entries

let genCounter = 0

/** Path of a new generated entry file (gitignored, under .devicescript/gen). */
function genPath(tag: string): string {
    mkdirSync(GEN_DIR, { recursive: true })
    return join(GEN_DIR, `${tag}-${process.pid}-${++genCounter}.ts`)
}

/** Import specifier (extensionless, relative) from a generated file to a project file. */
function importFrom(genFile: string, target: string): string {
    let rel = relative(dirname(genFile), resolve(PROJECT_ROOT, target)).replace(/\.ts$/, "")
    if (!rel.startsWith(".")) rel = "./" + rel
    return rel
}

function literal(v: SettingValue): string {
    // Strings go in as JSON string literals, numbers/booleans as themselves; all are valid TS.
    return JSON.stringify(v)
}

/**
 * A wrapper entry that imports `entry` and then fills simEnv (devs/sim-env.ts) with `env`.
 * Module imports run first, so the entry must read simEnv lazily (inside test bodies or after an
 * await), never at its top level.
 */
export function wrapWithEnv(entry: string, env: Record<string, SettingValue>): string {
    const file = genPath("env")
    const lines = [
        `import { simEnv } from "${importFrom(file, "devs/sim-env.ts")}"`,
        `import "${importFrom(file, entry)}"`,
        ...Object.keys(env).map((k) => `simEnv[${JSON.stringify(k)}] = ${literal(env[k])}`),
        "",
    ]
    writeFileSync(file, lines.join("\n"))
    return relative(PROJECT_ROOT, file)
}

function settingsWriter(settings: Record<string, SettingValue>): string {
    const file = genPath("settings")
    const lines = [`import { writeSetting } from "@devicescript/settings"`]
    for (const k of Object.keys(settings)) {
        if (k.length > MAX_SETTING_KEY) throw new Error(`setting key ${k} is longer than ${MAX_SETTING_KEY}`)
        lines.push(`await writeSetting(${JSON.stringify(k)}, ${literal(settings[k])})`)
    }
    // The VM saves its flash to the file asynchronously after a write: the harness then waits
    // until the file holds every setting (flashHolds).
    lines.push(`console.log("devs-link: settings written")`, "")
    writeFileSync(file, lines.join("\n"))
    return relative(PROJECT_ROOT, file)
}

/** KEY=value lines as the DeviceScript compiler reads them (values JSON-parsed when possible). */
export function parseDotEnv(text: string): Record<string, SettingValue> {
    const out: Record<string, SettingValue> = {}
    for (const raw of text.split("\n")) {
        const line = raw.replace(/#.*$/, "").trim()
        const eq = line.indexOf("=")
        if (eq <= 0) continue
        const key = line.slice(0, eq).trim()
        const val = line.slice(eq + 1).trim()
        try {
            const parsed: unknown = JSON.parse(val)
            out[key] = typeof parsed === "object" ? val : (parsed as SettingValue)
        } catch {
            out[key] = val
        }
    }
    return out
}

/** The project's .env.defaults then .env.local, as a deploy would apply them. */
export function projectEnvSettings(): Record<string, SettingValue> {
    const read = (f: string) => (existsSync(join(PROJECT_ROOT, f)) ? readFileSync(join(PROJECT_ROOT, f), "utf8") : "")
    return { ...parseDotEnv(read(".env.defaults")), ...parseDotEnv(read(".env.local")) }
}

// ---------------------------------------------------------------- the exclusive lock

interface Lock {
    release(): Promise<void>
}

function listenExclusive(port: number): Promise<Server | undefined> {
    return new Promise((res, rej) => {
        const server = createServer((socket) => socket.destroy())
        server.once("error", (e: NodeJS.ErrnoException) => (e.code === "EADDRINUSE" ? res(undefined) : rej(e)))
        server.listen({ port, host: "127.0.0.1", exclusive: true }, () => res(server))
    })
}

/**
 * Takes the simulator lock: listens on 127.0.0.1:SIMULATOR_LOCK_PORT, retrying while another process
 * holds it. No lock file and no flock(1): the listening socket is the lock, and it is released when
 * we close it or when this process dies, however it dies. Child processes do not inherit it.
 */
async function acquireLock(timeoutMs: number): Promise<Lock> {
    let server: Server | undefined
    await untilAsync(
        async () => (server = await listenExclusive(SIMULATOR_LOCK_PORT)) !== undefined,
        timeoutMs,
        `${LOCK_NAME}: another simulator session holds it`
    )
    const held = server as Server
    held.unref()
    return { release: () => new Promise<void>((r) => held.close(() => r())) }
}

// ---------------------------------------------------------------- non-test mode

export interface SimRunOptions {
    /** Settings written to the simulated flash before the entry starts (read them with readSetting). */
    settings?: Record<string, SettingValue>
    /** Also apply .env.defaults/.env.local like a deploy would (default true); `settings` win. */
    applyEnvFiles?: boolean
    /** 16 hex chars; honoured outside test mode (ds.deviceIdentifier("self") returns it). */
    deviceId?: string
    /** Extra `devs run` flags, e.g. ["-F", "allFunctions"]. */
    flags?: string[]
    /** Keep the simulated flash of earlier runs (what the board saved survives); `settings` are written over it. */
    keepFlash?: boolean
}

export interface SimRun {
    log: SimLog
    pid: number
    /** Stops this VM process (SIGTERM, then SIGKILL) and waits for it. */
    stop(): Promise<void>
}

export interface Simulator {
    /** Runs one entry in a fresh VM process. A previous run still going is stopped first. */
    run(entry: string, options?: SimRunOptions): Promise<SimRun>
    devtoolsLog: SimLog
    /** Stops the VM, devtools and releases the lock. Safe to call twice. */
    stop(): Promise<void>
}

export interface SimulatorOptions {
    /** How long to wait for other users of the simulator (default 10 min). */
    lockTimeoutMs?: number
}

/**
 * True once the simulated flash file holds every setting: the VM saves its whole flash in one
 * file write, where a setting is its key (":KEY") and its value as JSON text (checked for ASCII
 * values; the VM escapes others its own way).
 */
function flashHolds(settings: Record<string, SettingValue>): boolean {
    if (!existsSync(FLASH_FILE)) return false
    const text = readFileSync(FLASH_FILE).toString("latin1")
    return Object.keys(settings).every((k) => {
        const v = literal(settings[k])
        return text.includes(":" + k) && (!/^[\x20-\x7e]*$/.test(v) || text.includes(v))
    })
}

function portOpen(port: number): Promise<boolean> {
    return new Promise((res) => {
        const s = connect(port, "127.0.0.1")
        s.once("connect", () => {
            s.destroy()
            res(true)
        })
        s.once("error", () => res(false))
    })
}

async function waitForPorts(ports: number[], child: ChildProcess, log: SimLog, timeoutMs: number): Promise<void> {
    await untilAsync(
        async () => {
            if (child.exitCode !== null) throw new Error(`devtools exited (${child.exitCode}):\n${log.tail()}`)
            return (await Promise.all(ports.map(portOpen))).every((x) => x)
        },
        timeoutMs,
        `devtools listening on ${ports}`
    ).catch((e: Error) => {
        throw new Error(`${e.message}:\n${log.tail()}`)
    })
}

/**
 * Takes the simulator lock and starts `devs devtools` (no file: it builds nothing, opens no
 * browser; its dashboard page would be fetched from the internet only if someone opened it).
 */
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
    const lock = await acquireLock(options.lockTimeoutMs ?? 600_000)
    let devtools: ChildProcess | undefined
    let current: SimRun | undefined
    const devtoolsLog = new SimLog()
    try {
        // The previous holder's devtools may still be exiting (e.g. killed together with its lock
        // when its process died); wait until its ports are free, then fail clearly rather than share them.
        await untilAsync(
            async () => !(await Promise.all(DEVTOOLS_PORTS.map(portOpen))).some((x) => x),
            20_000,
            `ports ${DEVTOOLS_PORTS} free`
        ).catch(() => {
            throw new Error(`ports ${DEVTOOLS_PORTS} are in use by a process outside ${LOCK_NAME}`)
        })
        devtools = spawnDevs(["devtools"], devtoolsLog)
        await waitForPorts(DEVTOOLS_PORTS, devtools, devtoolsLog, 30_000)
    } catch (e) {
        await stopChild(devtools)
        await lock.release()
        throw e
    }

    async function runOnce(entry: string, args: string[]): Promise<SimRun> {
        const log = new SimLog()
        const child = spawnDevs(["run", ...args, entry], log)
        const run: SimRun = { log, pid: child.pid ?? -1, stop: () => stopChild(child) }
        current = run
        return run
    }

    let stopped = false
    return {
        devtoolsLog,
        async run(entry, opts = {}) {
            if (current) await current.stop()
            const args = [...(opts.flags ?? [])]
            if (opts.deviceId) args.push("--device-id", opts.deviceId)
            const settings = { ...(opts.applyEnvFiles === false ? {} : projectEnvSettings()), ...(opts.settings ?? {}) }
            // A fresh flash each run unless asked: no settings left over from an earlier run.
            if (!opts.keepFlash) rmSync(FLASH_FILE, { force: true })
            // The writer is stopped once the file holds every setting. A stop that cut a later save
            // short would leave the file without them (the VM rewrites it whole): then write again.
            for (let attempt = 1; Object.keys(settings).length > 0; attempt++) {
                const writerFile = settingsWriter(settings)
                const writer = await runOnce(writerFile, args)
                try {
                    await writer.log.waitFor(/^devs-link: settings written/, 60_000)
                    await until(() => flashHolds(settings), 10_000, `the settings in the simulated flash ${FLASH_FILE}`)
                } finally {
                    await writer.stop()
                    rmSync(join(PROJECT_ROOT, writerFile), { force: true })
                }
                if (flashHolds(settings)) break
                if (attempt === 3)
                    throw new Error(`the simulated flash ${FLASH_FILE} lost the settings when the writer stopped, ${attempt} times`)
                rmSync(FLASH_FILE, { force: true })
            }
            return runOnce(entry, args)
        },
        async stop() {
            if (stopped) return
            stopped = true
            if (current) await current.stop()
            await stopChild(devtools)
            await lock.release()
        },
    }
}

// ---------------------------------------------------------------- test mode

export interface TestRunOptions {
    /** -T: the VM's test timeout in ms (the CLI's default is 5000). */
    timeoutMs?: number
    /** Values for simEnv (devs/sim-env.ts), via a generated wrapper entry. */
    env?: Record<string, SettingValue>
    flags?: string[]
}

export interface TestRunResult {
    /** Exit code: 0 = "test OK", 1 = failure, timeout, panic or compile error. */
    code: number | null
    log: SimLog
}

/** Runs `devs run --test -k` on an entry (describe/test files or a script ending in ds.restart()). */
export async function runTestEntry(entry: string, options: TestRunOptions = {}): Promise<TestRunResult> {
    const file = options.env ? wrapWithEnv(entry, options.env) : entry
    const log = new SimLog()
    const args = ["run", "--test", "-k", "-T", String(options.timeoutMs ?? 60_000), ...(options.flags ?? []), file]
    const child = spawnDevs(args, log)
    await exited(child)
    log.flush()
    if (file !== entry) rmSync(join(PROJECT_ROOT, file), { force: true })
    return { code: child.exitCode, log }
}

/** Like runTestEntry, but returns a handle at once so the caller can talk to the VM meanwhile. */
export function startTestEntry(entry: string, options: TestRunOptions = {}): SimRun & { done: Promise<number | null> } {
    const file = options.env ? wrapWithEnv(entry, options.env) : entry
    const log = new SimLog()
    const args = ["run", "--test", "-k", "-T", String(options.timeoutMs ?? 60_000), ...(options.flags ?? []), file]
    const child = spawnDevs(args, log)
    return {
        log,
        pid: child.pid ?? -1,
        stop: () => stopChild(child),
        done: exited(child).then(() => {
            if (file !== entry) rmSync(join(PROJECT_ROOT, file), { force: true })
            return child.exitCode
        }),
    }
}
