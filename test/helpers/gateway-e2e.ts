// The gateway as the end-to-end specs run it in front of a simulated board, and the checks they
// share: when a board counts as reachable, and a JSON-RPC request POSTed by coap-client-notls.
import { startGateway, type Gateway } from "../../src/host/gateway/gateway"
import { coapClient, type ClientResult } from "../interop/coap-tcp/libcoap"

/** How long the gateway waits for a board's answer before it replies 5.04 to the UDP client. */
export const GATEWAY_REQUEST_TIMEOUT_MS = 3000

/**
 * Every firmware build registers at least its sensors, LED, /device, /config and /rpc: a board with
 * fewer links has not finished registering.
 */
const FIRMWARE_LINKS = 5

/** The board is online in the gateway's registry with all of its resources. */
export function boardReady(gw: Gateway, id: string): boolean {
    const b = gw.registry.get(id)
    return !!b && b.online && b.links.length >= FIRMWARE_LINKS
}

export interface E2eGatewayOptions {
    /** Fixed UDP / TCP ports (a restart on the ports the board already dials); 0 (free ports) by default. */
    coapPort?: number
    tcpPort?: number
    /** Open the coap+tcp head-end (default true). */
    tcp?: boolean
    /** The broker that carries boards on the MQTT binding; no MQTT side without it. */
    mqttUrl?: string
}

/** UDP front with upstream observations dropped 500 ms after their last client, no HTTP front. */
export function startE2eGateway(opts: E2eGatewayOptions = {}): Promise<Gateway> {
    return startGateway({
        coap: { port: opts.coapPort ?? 0, upstreamIdleMs: 500 },
        tcp: opts.tcp === false ? false : { port: opts.tcpPort ?? 0, requestTimeoutMs: GATEWAY_REQUEST_TIMEOUT_MS },
        http: false,
        mqtt: opts.mqttUrl ? { url: opts.mqttUrl, requestTimeoutMs: GATEWAY_REQUEST_TIMEOUT_MS, discoveryRetryMs: 1000 } : false,
    })
}

/** POST a JSON-RPC request (Content-Format 50, application/json) to `uri`, waiting up to `waitS` seconds. */
export function postRpc(uri: string, request: string, waitS = 10): Promise<ClientResult> {
    return coapClient(["-B", String(waitS), "-m", "post", "-t", "50", "-e", request, uri])
}
