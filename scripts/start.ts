// npm start [-- --reset | --no-sim]: the firmware in the simulator with everything it talks to, on this machine.
//   1. starts an MQTT broker in this process (npm aedes) on 127.0.0.1:1883, or on a free port when
//      1883 is taken, unless MQTT_URL is set in the environment or .env.local (then it uses that
//      broker, e.g. a provisioned Mosquitto with allow_anonymous false);
//   2. records where that broker is in .devicescript/npm-start.json, so `npm run rpc` finds it without
//      flags (scripts/lib/running-start.ts);
//   3. starts the CoAP gateway (src/host/gateway) on loopback, fronting the board's CoAP endpoint
//      that rides inside its MQTT session: UDP CoAP on 5683 and HTTP on 8080 (free ports when taken);
//   4. builds and runs the firmware (devs/main.ts, the sim board) in the DeviceScript simulator, with
//      MQTT_URL pointing at the broker. The simulated flash is kept between runs, so what the board
//      saved (config.set) survives; .env.local and MQTT_URL are written over it at every start.
//      --reset starts from a blank flash with .env.defaults and .env.local, like a fresh deploy;
//   5. prints the board's status, telemetry and RPC traffic live, until Ctrl-C.
// --no-sim leaves out step 4: broker, gateway and watcher only, for a board run elsewhere, e.g. by
// the VS Code DeviceScript debugger, which needs devtools' ports itself (docs/vscode.md).
// The watcher and the gateway log in with the tools' account (GATEWAY_USER/GATEWAY_PASS, or the
// gateway.env that `npm run provision` writes); the board with its own MQTT_USER/MQTT_PASS from
// .env.local. No password is printed: a URL is shown with its password replaced by ***.
// The simulator needs devtools' fixed ports 8081-8083: the harness takes the simulator lock
// (a listener on 127.0.0.1:8084) for the whole session.
import { createServer, type AddressInfo, type Server } from "node:net"
import { existsSync, readFileSync } from "node:fs"
import { join } from "node:path"
import mqtt from "mqtt"
import { Aedes } from "aedes"
import {
    FLASH_FILE,
    PROJECT_ROOT,
    parseDotEnv,
    projectEnvSettings,
    startSimulator,
    type SettingValue,
    type Simulator,
} from "../test/helpers/simulator"
import { killAll } from "../test/helpers/processes"
import { startGateway, type Gateway } from "../src/host/gateway/gateway"
import { readEnvFile, redactUrl, removeStartRecord, toolCredentials, writeStartRecord } from "./lib/running-start"
import { parseFlags, runTool, urlArg } from "./lib/cli-args"

const USAGE = [
    "usage: npm start [-- --reset | --no-sim]",
    "  --reset   forget what the simulated board saved, start from .env.defaults + .env.local",
    "  --no-sim  broker, gateway and watcher only (run the board elsewhere, e.g. in the VS Code debugger)",
].join("\n")

/** The usual MQTT port when free, else any free loopback port. */
async function listenBroker(server: Server): Promise<number> {
    for (const port of [1883, 0]) {
        const ok = await new Promise<boolean>((res, rej) => {
            const onError = (e: NodeJS.ErrnoException) => (e.code === "EADDRINUSE" ? res(false) : rej(e))
            server.once("error", onError)
            server.listen(port, "127.0.0.1", () => {
                server.off("error", onError)
                res(true)
            })
        })
        if (ok) return (server.address() as AddressInfo).port
    }
    throw new Error("no port for the broker")
}

function say(line: string): void {
    const t = new Date().toISOString().slice(11, 19)
    console.log(`${t} ${line}`)
}

