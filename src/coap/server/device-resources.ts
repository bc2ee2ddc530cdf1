// The firmware's CoAP resources, built on a small DeviceModel so the same set serves the board
// (src/firmware/device-model.ts: the JSON-RPC dispatcher and real sensors) and the host (src/host/sim-device.ts).
//
//   /sensors                 GET all readings (SenML JSON/CBOR, JSON), observable
//   /sensors/<quantity>      GET one reading: text/plain, JSON, SenML JSON, SenML CBOR; observable
//   /actuators/led           GET / PUT "on" | "off" | "toggle" (text) or {"on":true} (JSON); observable
//   /device                  GET device info (JSON)
//   /config                  GET / PUT the configuration (JSON), validated by the model
//   /rpc                     POST one JSON-RPC 2.0 request, answered with its response (JSON)

import { CoapCode, ContentFormat } from "../codec/message"
import { CoapRequest, Reply } from "./resources"
import { SenmlRecord, senmlToCbor, senmlToJson } from "../formats/senml"
import { jsonString, toJson } from "../../util/json"
import { formatFixed, pow10, toScaled } from "../../util/decimal"
import { putU32be } from "../../util/bytes"
import { CoapServerCore } from "./endpoint"

export interface SensorReading {
    /** Quantity, also the last path segment: "temperature". */
    name: string
    /** SenML unit (RFC 8428 12.1): "Cel", "%RH", "Pa". */
    unit: string
    value: number
    /** Digits after the decimal point the sensor really has; text and JSON show exactly these. */
    decimals: number
}

/** What the CoAP resources need from the firmware. */
export interface DeviceModel {
    /** Device facts for /device: id, board, firmware version, uptime... (strings, numbers, booleans). */
    info(): Record<string, any>
    /** Current readings, one per quantity; the set of quantities does not change at run time. */
    readSensors(): SensorReading[]
    getLed(): boolean
    setLed(on: boolean): void
    /** The configuration as a JSON object text. */
    getConfig(): string
    /** Applies a JSON object text; returns undefined when accepted, else the reason it was not. */
    setConfig(json: string): string | undefined
    /** One JSON-RPC 2.0 request text -> its response text, or undefined for a notification. */
    rpc(requestJson: string): Promise<string | undefined>
    /**
     * Actuators besides the LED (board firmware, src/coap/server/board-coap.ts): link-format entries for
     * them, the state of one as text ("on"/"off", a number; "" for a button; undefined: none such),
     * and a PUT's text applied (undefined when accepted, else why not).
     */
    actuatorLinks?(): string
    actuatorText?(key: string): string | undefined
    setActuator?(key: string, text: string): string | undefined
}

export interface DeviceResourceOptions {
    /** Max-Age (s) of sensor readings; also a hint for observers. Default 60. */
    sensorMaxAge?: number
    /** SenML base name, e.g. "urn:dev:id:12ab...:"; from info().id when absent. */
    baseName?: string
}

const SENSOR_FORMATS = [ContentFormat.TextPlain, ContentFormat.Json, ContentFormat.SenmlJson, ContentFormat.SenmlCbor]
const PACK_FORMATS = [ContentFormat.SenmlJson, ContentFormat.SenmlCbor, ContentFormat.Json]
const TEXT_OR_JSON = [ContentFormat.TextPlain, ContentFormat.Json]
const JSON_ONLY = [ContentFormat.Json]

/** Answers `code` with a text body in `format`. */
function replyText(reply: Reply, code: number, format: number, body: string): void {
    reply({ code: code, contentFormat: format, payload: Buffer.from(body) })
}

/** Answers one representation of `readings` in `format` (already negotiated by the endpoint). */
function replyReadings(readings: SensorReading[], format: number, baseName: string | undefined, single: boolean, reply: Reply): void {
    if (format === ContentFormat.SenmlCbor || format === ContentFormat.SenmlJson) {
        const recs: SenmlRecord[] = []
        for (const r of readings) {
            // rounded to the sensor's decimals, so SenML prints no float noise (21.53, not 21.530000001)
            const rec: SenmlRecord = { n: r.name, u: r.unit, v: toScaled(r.value, r.decimals) / pow10(r.decimals) }
            if (recs.length === 0 && baseName !== undefined) rec.bn = baseName
            recs.push(rec)
        }
        if (format === ContentFormat.SenmlCbor) reply({ code: CoapCode.Content, contentFormat: format, payload: senmlToCbor(recs) })
        else replyText(reply, CoapCode.Content, format, senmlToJson(recs))
        return
    }
    // text/plain is offered for one sensor only; /sensors with no readable sensor answers {}
    let body: string
    if (format === ContentFormat.Json) {
        const parts: string[] = []
        for (const r of readings) parts.push(jsonString(single ? "value" : r.name) + ":" + formatFixed(r.value, r.decimals))
        if (single) parts.push('"unit":' + jsonString(readings[0].unit))
        body = "{" + parts.join(",") + "}"
    } else body = formatFixed(readings[0].value, readings[0].decimals)
    replyText(reply, CoapCode.Content, format, body)
}

/** The LED words a PUT understands: three for off, three for on, then toggle. */
const LED_WORDS = ["off", "0", "false", "on", "1", "true", "toggle"]

