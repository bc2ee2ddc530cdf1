// COAP_BINDING=mqtt (the default): the board's CoAP endpoint answers requests that arrive inside
// its MQTT session (<prefix>/<id>/coap/req -> <prefix>/<id>/coap/res). See devs/coap-binding.ts.
// The endpoint is src/coap/server/board-coap.ts: the gateway in front does the proxy's share (formats,
// block-wise, observer fan-out), so the board's part is small (docs/coap-gateway.md).
import { DeviceModel, DeviceResourceOptions } from "../src/coap/server/device-resources"
import { BoardCoap, boardCoapChanged, boardCoapMessage, boardCoapTopic } from "../src/coap/server/board-coap"
import { MqttClientCore } from "../src/mqtt/client/client-core"
import { DeviceApp } from "../src/firmware/app"
import { CoapEndpoint, watchDevice } from "./coap-binding"
import { errText } from "./err-text"
import { appDeviceModel } from "../src/firmware/device-model"

/**
 * runFirmware's client hook in the default firmware (devs/main*.ts): serves the CoAP endpoint
 * inside the MQTT session when COAP_BINDING is "mqtt" (the default). "tcp" needs the CoAP firmware
 * (devs/main-coap*.ts), because the board's one socket is then the head-end's, not the broker's.
 */
export async function serveCoapOverMqtt(client: MqttClientCore, app: DeviceApp, log: (line: string) => void): Promise<void> {
    const binding = app.deps.config.get("COAP_BINDING") as string
    if (binding !== "mqtt") {
        log(
            binding === "tcp"
                ? "coap: COAP_BINDING=tcp needs the CoAP firmware (devs/main-coap*.ts); this firmware serves CoAP only over MQTT, so CoAP is off"
                : "coap: COAP_BINDING=off, not serving"
        )
        return
    }
    const model = appDeviceModel(app, log)
    // the resources are made from the quantities the sensors report, so read them first; a failure
    // must not keep the board off MQTT
    try {
        await model.refresh()
    } catch (e) {
        log("coap: " + errText(e))
    }
    watchDevice(model, startCoapOverMqtt(client, app.deps.config.get("MQTT_PREFIX") as string, app.deviceId, model, {}, log), log)
}

/** "mqtt": the endpoint answers requests that arrive through `client` (call before client.start()). */
export function startCoapOverMqtt(
    client: MqttClientCore,
    prefix: string,
    deviceId: string,
    model: DeviceModel,
    opts: DeviceResourceOptions,
    log: (line: string) => void
): CoapEndpoint {
    const coap = new BoardCoap(
        prefix,
        deviceId,
        model,
        (topic: string, payload: Buffer) => {
            // no callback: nothing waits for the reply's PUBACK
            client.publishNoWait(topic, payload, { qos: 1 })
        },
        opts
    )
    const topic = boardCoapTopic(coap)
    // clean session: the subscription is made again on every connect
    client.on("connect", () => {
        try {
            client.subscribeNoWait(topic, { qos: 1 }, (err: Error, granted: number[]) => {
                if (err) log("coap: subscribe failed: " + errText(err))
            })
        } catch (e) {
            log("coap: " + errText(e))
        }
    })
    client.on("message", (t: string, payload: Buffer) => {
        try {
            boardCoapMessage(coap, t, payload)
        } catch (e) {
            log("coap: " + errText(e))
        }
    })
    log("coap: over MQTT on " + topic)
    return {
        sensorsChanged: () => boardCoapChanged(coap, "/sensors"),
        ledChanged: () => boardCoapChanged(coap, "/actuators/led"),
    }
}
