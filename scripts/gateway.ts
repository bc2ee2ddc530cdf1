// npm run gateway: the CoAP gateway that makes every board reachable (docs/coap-gateway.md).
// Settings (environment):
//   GATEWAY_COAP_PORT   UDP CoAP front, default 5683 ("off" disables)
//   GATEWAY_TCP_PORT    coap+tcp head-end for boards on the TCP binding, default 5683 ("off")
//   GATEWAY_TLS_KEY / GATEWAY_TLS_CERT  PEM files: the head-end speaks coaps+tcp instead
//   GATEWAY_HTTP_PORT   HTTP front, default 8080 ("off")
//   GATEWAY_HTTP_TOKEN  bearer token the HTTP front requires (unset: no check, loopback only)
//   GATEWAY_COAP_TOKEN  access token the UDP CoAP front requires as Uri-Query at=<token> (unset: no check)
//   GATEWAY_HOST        address to bind, default 127.0.0.1 (0.0.0.0 to serve the LAN)
//   MQTT_URL            broker for boards on the MQTT binding (unset: MQTT side off)
//   TOPIC_PREFIX        default "devices"
//   GATEWAY_TIMEOUT_MS  how long a board may take before the client gets 5.04, default 3000
import { existsSync, readFileSync } from "node:fs"
import { startGateway } from "../src/host/gateway/gateway"
import { checked, intArg, parseFlags, portArg, runTool, urlArg, UsageError } from "./lib/cli-args"
import { otherCredentials, parseBrokerList } from "../src/config/broker-list"
import { parseUrlWithCredentials } from "../src/config/url"
import { validatePrefix } from "./lib/broker-auth"
import { redactUrl } from "./lib/running-start"

const USAGE = "usage: npm run gateway   (no arguments: settings come from the environment, see scripts/gateway.ts)"
const env = process.env

/** A front's port: "off" disables it, unset or empty takes the default. */
function port(name: string, dflt: number): number | false {
    return env[name] === "off" ? false : portArg(name, env[name], dflt)
}

function pemFile(name: string): Buffer {
    const path = env[name] as string
    if (!existsSync(path)) throw new UsageError(`${name}: no file ${path}`)
    return readFileSync(path)
}

/** MQTT_URL: one broker URL, or a list of a cluster's nodes (src/config/broker-list.ts). */
function brokerArg(text: string): string {
    if (text.indexOf(",") < 0) return urlArg("MQTT_URL", text, ["mqtt", "mqtts", "tcp", "tls", "ws", "wss"])
    return checked("MQTT_URL", text, (t) => {
        const list = parseBrokerList(t, ["mqtt", "mqtts", "tcp", "tls", "ssl"], parseUrlWithCredentials)
        const why = typeof list === "string" ? list : otherCredentials(list)
        return why === undefined ? undefined : "list " + why
    })
}

function settings() {
    parseFlags(process.argv.slice(2), {})
    if (((env["GATEWAY_TLS_KEY"] || "") !== "") !== ((env["GATEWAY_TLS_CERT"] || "") !== ""))
        throw new UsageError("GATEWAY_TLS_KEY and GATEWAY_TLS_CERT go together: set both or neither")
    const mqttUrl = env["MQTT_URL"] || ""
    return {
        host: env["GATEWAY_HOST"] || "127.0.0.1",
        timeout: intArg("GATEWAY_TIMEOUT_MS", env["GATEWAY_TIMEOUT_MS"], 3000, 1, 600_000),
        coapPort: port("GATEWAY_COAP_PORT", 5683),
        tcpPort: port("GATEWAY_TCP_PORT", 5683),
        httpPort: port("GATEWAY_HTTP_PORT", 8080),
        token: env["GATEWAY_HTTP_TOKEN"] || "",
        coapToken: env["GATEWAY_COAP_TOKEN"] || "",
        tls: env["GATEWAY_TLS_KEY"] ? { key: pemFile("GATEWAY_TLS_KEY"), cert: pemFile("GATEWAY_TLS_CERT") } : undefined,
        mqttUrl: mqttUrl ? brokerArg(mqttUrl) : "",
        prefix: checked("TOPIC_PREFIX", env["TOPIC_PREFIX"] || "devices", validatePrefix),
    }
}

runTool("gateway", USAGE, async () => {
    const { host, timeout, coapPort, tcpPort, httpPort, token, coapToken, tls, mqttUrl, prefix } = settings()
    if (!token && httpPort !== false && host !== "127.0.0.1" && host !== "::1")
        console.error("warning: GATEWAY_HTTP_TOKEN is not set and the HTTP front listens beyond loopback")
    if (!coapToken && coapPort !== false && host !== "127.0.0.1" && host !== "::1")
        console.error("warning: GATEWAY_COAP_TOKEN is not set and the CoAP front listens beyond loopback")

    const gw = await startGateway({
        coap: coapPort === false ? false : { host, port: coapPort, token: coapToken },
        tcp: tcpPort === false ? false : { host, port: tcpPort, tls, requestTimeoutMs: timeout },
        http: httpPort === false ? false : { host, port: httpPort, token },
        mqtt: mqttUrl ? { url: mqttUrl, prefix, requestTimeoutMs: timeout } : false,
    })
    const p = gw.ports
    if (p.coap !== undefined) console.log(`CoAP (UDP)     coap://${host}:${p.coap}/<board>/<path>   discovery: /.well-known/core`)
    if (p.tcp !== undefined) console.log(`board head-end ${tls ? "coaps+tcp" : "coap+tcp"}://${host}:${p.tcp}  (RD: POST /rd?ep=<id>)`)
    if (p.http !== undefined)
        console.log(`HTTP           http://${host}:${p.http}/devices/<board>/<path>${token ? "  (Authorization: Bearer ...)" : ""}`)
    if (mqttUrl) console.log(`MQTT           ${redactUrl(mqttUrl)}  (${prefix}/<id>/coap/req|res)`)
    // said on every (re)connect, so a supervisor (scripts/fleet) can wait for it instead of guessing
    gw.mqtt?.client?.on("connect", () => console.log("MQTT connected"))
    gw.mqtt?.client?.on("error", (e: Error) => console.log(`MQTT error: ${e.message}`))
    gw.registry.on("online", (b) => console.log(`board ${b.id} online (${b.binding})`))
    gw.registry.on("links", (b) => console.log(`board ${b.id}: ${b.links.length} resources`))
    gw.registry.on("offline", (b) => console.log(`board ${b.id} offline: ${b.reason}`))
    if (gw.mqtt) gw.mqtt.onOfflineDisproved = (id) => console.log(`board ${id}: offline status disproved, it answered`)
    if (gw.mqtt) gw.mqtt.onStatusRecovered = (id) => console.log(`board ${id}: online status read again`)
    const stop = async () => {
        await gw.stop()
        process.exit(0)
    }
    process.once("SIGINT", stop)
    process.once("SIGTERM", stop)
})
