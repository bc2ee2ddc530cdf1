// What `npm start` and the other Node-side tools (`npm run rpc`) share about a running `npm start`:
// where its broker is, and which account the tools log in with.
//
// - npm start writes .devicescript/npm-start.json ({ url, pid }) once its broker is up and removes it
//   when it stops; `npm run rpc` reads it when neither --url nor MQTT_URL says otherwise, and ignores
//   it when that process is gone. The URL in it never carries a password.
// - The tools' own MQTT account (npm start's watcher and gateway, npm run rpc): GATEWAY_USER and
//   GATEWAY_PASS from the environment, else MQTT_USER/MQTT_PASS of <broker dir>/gateway.env, the
//   full-access account `npm run provision` creates (broker dir: BROKER_DIR, default .broker). The
//   board's own MQTT_USER/MQTT_PASS in .env.local are not used: the broker's ACL confines that account
//   to the board's own topics.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { dirname, join, resolve } from "node:path"

export const RECORD_FILE = ".devicescript/npm-start.json"

export interface StartRecord {
    url: string
    pid: number
}

/** KEY=value lines (comments and blank lines skipped). */
export function readEnvFile(path: string): Record<string, string> {
    if (!existsSync(path)) return {}
    const out: Record<string, string> = {}
    for (const raw of readFileSync(path, "utf8").split("\n")) {
        const line = raw.replace(/#.*$/, "").trim()
        const eq = line.indexOf("=")
        if (eq > 0) out[line.slice(0, eq).trim()] = line.slice(eq + 1).trim()
    }
    return out
}

function alive(pid: number): boolean {
    try {
        process.kill(pid, 0)
        return true
    } catch (e) {
        // EPERM: it exists but belongs to someone else
        return (e as NodeJS.ErrnoException).code === "EPERM"
    }
}

export function writeStartRecord(root: string, record: StartRecord): void {
    const path = join(root, RECORD_FILE)
    mkdirSync(dirname(path), { recursive: true })
    writeFileSync(path, JSON.stringify({ ...record, url: redactUrl(record.url) }) + "\n")
}

export function removeStartRecord(root: string, pid = process.pid): void {
    const r = readStartRecord(root)
    if (r && r.pid === pid) rmSync(join(root, RECORD_FILE), { force: true })
}

/** The running npm start's broker, or undefined when none runs (a stale record is ignored). */
export function readStartRecord(root: string): StartRecord | undefined {
    const path = join(root, RECORD_FILE)
    if (!existsSync(path)) return undefined
    try {
        const r = JSON.parse(readFileSync(path, "utf8")) as StartRecord
        if (typeof r.url !== "string" || typeof r.pid !== "number") return undefined
        return alive(r.pid) ? r : undefined
    } catch {
        return undefined
    }
}

export interface Credentials {
    username?: string
    password?: string
    /** Where they came from, for messages (never the password). */
    source?: string
}

/** The tools' own MQTT account (see the top of this file); empty when none is configured. */
export function toolCredentials(root: string, env: NodeJS.ProcessEnv = process.env): Credentials {
    if (env["GATEWAY_USER"]) return { username: env["GATEWAY_USER"], password: env["GATEWAY_PASS"], source: "GATEWAY_USER/GATEWAY_PASS" }
    const file = resolve(root, env["BROKER_DIR"] ?? ".broker", "gateway.env")
    const kv = readEnvFile(file)
    if (kv["MQTT_USER"]) return { username: kv["MQTT_USER"], password: kv["MQTT_PASS"], source: file }
    return {}
}

/** The URL with any password in it replaced by "***" (safe to print). */
export function redactUrl(url: string): string {
    try {
        const u = new URL(url)
        if (!u.password) return url
        u.password = "***"
        return u.toString().replace(/\/$/, url.endsWith("/") ? "/" : "")
    } catch {
        return url.replace(/\/\/([^:@/]*):[^@/]*@/, "//$1:***@")
    }
}
