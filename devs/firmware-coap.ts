// The CoAP firmware's run loop (devs/main-coap.ts): settings -> application (src/firmware) ->
// CoAP endpoint over RFC 8323 to the head-end at COAP_URL (devs/coap-over-tcp.ts), no MQTT.
//
// Why a separate build: a DeviceScript image's function bytecode must stay under 64 KB, and the
// MQTT firmware (devs/main.ts) plus the CoAP endpoint does not fit (docs/bytecode-size.md has the
// numbers). The board has one socket, so COAP_BINDING=tcp means no MQTT anyway; this build is
// that configuration, with the same application, settings and JSON-RPC methods.
import * as ds from "@devicescript/core"
import { Config } from "../src/config/config"
import { DeviceCore } from "../src/firmware/app"
import { BoardHardware } from "../src/firmware/hardware"
import { DsSettingsStore } from "./settings-store"
import { dsClock } from "./clock"
import { startUp } from "./start-up"
import { FIRMWARE_NAME, version } from "../src/firmware/version"
import { appDeviceModel } from "../src/firmware/device-model"
import { startCoapOverTcp } from "./coap-over-tcp"
import { CoapEndpoint, watchDevice } from "./coap-binding"

function log(line: string): void {
    console.log(line)
}

export async function runCoapFirmware(hw: BoardHardware): Promise<void> {
    log(FIRMWARE_NAME + " " + version.text + " (CoAP over TCP) on " + hw.board + " (" + hw.model + ")")
    const config = new Config(new DsSettingsStore(), log)
    await config.load()
    const app = new DeviceCore({
        hw: hw,
        config: config,
        clock: dsClock,
        log: log,
        hardwareId: ds.deviceIdentifier("self"),
        restarter: {
            restartSoon: (ms: number) => {
                log("sys.restart in " + ms + " ms")
                setTimeout(() => {
                    ds.restart()
                }, ms)
            },
        },
    })
    const model = appDeviceModel(app, log)
    await model.refresh()
    const binding = config.get("COAP_BINDING") as string
    let ep: CoapEndpoint = undefined
    if (binding === "off") log("coap: COAP_BINDING=off, not serving")
    else {
        if (binding !== "tcp") log("coap: this build serves CoAP over TCP only (COAP_BINDING=" + binding + " is taken as tcp)")
        const url = config.get("COAP_URL") as string
        // like MQTT_URL (src/firmware/app.ts): refused with a reason instead of a 30 s connect timeout
        if (!hw.tls && url.startsWith("coaps"))
            log("coap: COAP_URL is " + url + " but the " + hw.board + " runtime has no TLS: use coap+tcp://")
        else ep = startCoapOverTcp(url, app.deviceId, model, {}, log)
    }
    startUp.done = true
    watchDevice(model, ep, log)
}
