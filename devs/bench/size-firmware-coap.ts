// Built, not run: `npm run size -- devs/bench/size-firmware-coap.ts`. The MQTT firmware with the CoAP
// endpoint served over its MQTT session (COAP_BINDING=mqtt) wired in the way devs/main.ts would do
// it. Its image is over the VM's 64 KB bytecode budget (docs/bytecode-size.md), which is why the
// default firmware does not carry CoAP yet; this entry keeps that number measured.
import { startBoard } from "../../boards/sim/board"
import { runFirmware } from "../firmware"
import { startCoapOverMqtt } from "../coap-over-mqtt"
import { AppDeviceModel } from "../device-model"
import { errText } from "../coap-binding"
import { MqttClientCore } from "../../src/mqtt/client-core"
import { DeviceApp } from "../../src/firmware/app"

await runFirmware(await startBoard(), (client: MqttClientCore, app: DeviceApp, log: (line: string) => void) => {
    const model = new AppDeviceModel(app, log)
    const ep = startCoapOverMqtt(client, app.deps.config.get("MQTT_PREFIX"), app.deviceId, model, {}, log)
    setInterval(async () => {
        try {
            if (await model.refresh()) ep.sensorsChanged()
        } catch (e) {
            log("coap: " + errText(e))
        }
    }, 1000)
})
