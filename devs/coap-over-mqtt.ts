// COAP_BINDING=mqtt (the default): the board's CoAP endpoint answers requests that arrive inside
// its MQTT session (<prefix>/<id>/coap/req -> <prefix>/<id>/coap/res). See devs/coap-binding.ts.
import { CoapServerCore } from "../src/coap/endpoint"
import { DeviceModel, DeviceResourceOptions, installDeviceResources } from "../src/coap/device-resources"
import { CoapBoardMqttLink } from "../src/coap/board-mqtt-link"
import { MqttClientCore } from "../src/mqtt/client-core"
import { dsClock } from "./clock"
import { CoapEndpoint, errText } from "./coap-binding"

/** "mqtt": the endpoint answers requests that arrive through `client` (call before client.start()). */
export function startCoapOverMqtt(
    client: MqttClientCore,
    prefix: string,
    deviceId: string,
    model: DeviceModel,
    opts: DeviceResourceOptions,
    log: (line: string) => void
): CoapEndpoint {
    const link = new CoapBoardMqttLink(prefix, deviceId, (topic: string, payload: Buffer) => {
        client.publishNoWait(topic, payload, { qos: 1 }, (err: Error) => {})
    })
    const server = new CoapServerCore(link.transport, { clock: dsClock })
    link.serve(server)
    const n = installDeviceResources(server, model, opts)
    // clean session: the subscription is made again on every connect
    client.on("connect", () => {
        try {
            client.subscribeNoWait(link.requestTopic(), { qos: 1 }, (err: Error, granted: number[]) => {
                if (err) log("coap: subscribe failed: " + errText(err))
            })
        } catch (e) {
            log("coap: " + errText(e))
        }
    })
    client.on("message", (topic: string, payload: Buffer) => {
        try {
            link.onMessage(topic, payload)
        } catch (e) {
            log("coap: " + errText(e))
        }
    })
    log("coap: over MQTT on " + link.requestTopic())
    return { server: server, sensorsChanged: n.sensorsChanged, ledChanged: n.ledChanged }
}

