// npm run rpc -- <method> [json-params] [--device <id>] [--url mqtt://host:port] [--prefix devices] [--timeout ms]
//
// Calls one JSON-RPC method on a running board over MQTT (<prefix>/<id>/rx -> <prefix>/<id>/tx)
// and prints the result. Without --device it picks the board whose retained status says online
// (and asks you to choose when there are several). The broker URL comes from --url, else the
// MQTT_URL environment variable, else MQTT_URL in .env.local, else the broker of a running
// `npm start` (.devicescript/npm-start.json), else MQTT_URL in .env.defaults, else
// mqtt://localhost:1883. It logs in with the tools' account (GATEWAY_USER/GATEWAY_PASS, or the
// gateway.env of `npm run provision`; scripts/lib/running-start.ts) when one is configured.
import { existsSync, readFileSync } from "node:fs"
import { join } from "node:path"
import mqtt from "mqtt"
import { readStartRecord, redactUrl, toolCredentials } from "./lib/running-start"
import { checked, intArg, parseFlags, runTool, urlArg, UsageError } from "./lib/cli-args"
import { validateDeviceId, validatePrefix } from "./lib/broker-auth"

const root = join(import.meta.dirname, "..")

interface Args {
    method: string
    params: unknown
    device?: string
    url: string
    prefix: string
    timeoutMs: number
}

function envFile(name: string): Record<string, string> {
    name = join(root, name)
    if (!existsSync(name)) return {}
    const out: Record<string, string> = {}
    for (const raw of readFileSync(name, "utf8").split("\n")) {
        const line = raw.replace(/#.*$/, "").trim()
        const eq = line.indexOf("=")
        if (eq > 0) out[line.slice(0, eq).trim()] = line.slice(eq + 1).trim()
    }
    return out
}

const USAGE = [
    "usage: npm run rpc -- <method> [json-params] [--device <id>] [--url mqtt://host:port] [--prefix devices] [--timeout ms]",
    'example: npm run rpc -- config.set \'{"settings":{"TELEMETRY_MS":10000}}\'',
].join("\n")

/** The schemes npm `mqtt` connects with. */
const MQTT_URL_SCHEMES = ["mqtt", "mqtts", "tcp", "tls", "ws", "wss"]

function parseCommandLine(argv: string[]): Args | undefined {
    const { values, positionals } = parseFlags(
        argv,
        {
            device: { type: "string" },
            url: { type: "string" },
            prefix: { type: "string" },
            timeout: { type: "string" },
            help: { type: "boolean", short: "h" },
        },
        { min: 0, max: 2 }
    )
    if (values.help) return undefined
    if (positionals.length < 1) throw new UsageError("no method given")
    let params: unknown = undefined
    if (positionals.length > 1) {
        try {
            params = JSON.parse(positionals[1])
        } catch {
            throw new UsageError(`params are not JSON: ${positionals[1]}`)
        }
    }
    const defaults = envFile(".env.defaults")
    const local = envFile(".env.local")
    const env = { ...defaults, ...local }
    const flag = (k: keyof typeof values) => values[k] as string | undefined
    // the URL is checked under the name it came from
    const sources: [string, string | undefined][] = [
        ["--url", flag("url")],
        ["MQTT_URL (environment)", process.env["MQTT_URL"] || undefined],
        ["MQTT_URL in .env.local", local["MQTT_URL"]],
        [".devicescript/npm-start.json", readStartRecord(root)?.url],
        ["MQTT_URL in .env.defaults", defaults["MQTT_URL"]],
        ["default", "mqtt://localhost:1883"],
    ]
    const [urlFrom, url] = sources.find(([, v]) => v !== undefined) as [string, string]
    const device = flag("device") ?? process.env["DEVICE_ID"]
    return {
        method: positionals[0],
        params,
        device:
            device === undefined ? undefined : checked(flag("device") === undefined ? "DEVICE_ID" : "--device", device, validateDeviceId),
        url: urlArg(urlFrom, url, MQTT_URL_SCHEMES),
        prefix: checked("--prefix", flag("prefix") ?? env["MQTT_PREFIX"] ?? "devices", validatePrefix),
        timeoutMs: intArg("--timeout", flag("timeout"), 10000, 1, 3_600_000),
    }
}

/** Devices whose retained status is online, found within `ms`. */
async function onlineDevices(client: mqtt.MqttClient, prefix: string, ms: number): Promise<string[]> {
    const found = new Set<string>()
    const onMsg = (topic: string, payload: Buffer) => {
        const parts = topic.split("/")
        try {
            if (JSON.parse(payload.toString()).state === "online") found.add(parts[parts.length - 2])
            else found.delete(parts[parts.length - 2])
        } catch {
            // not ours
        }
    }
    client.on("message", onMsg)
    await client.subscribeAsync(`${prefix}/+/status`)
    await new Promise((r) => setTimeout(r, ms))
    client.off("message", onMsg)
    await client.unsubscribeAsync(`${prefix}/+/status`)
    return [...found]
}

async function main(): Promise<void> {
    const args = parseCommandLine(process.argv.slice(2))
    if (!args) {
        console.log(USAGE)
        return
    }
    const creds = toolCredentials(root)
    const login = { username: creds.username, password: creds.password }
    const client = await mqtt.connectAsync(args.url, { reconnectPeriod: 0, connectTimeout: 5000, ...login }).catch((e: Error) => {
        console.error(`cannot reach the broker at ${redactUrl(args.url)}: ${e.message}`)
        process.exit(1)
    })
    try {
        let device = args.device
        if (!device) {
            const online = await onlineDevices(client, args.prefix, 700)
            if (online.length === 0)
                throw new Error(
                    `no board online under ${args.prefix}/+/status at ${redactUrl(args.url)}; is npm start running? (or give --url, --device <id>)`
                )
            if (online.length > 1) throw new Error(`several boards online (${online.join(", ")}); choose one with --device <id>`)
            device = online[0]
        }
        const id = `cli-${process.pid}-${Date.now()}`
        const req: Record<string, unknown> = { jsonrpc: "2.0", method: args.method, id }
        if (args.params !== undefined) req["params"] = args.params
        const reply = new Promise<any>((resolve, reject) => {
            const t = setTimeout(() => reject(new Error(`no reply from ${device} within ${args.timeoutMs} ms`)), args.timeoutMs)
            client.on("message", (topic, payload) => {
                if (topic !== `${args.prefix}/${device}/tx`) return
                try {
                    const r = JSON.parse(payload.toString())
                    const list = Array.isArray(r) ? r : [r]
                    if (list.some((x) => x && x.id === id)) {
                        clearTimeout(t)
                        resolve(list.find((x) => x && x.id === id))
                    }
                } catch {
                    // another client's traffic
                }
            })
        })
        await client.subscribeAsync(`${args.prefix}/${device}/tx`)
        await client.publishAsync(`${args.prefix}/${device}/rx`, JSON.stringify(req), { qos: 1 })
        const r = await reply
        if (r.error) {
            console.error(
                `error ${r.error.code}: ${r.error.message}${r.error.data !== undefined ? " (" + JSON.stringify(r.error.data) + ")" : ""}`
            )
            process.exitCode = 1
        } else console.log(JSON.stringify(r.result, null, 2))
    } catch (e) {
        console.error((e as Error).message)
        process.exitCode = 1
    } finally {
        await client.endAsync()
    }
}

runTool("rpc", USAGE, main)
