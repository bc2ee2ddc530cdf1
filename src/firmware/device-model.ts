// The firmware's DeviceModel (src/coap/server/device-resources.ts): the CoAP resources read the same
// sensors, LED, settings and JSON-RPC method table (src/firmware/methods.ts) that the MQTT side
// uses, so /rpc answers exactly what <prefix>/<id>/rx answers. The boards (devs/coap-*.ts) and the
// host-side simulated boards (src/host/sim-device.ts) use it alike. Changes a PUT asks for run in
// the background with DeviceScript's Function.start (a fiber); on Node, src/host/function-start.ts
// supplies it.
import { DeviceModel, SensorReading } from "../coap/server/device-resources"
import { DeviceCore } from "./app"
import { findSetting } from "../config/schema"
import { checkSetting } from "../config/validate"
import { jsonString, toJson } from "../util/json"
import { pow10 } from "../util/decimal"
import { FIRMWARE_NAME, FIRMWARE_VERSION } from "./version"
import { actuatorText, checkValue, findActuator, setActuator, valueFromText } from "./control"
import { Actuator } from "./hardware"

/** The DeviceModel plus refresh(), which the board's sampling loop calls (devs/coap-binding.ts). */
export interface AppDeviceModel extends DeviceModel {
    /** Reads every sensor; returns true when a value changed (then observers should be notified). */
    refresh(): Promise<boolean>
}

/**
 * The model of `app`. An object literal of function expressions (DeviceScript rejects method
 * shorthand in object literals), not a class: no constructor and no prototype entries in the image.
 */
export function appDeviceModel(app: DeviceCore, log: (line: string) => void): AppDeviceModel {
    /** The last readings (refresh() keeps them current); CoAP GETs never wait for a sensor. */
    let readings: SensorReading[] = []
    return {
        refresh: async function (): Promise<boolean> {
            const rs = await app.readSensors()
            const next: SensorReading[] = []
            let changed = rs.length !== readings.length
            for (let i = 0; i < rs.length; i++) {
                const r = rs[i]
                const value = r.scaled / pow10(r.decimals)
                next.push({ name: r.key, unit: senmlUnit(app, r.key), value: value, decimals: r.decimals })
                const old = readings[i]
                if (!old || old.name !== r.key || old.value !== value) changed = true
            }
            readings = next
            return changed
        },

        info: function (): Record<string, any> {
            const hw = app.deps.hw
            return {
                id: app.deviceId,
                board: hw.board,
                model: hw.model,
                firmware: FIRMWARE_NAME,
                version: FIRMWARE_VERSION,
                uptime_ms: app.uptimeMs(),
            }
        },

        readSensors: function (): SensorReading[] {
            return readings
        },

        getLed: function (): boolean {
            const led = app.deps.hw.led
            return led ? led.get() : false
        },

        setLed: function (on: boolean): void {
            const led = app.deps.hw.led
            if (led) setLedLater.start(led, on, log)
        },

        getConfig: function (): string {
            return toJson(app.deps.config.snapshot())
        },

        /**
         * Checks every key with the same rules as config.set (src/config/validate.ts) so a bad PUT
         * gets its 4.00 with the reason; the accepted change is then saved in the background (flash
         * writes are async, the DeviceModel interface is not).
         */
        setConfig: function (json: string): string | undefined {
            let o: any
            try {
                o = JSON.parse(json)
            } catch (e) {
                return "not JSON"
            }
            if (o === null || typeof o !== "object" || Array.isArray(o)) return "expected a JSON object of settings"
            for (const k of Object.keys(o)) {
                const d = findSetting(k)
                if (!d) return "unknown setting " + jsonString(k)
                if (o[k] !== null) {
                    const c = checkSetting(d, o[k])
                    if (c.error !== undefined) return k + " " + c.error
                }
            }
            saveLater.start(app, o, log)
            return undefined
        },

        rpc: async function (requestJson: string): Promise<string | undefined> {
            // the reply's parts joined (the CoAP response is one block; in place, not handleToText: one function fewer in the image)
            const parts = await app.dispatcher.handle(requestJson)
            return parts && parts.join("")
        },

        /** The actuators but the LED (which has its own resource): not observable, ct 0. */
        actuatorLinks: function (): string {
            const out: string[] = []
            for (const a of app.actuators) if (a.key !== "led") out.push("</actuators/" + a.key + '>;rt="' + a.key + '";if="core.a";ct=0')
            return out.join(",")
        },

        actuatorText: function (key: string): string | undefined {
            const a = findActuator(app, key)
            return a ? actuatorText(a) : undefined
        },

        /** Checked at once, so a bad PUT gets its 4.00 with the reason; set in the background. */
        setActuator: function (key: string, text: string): string | undefined {
            // the endpoint calls this only for a key actuatorText() found (src/coap/server/board-coap.ts)
            const a = findActuator(app, key) as Actuator
            const v = valueFromText(a, text)
            if (v === undefined) return a.kind === "number" ? "expected a number" : 'expected "on", "off" or "toggle"'
            const why = checkValue(a, v)
            if (why === undefined) setActuatorLater.start(a, v, log)
            return why
        },
    }
}

async function setActuatorLater(a: Actuator, v: boolean | number, log: (line: string) => void): Promise<void> {
    try {
        await setActuator(a, v)
    } catch (e) {
        log("coap: " + a.key + ": " + (e as Error).message)
    }
}

/** The SenML unit (RFC 8428 12.1) of the sensor `key`: Home Assistant's °C and % are Cel and %RH. */
function senmlUnit(app: DeviceCore, key: string): string {
    for (const s of app.deps.hw.sensors) if (s.key === key) return s.unit === "°C" ? "Cel" : s.unit === "%" ? "%RH" : s.unit
    return ""
}

async function setLedLater(led: { set(on: boolean): Promise<void> }, on: boolean, log: (line: string) => void): Promise<void> {
    try {
        await led.set(on)
    } catch (e) {
        log("coap: LED error: " + (e as Error).message)
    }
}

async function saveLater(app: DeviceCore, changes: Record<string, any>, log: (line: string) => void): Promise<void> {
    try {
        const r = await app.deps.config.set(changes)
        if (typeof r === "string") log("coap: config not saved: " + r)
    } catch (e) {
        log("coap: config not saved: " + (e as Error).message)
    }
}
