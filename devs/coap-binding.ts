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
import { AppDeviceModel } from "../src/firmware/device-model"
import { errText } from "./err-text"

/** How often sensors (and the LED) are read; their observers are notified when a value changed. */
const SAMPLE_MS = 1000

export interface CoapEndpoint {
    /** Call when readings changed: notifies /sensors and /sensors/<q> observers. */
    sensorsChanged: () => void
    ledChanged: () => void
}

/**
 * Reads the sensors and the LED every SAMPLE_MS and notifies ep's observers of what changed. The
 * LED changes through PUT /actuators/led and through the led.set method alike, so it is watched,
 * not hooked. Only the CoAP resources read the model, so without an endpoint nothing is watched.
 */
export function watchDevice(model: AppDeviceModel, ep: CoapEndpoint, log: (line: string) => void): void {
    if (!ep) return
    let led = model.getLed()
    setInterval(async () => {
        try {
            if (await model.refresh()) ep.sensorsChanged()
            if (model.getLed() !== led) {
                led = !led
                ep.ledChanged()
            }
        } catch (e) {
            log("sensors: " + errText(e))
        }
    }, SAMPLE_MS)
}