async function main(): Promise<void> {
    const { values } = parseFlags(process.argv.slice(2), {
        reset: { type: "boolean" },
        "no-sim": { type: "boolean" },
        help: { type: "boolean", short: "h" },
    })
    if (values.help) {
        console.log(USAGE)
        return
    }
    const reset = values.reset === true
    const noSim = values["no-sim"] === true
    const envUrl = process.env["MQTT_URL"]
    let url = envUrl || readEnvFile(join(PROJECT_ROOT, ".env.local"))["MQTT_URL"]
    if (url) urlArg(envUrl ? "MQTT_URL (environment)" : "MQTT_URL in .env.local", url, ["mqtt", "mqtts", "tcp", "tls", "ws", "wss"])
    let stopBroker = async () => {}
    if (!url) {
        const aedes = await Aedes.createBroker()
        const server = createServer(aedes.handle)
        const port = await listenBroker(server)
        url = `mqtt://127.0.0.1:${port}`
        say(`broker: started in this process at ${url}${port === 1883 ? "" : " (1883 is taken)"}; set MQTT_URL to use your own`)
        stopBroker = async () => {
            await new Promise<void>((r) => aedes.close(() => r()))
            await new Promise<void>((r) => server.close(() => r()))
        }
    } else say(`broker: using ${redactUrl(url)}`)
    writeStartRecord(PROJECT_ROOT, { url, pid: process.pid })
    process.on("exit", () => removeStartRecord(PROJECT_ROOT))

    const creds = toolCredentials(PROJECT_ROOT)
    if (creds.username) say(`broker: watcher and gateway log in as "${creds.username}" (from ${creds.source})`)
    const login = { username: creds.username, password: creds.password }
    const gw = await startLocalGateway(url, login)
    let hinted = false
    const hints = (id: string) => {
        say("try, in another terminal:  npm run rpc -- sys.info")
        say(
            `try: coap-client-notls coap://127.0.0.1:${gw.ports.coap}/${id}/sensors   or   curl http://127.0.0.1:${gw.ports.http}/devices/${id}/sensors`
        )
    }
    const watch = await mqtt.connectAsync(url, { reconnectPeriod: 1000, connectTimeout: 10_000, ...login }).catch((e: Error) => {
        throw new Error(
            `cannot reach the broker at ${redactUrl(url)}: ${e.message}` +
                (creds.username ? "" : " (a broker with allow_anonymous false needs GATEWAY_USER/GATEWAY_PASS or .broker/gateway.env)")
        )
    })
    watch.on("message", (topic, payload) => {
        const parts = topic.split("/")
        const kind = parts[parts.length - 1]
        const text = payload.toString()
        if (topic.startsWith("homeassistant/")) say(`discovery: ${topic}${text ? "" : " (removed)"}`)
        else if (kind === "status") {
            say(`status    ${parts[parts.length - 2]}: ${text}`)
            if (!hinted && /"state":"online"/.test(text)) {
                hinted = true
                hints(parts[parts.length - 2])
            }
        } else if (kind === "telemetry") say(`telemetry ${text}`)
        else if (kind === "rx") say(`rpc  ->    ${text}`)
        else if (kind === "tx") say(`rpc  <-    ${text}`)
    })
    await watch.subscribeAsync(["devices/#", "homeassistant/#"])

    let stopping = false
    // Set once the simulator runs (never with --no-sim); stop() may come before.
    const session: { sim?: Simulator } = {}
    const stop = async () => {
        if (stopping) return
        stopping = true
        say("stopping ...")
        await session.sim?.stop()
        await gw.stop()
        await watch.endAsync()
        await stopBroker()
        killAll()
        process.exit(0)
    }
    process.on("SIGINT", stop)
    process.on("SIGTERM", stop)
    if (noSim) {
        say(`no simulator (--no-sim): boards reach the broker at ${redactUrl(url)}; Ctrl-C stops everything`)
        return
    }

    say("simulator: waiting for the simulator lock and starting devtools ...")
    const sim = await startSimulator()
    session.sim = sim
    say("simulator: building and starting devs/main.ts (sim board); this takes a while the first time")
    const run = await sim.run("devs/main.ts", boardSettings(url, reset))
    let shown = 0
    const timer = setInterval(() => {
        while (shown < run.log.vm.length) say(`board:    ${run.log.vm[shown++]}`)
        if (run.log.exitCode !== undefined) {
            say(`simulator exited (${run.log.exitCode})`)
            clearInterval(timer)
            void stop()
        }
    }, 200)
    say("simulator: started; the commands to try are printed once the board is online (Ctrl-C stops everything)")
}

/**
 * What the simulated board is given at this start. A kept flash already holds the board's settings:
 * only .env.local (the user's own values) and MQTT_URL are written over it. A blank flash (the first
 * start, or --reset) gets .env.defaults + .env.local, like a deploy.
 */
function boardSettings(
    url: string,
    reset: boolean
): { settings: Record<string, SettingValue>; applyEnvFiles: boolean; keepFlash: boolean } {
    const fresh = reset || !existsSync(FLASH_FILE)
    const local = existsSync(join(PROJECT_ROOT, ".env.local")) ? parseDotEnv(readFileSync(join(PROJECT_ROOT, ".env.local"), "utf8")) : {}
    const base = fresh ? projectEnvSettings() : local
    say(
        fresh
            ? "simulator: a blank flash with .env.defaults + .env.local"
            : "simulator: keeping what the board saved before (npm start -- --reset forgets it)"
    )
    return { settings: { ...base, MQTT_URL: url }, applyEnvFiles: false, keepFlash: !fresh }
}

/** The gateway on loopback, on its usual ports (5683 UDP, 8080 HTTP) or free ones when those are taken. */
async function startLocalGateway(url: string, login: { username?: string; password?: string }): Promise<Gateway> {
    const mqttSide = { url, requestTimeoutMs: 3000, mqtt: login }
    let gw: Gateway
    try {
        gw = await startGateway({ coap: { port: 5683 }, tcp: false, http: { port: 8080 }, mqtt: mqttSide })
    } catch (e) {
        say(`gateway: ${(e as Error).message}; using free ports instead`)
        gw = await startGateway({ coap: { port: 0 }, tcp: false, http: { port: 0 }, mqtt: mqttSide })
    }
    say(`gateway: CoAP coap://127.0.0.1:${gw.ports.coap}/<id>/<path>, HTTP http://127.0.0.1:${gw.ports.http}/devices/<id>/<path>`)
    gw.registry.on("links", (b: { id: string; links: unknown[] }) =>
        say(`gateway: board ${b.id} reachable over CoAP (${b.links.length} resources)`)
    )
    return gw
}

runTool("start", USAGE, main)
