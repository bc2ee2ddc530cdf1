// The README's quick start, exactly as a user types it: `npm start` with no flags, then, in another
// terminal, `npm run rpc -- sys.info` with no flags, which must find npm start's broker by itself
// (.devicescript/npm-start.json) and print the board's reply. Then what the board saved survives a
// second `npm start`, and the simulator lock keeps a second simulator session out meanwhile.
// Takes the simulator lock through npm start (one simulator session per machine).
import { spawn, spawnSync, type ChildProcess } from "node:child_process"
import { existsSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { afterEach, describe, expect, test } from "vitest"
import { exited, track } from "../helpers/processes"
import { PROJECT_ROOT, startSimulator } from "../helpers/simulator"
import { until } from "../helpers/wait"
import { RECORD_FILE, readEnvFile } from "../../scripts/lib/running-start"

const npm = process.platform === "win32" ? "npm.cmd" : "npm"
// What a user's shell has: none of the overrides the quick start does without.
const env = { ...process.env }
for (const k of ["MQTT_URL", "GATEWAY_USER", "GATEWAY_PASS", "DEVICE_ID", "BROKER_DIR"]) delete env[k]
const ownBroker = readEnvFile(join(PROJECT_ROOT, ".env.local"))["MQTT_URL"]

interface NpmStart {
    child: ChildProcess
    out: () => string
    stop(): Promise<void>
}

const started: NpmStart[] = []

function npmStart(args: string[] = []): NpmStart {
    const child = track(
        spawn(npm, ["start", ...(args.length ? ["--", ...args] : [])], { cwd: PROJECT_ROOT, env, stdio: ["ignore", "pipe", "pipe"] })
    )
    let text = ""
    child.stdout?.on("data", (d: Buffer) => (text += d.toString()))
    child.stderr?.on("data", (d: Buffer) => (text += d.toString()))
    const s: NpmStart = {
        child,
        out: () => text,
        async stop() {
            // Ctrl-C reaches the script itself (npm's child), as in a terminal.
            const record = existsSync(join(PROJECT_ROOT, RECORD_FILE))
                ? JSON.parse(readFileSync(join(PROJECT_ROOT, RECORD_FILE), "utf8"))
                : undefined
            if (record?.pid) process.kill(record.pid, "SIGINT")
            else child.kill("SIGINT")
            await exited(child)
        },
    }
    started.push(s)
    return s
}

/** Waits for npm start's output to match re; fails at once, with that output, if npm start exits first. */
async function waitForOutput(s: NpmStart, re: RegExp, ms: number, what: string): Promise<void> {
    try {
        await until(() => re.test(s.out()) || s.child.exitCode !== null || s.child.signalCode !== null, ms, what)
    } catch (e) {
        throw new Error(`${(e as Error).message}; npm start printed:\n${s.out()}`)
    }
    if (!re.test(s.out())) throw new Error(`npm start exited (${s.child.exitCode ?? s.child.signalCode}) before ${what}:\n${s.out()}`)
}

function npmRun(args: string[]): { status: number | null; stdout: string; stderr: string } {
    const r = spawnSync(npm, ["run", "--silent", ...args], { cwd: PROJECT_ROOT, env, encoding: "utf8", timeout: 60_000 })
    return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

afterEach(async () => {
    for (const s of started.splice(0)) if (s.child.exitCode === null && s.child.signalCode === null) await s.stop()
})

describe.skipIf(ownBroker !== undefined)("quick start (README)", () => {
    test("npm start, then npm run rpc -- sys.info with no flags gets the board's reply; saved settings survive a restart", async () => {
        const first = npmStart()
        await waitForOutput(first, /try, in another terminal: +npm run rpc -- sys\.info/, 240_000, "npm start to say the board is online")
        expect(first.out()).toMatch(/status +[0-9a-f]+: \{"state":"online"/)

        const info = npmRun(["rpc", "--", "sys.info"])
        expect(info.stderr).toBe("")
        expect(info.status).toBe(0)
        expect(JSON.parse(info.stdout)).toMatchObject({ firmware: "devs-link", board: "sim" })

        // Only one simulator session per machine: a second one waits for the lock, then says so.
        await expect(startSimulator({ lockTimeoutMs: 1000 })).rejects.toThrow(/simulator lock \(127\.0\.0\.1:8084\)/)

        const set = npmRun(["rpc", "--", "config.set", '{"settings":{"TELEMETRY_MS":7000}}'])
        expect(set.status).toBe(0)
        await first.stop()
        expect(first.out()).toMatch(/status +[0-9a-f]+: \{"state":"offline"\}/)
        expect(existsSync(join(PROJECT_ROOT, RECORD_FILE))).toBe(false)

        const second = npmStart()
        await waitForOutput(second, /try, in another terminal/, 240_000, "the second npm start to say the board is online")
        expect(second.out()).toMatch(/keeping what the board saved before/)
        const get = npmRun(["rpc", "--", "config.get"])
        expect(get.status).toBe(0)
        expect(JSON.parse(get.stdout)).toMatchObject({ TELEMETRY_MS: 7000 })
        await second.stop()
    }, 600_000)
})
