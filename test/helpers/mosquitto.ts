import { spawn, type ChildProcess } from "node:child_process"
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs"
import { connect } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { freePort } from "./ports"
import { exited, track } from "./processes"
import { untilAsync } from "./wait"

export interface MosquittoOptions {
    /** Keep sessions and queued messages across restart (persistence true). Default true. */
    persistence?: boolean
    /** Extra lines for mosquitto.conf, e.g. a TLS listener or password_file. */
    extraConfig?: string
    /** Listen on this port instead of a free one (restart keeps the port anyway). */
    port?: number
}

export interface Mosquitto {
    host: string
    port: number
    url: string
    /** Directory holding the config, persistence database and log. */
    dir: string
    /** What the broker has logged so far. */
    log(): string
    /** Graceful stop (SIGTERM): the broker saves its persistence database. */
    stop(): Promise<void>
    /** Abrupt death (SIGKILL): no goodbye to clients, nothing saved since the last autosave. */
    kill(): Promise<void>
    /** Start again on the same port with the same config and database. */
    start(): Promise<void>
}

/** Starts a real Mosquitto on a free loopback port and waits until it accepts connections. */
export async function startMosquitto(options: MosquittoOptions = {}): Promise<Mosquitto> {
    const port = options.port ?? (await freePort())
    const dir = mkdtempSync(join(tmpdir(), "devs-link-mosquitto-"))
    // Started as root, mosquitto drops to its own user: it must still write the database here.
    chmodSync(dir, 0o777)
    const persistence = options.persistence ?? true
    const conf = [
        `listener ${port} 127.0.0.1`,
        "allow_anonymous true",
        `persistence ${persistence}`,
        `persistence_location ${dir}/`,
        "autosave_interval 1",
        "log_dest stderr",
        "log_type error",
        "log_type warning",
        "log_type notice",
        "max_queued_messages 100000",
        options.extraConfig ?? "",
    ].join("\n")
    const confPath = join(dir, "mosquitto.conf")
    writeFileSync(confPath, conf + "\n")

    let child: ChildProcess | undefined
    let logText = ""

    async function start(): Promise<void> {
        const proc = spawn("mosquitto", ["-c", confPath], { stdio: ["ignore", "ignore", "pipe"] })
        track(proc)
        proc.stderr?.on("data", (d: Buffer) => (logText += d.toString()))
        child = proc
        await waitUntilListening(port, proc, () => logText)
    }

    async function signal(sig: NodeJS.Signals): Promise<void> {
        const proc = child
        child = undefined
        if (!proc || proc.exitCode !== null) return
        proc.kill(sig)
        await exited(proc)
    }

    await start()
    return {
        host: "127.0.0.1",
        port,
        url: `mqtt://127.0.0.1:${port}`,
        dir,
        log: () => logText,
        stop: () => signal("SIGTERM"),
        kill: () => signal("SIGKILL"),
        start,
    }
}

async function waitUntilListening(port: number, proc: ChildProcess, log: () => string): Promise<void> {
    await untilAsync(
        async () => {
            if (proc.exitCode !== null) throw new Error(`mosquitto exited (${proc.exitCode}): ${log()}`)
            return canConnect(port)
        },
        10_000,
        `mosquitto listening on ${port}`
    ).catch((e: Error) => {
        throw new Error(`${e.message}: ${log()}`)
    })
}

function canConnect(port: number): Promise<boolean> {
    return new Promise((resolve) => {
        const s = connect(port, "127.0.0.1")
        s.once("connect", () => {
            s.destroy()
            resolve(true)
        })
        s.once("error", () => resolve(false))
    })
}