/** "on"/"off"/"1"/"0"/"true"/"false"/"toggle", or JSON {"on":bool}; undefined when not understood. */
function parseLed(req: CoapRequest, current: boolean): boolean | undefined {
    const s = req.payload.toString("utf-8").trim().toLowerCase()
    if (req.contentFormat === ContentFormat.Json) {
        try {
            const o = JSON.parse(s)
            if (o !== null && typeof o === "object" && typeof o["on"] === "boolean") return o["on"]
        } catch (e) {}
        return undefined
    }
    const i = LED_WORDS.indexOf(s)
    return i < 0 ? undefined : i < 3 ? false : i < 6 ? true : !current
}

/** A short ETag from text (FNV-1a 32-bit), so If-Match works on /config. */
function textEtag(s: string): Buffer {
    let h = 0x811c9dc5
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0
    const b = Buffer.alloc(4)
    putU32be(b, 0, h)
    return b
}

/**
 * Adds the resources for `model` to a server; returns functions that notify their observers
 * (call `sensorsChanged()` / `ledChanged()` when the readings or the LED changed).
 */
export function installDeviceResources(
    server: CoapServerCore,
    model: DeviceModel,
    opts: DeviceResourceOptions
): { sensorsChanged: () => void; ledChanged: () => void } {
    const maxAge = opts.sensorMaxAge ?? 60
    let baseName = opts.baseName
    if (baseName === undefined) {
        const id = model.info()["id"]
        if (id !== undefined) baseName = "urn:dev:id:" + id + ":"
    }
    server.add({
        path: "/sensors",
        rt: "sensors",
        iface: "core.b",
        formats: PACK_FORMATS,
        observable: true,
        maxAge: maxAge,
        get: (req: CoapRequest, reply: Reply) => replyReadings(model.readSensors(), req.format, baseName, false, reply),
    })
    for (const r of model.readSensors()) addSensor(server, model, r.name, baseName, maxAge)
    server.add({
        path: "/actuators/led",
        rt: "led",
        iface: "core.a",
        formats: TEXT_OR_JSON,
        accepts: TEXT_OR_JSON,
        observable: true,
        etag: () => Buffer.from([model.getLed() ? 1 : 0]),
        get: (req: CoapRequest, reply: Reply) => {
            const on = model.getLed()
            replyText(reply, CoapCode.Content, req.format, req.format === ContentFormat.Json ? '{"on":' + on + "}" : on ? "on" : "off")
        },
        put: (req: CoapRequest, reply: Reply) => {
            const on = parseLed(req, model.getLed())
            if (on === undefined)
                return replyText(reply, CoapCode.BadRequest, ContentFormat.TextPlain, 'expected "on", "off", "toggle" or {"on":true}')
            model.setLed(on)
            reply({ code: CoapCode.Changed })
        },
    })
    server.add({
        path: "/device",
        rt: "device",
        iface: "core.rp",
        formats: JSON_ONLY,
        get: (req: CoapRequest, reply: Reply) => replyText(reply, CoapCode.Content, ContentFormat.Json, toJson(model.info())),
    })
    server.add({
        path: "/config",
        rt: "config",
        iface: "core.p",
        formats: JSON_ONLY,
        accepts: JSON_ONLY,
        etag: () => textEtag(model.getConfig()),
        get: (req: CoapRequest, reply: Reply) => replyText(reply, CoapCode.Content, ContentFormat.Json, model.getConfig()),
        put: (req: CoapRequest, reply: Reply) => {
            const why = model.setConfig(req.payload.toString("utf-8"))
            if (why !== undefined) return replyText(reply, CoapCode.BadRequest, ContentFormat.TextPlain, why)
            reply({ code: CoapCode.Changed })
        },
    })
    server.add({
        path: "/rpc",
        rt: "jsonrpc",
        formats: JSON_ONLY,
        accepts: JSON_ONLY,
        post: async (req: CoapRequest, reply: Reply) => {
            let out: string | undefined = undefined
            try {
                out = await model.rpc(req.payload.toString("utf-8"))
            } catch (e) {
                reply({ code: CoapCode.InternalServerError })
                return
            }
            // a JSON-RPC notification has no response: 2.04 with no body
            if (out === undefined) reply({ code: CoapCode.Changed })
            else replyText(reply, CoapCode.Content, ContentFormat.Json, out)
        },
    })
    return {
        sensorsChanged: () => {
            server.changed("/sensors")
            for (const r of model.readSensors()) server.changed("/sensors/" + r.name)
        },
        ledChanged: () => server.changed("/actuators/led"),
    }
}

function addSensor(server: CoapServerCore, model: DeviceModel, name: string, baseName: string | undefined, maxAge: number): void {
    server.add({
        path: "/sensors/" + name,
        rt: name,
        iface: "core.s",
        formats: SENSOR_FORMATS,
        observable: true,
        maxAge: maxAge,
        get: (req: CoapRequest, reply: Reply) => {
            for (const r of model.readSensors()) if (r.name === name) return replyReadings([r], req.format, baseName, true, reply)
            reply({ code: CoapCode.NotFound })
        },
    })
}
