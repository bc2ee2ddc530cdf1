// COAP_BINDING=tcp: the board dials the head-end at COAP_URL over its ONE socket (RFC 8323),
// registers (RFC 9176) and serves the head-end's requests. MQTT cannot run at the same time.
// The endpoint is src/coap/server/board-coap.ts, as on the MQTT binding: the gateway in front does the
// proxy's share (formats, block-wise, observer fan-out), told so by the registration's et=.
import { DeviceModel, DeviceResourceOptions } from "../src/coap/server/device-resources"
import { BoardCoap, BOARD_COAP_ENDPOINT_TYPE, boardCoapChanged } from "../src/coap/server/board-coap"
import { BoardTcpLink, serveBoardCoapOverTcp } from "../src/coap/server/board-tcp-link"
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
    const link = new BoardTcpLink(
        dsNetConnector,
        { host: target.host, port: target.port, tls: target.tls },
        dsClock,
        dsRandom,
        { endpoint: deviceId, lifetimeS: 300, endpointType: BOARD_COAP_ENDPOINT_TYPE },
        {
            onUp: () => log("coap: connected to " + url + ", registering as " + deviceId),
            onDown: (reason: string, retryInMs: number) => log("coap: link down (" + reason + "), retry in " + retryInMs + " ms"),
        }
    )
    const coap = new BoardCoap("", deviceId, model, undefined, opts)
    serveBoardCoapOverTcp(link, coap)
    setInterval(() => {
        try {
            link.tick()
        } catch (e) {
            log("coap: " + errText(e))
        }
    }, TCP_TICK_MS)
    link.start()
    return {
        sensorsChanged: () => boardCoapChanged(coap, "/sensors"),
        ledChanged: () => boardCoapChanged(coap, "/actuators/led"),
    }
}
