// npm start: the main job of issue 3.
//   1. starts an MQTT broker in this process on a free loopback port (npm aedes), unless MQTT_URL
//      is set in the environment or .env.local;
//   2. builds and runs the firmware (devs/main.ts, the sim board) in the DeviceScript simulator,
//      with .env.defaults/.env.local applied and MQTT_URL pointing at the broker;
//   3. starts the CoAP gateway (src/host/gateway) on loopback, fronting the board's CoAP endpoint
//      that rides inside its MQTT session: UDP CoAP on 5683 and HTTP on 8080 (free ports when taken);
//   4. prints the board's status, telemetry and RPC traffic live, until Ctrl-C.
// The simulator needs devtools' fixed ports 8081-8083: the harness takes /tmp/devs-sim.lock.
import { createServer, type AddressInfo } from "node:net"
import { existsSync, readFileSync } from "node:fs"
import mqtt from "mqtt"
import { Aedes } from "aedes"
import { startSimulator } from "../test/helpers/simulator"
import { killAll } from "../test/helpers/processes"
import { startGateway, type Gateway } from "../src/host/gateway/gateway"

function envLocal(key: string): string | undefined {
    if (!existsSync(".env.local")) return undefined
    for (const raw of readFileSync(".env.local", "utf8").split("\n")) {
        const line = raw.replace(/#.*$/, "").trim()
        if (line.startsWith(key + "=")) return line.slice(key.length + 1).trim()
    }
    return undefined
}

function say(line: string): void {
    const t = new Date().toISOString().slice(11, 19)
    console.log(`${t} ${line}`)
}

async function main(): Promise<void> {
    let url = process.env["MQTT_URL"] ?? envLocal("MQTT_URL")
    let stopBroker = async () => {}
    if (!url) {
        const aedes = await Aedes.createBroker()
        const server = createServer(aedes.handle)
        await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()))
        const port = (server.address() as AddressInfo).port
        url = `mqtt://127.0.0.1:${port}`
        say(`broker: started in this process at ${url} (set MQTT_URL to use your own)`)
        stopBroker = async () => {
            await new Promise<void>((r) => aedes.close(() => r()))
            await new Promise<void>((r) => server.close(() => r()))
        }
    } else say(`broker: using ${url}`)

    const watch = await mqtt.connectAsync(url, { reconnectPeriod: 1000 })
    watch.on("message", (topic, payload) => {
        const parts = topic.split("/")
        const kind = parts[parts.length - 1]
        const text = payload.toString()
        if (topic.startsWith("homeassistant/")) say(`discovery: ${topic}${text ? "" : " (removed)"}`)
        else if (kind === "status") say(`status    ${parts[parts.length - 2]}: ${text}`)
        else if (kind === "telemetry") say(`telemetry ${text}`)
        else if (kind === "rx") say(`rpc  ->    ${text}`)
        else if (kind === "tx") say(`rpc  <-    ${text}`)
    })
    await watch.subscribeAsync(["devices/#", "homeassistant/#"])

    const gw = await startLocalGateway(url)
    say("simulator: waiting for the simulator lock and starting devtools ...")
    const sim = await startSimulator()
    let stopping = false
    const stop = async () => {
        if (stopping) return
        stopping = true
        say("stopping ...")
        await sim.stop()
        await gw.stop()
        await watch.endAsync()
        await stopBroker()
        killAll()
        process.exit(0)
    }
    process.on("SIGINT", stop)
    process.on("SIGTERM", stop)

    say("simulator: building and starting devs/main.ts (sim board); this takes a while the first time")
    const run = await sim.run("devs/main.ts", { settings: { MQTT_URL: url } })
    let shown = 0
    const timer = setInterval(() => {
        while (shown < run.log.vm.length) say(`board:    ${run.log.vm[shown++]}`)
        if (run.log.exitCode !== undefined) {
            say(`simulator exited (${run.log.exitCode})`)
            clearInterval(timer)
            void stop()
        }
    }, 200)
    say("try: npm run rpc -- sys.info   (Ctrl-C stops everything)")
    say(`try: coap-client-notls coap://127.0.0.1:${gw.ports.coap}/.well-known/core   or   curl http://127.0.0.1:${gw.ports.http}/devices/<id>/sensors`)
}

/** The gateway on loopback, on its usual ports (5683 UDP, 8080 HTTP) or free ones when those are taken. */
async function startLocalGateway(url: string): Promise<Gateway> {
    const mqttSide = { url, requestTimeoutMs: 3000 }
    let gw: Gateway
    try {
        gw = await startGateway({ coap: { port: 5683 }, tcp: false, http: { port: 8080 }, mqtt: mqttSide })
    } catch (e) {
        say(`gateway: ${(e as Error).message}; using free ports instead`)
        gw = await startGateway({ coap: { port: 0 }, tcp: false, http: { port: 0 }, mqtt: mqttSide })
    }
    say(`gateway: CoAP coap://127.0.0.1:${gw.ports.coap}/<id>/<path>, HTTP http://127.0.0.1:${gw.ports.http}/devices/<id>/<path>`)
    gw.registry.on("links", (b: { id: string; links: unknown[] }) => say(`gateway: board ${b.id} reachable over CoAP (${b.links.length} resources)`))
    return gw
}

main().catch((e: Error) => {
    console.error(e.message)
    process.exit(1)
})
