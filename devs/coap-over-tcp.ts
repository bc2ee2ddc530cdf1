// COAP_BINDING=tcp: the board dials the head-end at COAP_URL over its ONE socket (RFC 8323),
// registers (RFC 9176) and serves the head-end's requests. MQTT cannot run at the same time.
import { CoapServerCore } from "../src/coap/endpoint"
import { DeviceModel, DeviceResourceOptions, installDeviceResources } from "../src/coap/device-resources"
import { CoapBoardTcpLink } from "../src/coap/board-tcp-link"
import { Endpoint, parseUrl } from "../src/config/url"
import { dsClock } from "./clock"
import { dsRandom } from "./random"
import { dsNetConnector } from "./net-stream"
import { CoapEndpoint } from "./coap-binding"
import { errText } from "./err-text"

/** How often the RFC 8323 session's timers (Ping, CSM wait, timeouts, RD refresh) are checked. */
const TCP_TICK_MS = 200

/** "tcp": dials the head-end at `url` and registers; returns undefined (and says why) on a bad URL. */
export function startCoapOverTcp(
    url: string,
    deviceId: string,
    model: DeviceModel,
    opts: DeviceResourceOptions,
    log: (line: string) => void
): CoapEndpoint {
    const ep = parseUrl(url, ["coap+tcp", "coaps+tcp"])
    if (typeof ep === "string") {
        log("coap: COAP_URL " + ep)
        return undefined
    }
    const target = ep as Endpoint
    const link = new CoapBoardTcpLink(
        dsNetConnector,
        { host: target.host, port: target.port, tls: target.tls },
        dsClock,
        dsRandom,
        { endpoint: deviceId, lifetimeS: 300 },
        {
            onUp: () => log("coap: connected to " + url + ", registering as " + deviceId),
            onDown: (reason: string, retryInMs: number) => log("coap: link down (" + reason + "), retry in " + retryInMs + " ms"),
        }
    )
    const server = new CoapServerCore(link.transport, { clock: dsClock })
    const n = installDeviceResources(server, model, opts)
    link.serve(server, server.resources)
    setInterval(() => {
        try {
            link.tick()
        } catch (e) {
            log("coap: " + errText(e))
        }
    }, TCP_TICK_MS)
    link.start()
    return { sensorsChanged: n.sensorsChanged, ledChanged: n.ledChanged }
}
