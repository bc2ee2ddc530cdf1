// The board's CoAP endpoint on the binding the COAP_BINDING setting selects (docs/coap-gateway.md):
//   "mqtt" (default)  requests inside the MQTT session: <prefix>/<id>/coap/req -> <prefix>/<id>/coap/res
//   "tcp"             RFC 8323 to the head-end at COAP_URL (coap+tcp:// or coaps+tcp://), with
//                     RFC 9176 registration; this uses the board's ONE socket, so MQTT is off then
//   "off"             no CoAP
// Every rule lives in src/coap; this file only wires it to DeviceScript (socket, clock, timers)
// and keeps exceptions out of timer fibers (an uncaught one panics the board).
// Split in two files so a firmware build only contains the binding it uses (the whole program's
// bytecode must stay under DeviceScript's 64 KB function-section limit, see docs/coap-gateway.md):
//   devs/coap-over-mqtt.ts  startCoapOverMqtt(client, prefix, id, model, opts, log)
//   devs/coap-over-tcp.ts   startCoapOverTcp(url, id, model, opts, log)
import { CoapServerCore } from "../src/coap/endpoint"

export interface CoapEndpoint {
    server: CoapServerCore
    /** Call when readings changed: notifies /sensors and /sensors/<q> observers. */
    sensorsChanged: () => void
    ledChanged: () => void
}

export function errText(e: unknown): string {
    const m = (e as Error)?.message
    return m ? m : "error"
}
