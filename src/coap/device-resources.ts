// The firmware's CoAP resources, built on a small DeviceModel so the same set serves the board
// (backed by the JSON-RPC dispatcher and real sensors) and the host (src/host/sim-device.ts).
//
//   /sensors                 GET all readings (SenML JSON/CBOR, JSON), observable
//   /sensors/<quantity>      GET one reading: text/plain, JSON, SenML JSON, SenML CBOR; observable
//   /actuators/led           GET / PUT "on" | "off" | "toggle" (text) or {"on":true} (JSON); observable
//   /device                  GET device info (JSON)
//   /config                  GET / PUT the configuration (JSON), validated by the model
//   /rpc                     POST one JSON-RPC 2.0 request, answered with its response (JSON)

import { CoapCode, ContentFormat } from "./message"
import { CoapRequest, Reply, Resource } from "./resources"
import { SenmlRecord, senmlToCbor, senmlToJson } from "./senml"
import { jsonString } from "../util/json"
import { formatNumber, formatScaled } from "../util/decimal"
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
    setConfig(json: string): string
    /** One JSON-RPC 2.0 request text -> its response text, or undefined for a notification. */
    rpc(requestJson: string): Promise<string>
}

export interface DeviceResourceOptions {
    /** Max-Age (s) of sensor readings; also a hint for observers. Default 60. */
    sensorMaxAge?: number
    /** SenML base name, e.g. "urn:dev:id:12ab...:"; from info().id when absent. */
    baseName?: string
}

const SENSOR_FORMATS = [ContentFormat.TextPlain, ContentFormat.Json, ContentFormat.SenmlJson, ContentFormat.SenmlCbor]
const PACK_FORMATS = [ContentFormat.SenmlJson, ContentFormat.SenmlCbor, ContentFormat.Json]

function pow10(d: number): number {
    let p = 1
    for (let i = 0; i < d; i++) p *= 10
    return p
}

/** The reading rounded to its decimals, so SenML prints no float noise (21.53, not 21.530000001). */
function rounded(r: SensorReading): number {
    const p = pow10(r.decimals)
    return Math.floor(r.value * p + (r.value < 0 ? -0.5 : 0.5)) / p
}

function fixed(r: SensorReading): string {
    return formatScaled(r.value * pow10(r.decimals), r.decimals)
}

function textBody(s: string): Buffer {
    return Buffer.from(s)
}

/** A flat JSON object from a record of strings/numbers/booleans, exact on the board. */
export function jsonObject(o: Record<string, any>): string {
    const parts: string[] = []
    for (const k of Object.keys(o)) {
        const v = o[k]
        let t: string
        if (typeof v === "number") t = formatNumber(v)
        else if (typeof v === "boolean") t = v ? "true" : "false"
        else if (v === null || v === undefined) t = "null"
        else t = jsonString("" + v)
        parts.push(jsonString(k) + ":" + t)
    }
    return "{" + parts.join(",") + "}"
}

function senmlRecords(readings: SensorReading[], baseName: string): SenmlRecord[] {
    const recs: SenmlRecord[] = []
    for (const r of readings) {
        const rec: SenmlRecord = { n: r.name, u: r.unit, v: rounded(r) }
        if (recs.length === 0 && baseName !== undefined) rec.bn = baseName
        recs.push(rec)
    }
    return recs
}

/** Answers one representation of `readings` in `format` (already negotiated by the endpoint). */
function replyReadings(readings: SensorReading[], format: number, baseName: string, single: boolean, reply: Reply): void {
    let payload: Buffer
    if (format === ContentFormat.SenmlCbor) {
        payload = senmlToCbor(senmlRecords(readings, baseName))
    } else if (format === ContentFormat.SenmlJson) {
        payload = textBody(senmlToJson(senmlRecords(readings, baseName)))
    } else if (format === ContentFormat.Json) {
        const parts: string[] = []
        if (single) {
            const r = readings[0]
            parts.push('"' + "value" + '":' + fixed(r))
            parts.push('"unit":' + jsonString(r.unit))
        } else {
            for (const r of readings) parts.push(jsonString(r.name) + ":" + fixed(r))
        }
        payload = textBody("{" + parts.join(",") + "}")
    } else {
        payload = textBody(fixed(readings[0]))
    }
    reply({ code: CoapCode.Content, contentFormat: format, payload: payload })
}

function findReading(model: DeviceModel, name: string): SensorReading {
    for (const r of model.readSensors()) if (r.name === name) return r
    return undefined
}

/** "on"/"off"/"1"/"0"/"true"/"false"/"toggle", or JSON {"on":bool}; undefined when not understood. */
function parseLed(req: CoapRequest, current: boolean): boolean {
    const s = req.payload.toString("utf-8").trim().toLowerCase()
    if (req.contentFormat === ContentFormat.Json) {
        try {
            const o = JSON.parse(s)
            if (o !== null && typeof o === "object" && typeof o["on"] === "boolean") return o["on"]
        } catch (e) {}
        return undefined
    }
    if (s === "on" || s === "1" || s === "true") return true
    if (s === "off" || s === "0" || s === "false") return false
    if (s === "toggle") return !current
    return undefined
}

function badRequest(reply: Reply, why: string): void {
    reply({ code: CoapCode.BadRequest, contentFormat: ContentFormat.TextPlain, payload: Buffer.from(why) })
}

/** A short ETag from text (FNV-1a 32-bit), so If-Match works on /config. */
function textEtag(s: string): Buffer {
    let h = 0x811c9dc5
    for (let i = 0; i < s.length; i++) {
        h = h ^ s.charCodeAt(i)
        h = Math.imul(h, 0x01000193) >>> 0
    }
    const b = Buffer.alloc(4)
    b[0] = (h >>> 24) & 0xff
    b[1] = (h >>> 16) & 0xff
    b[2] = (h >>> 8) & 0xff
    b[3] = h & 0xff
    return b
}

/** The resources for `model`. Call `sensorsChanged()` / `ledChanged()` to notify observers. */
export function deviceResources(model: DeviceModel, opts: DeviceResourceOptions): Resource[] {
    const maxAge = opts.sensorMaxAge !== undefined ? opts.sensorMaxAge : 60
    let baseName = opts.baseName
    if (baseName === undefined) {
        const id = model.info()["id"]
        if (id !== undefined) baseName = "urn:dev:id:" + id + ":"
    }
    const list: Resource[] = []
    list.push({
        path: "/sensors",
        rt: "sensors",
        iface: "core.b",
        formats: PACK_FORMATS,
        observable: true,
        maxAge: maxAge,
        get: (req: CoapRequest, reply: Reply) => replyReadings(model.readSensors(), req.format, baseName, false, reply),
    })
    for (const r of model.readSensors()) addSensor(list, model, r.name, baseName, maxAge)
    list.push({
        path: "/actuators/led",
        rt: "led",
        iface: "core.a",
        formats: [ContentFormat.TextPlain, ContentFormat.Json],
        accepts: [ContentFormat.TextPlain, ContentFormat.Json],
        observable: true,
        etag: () => Buffer.from([model.getLed() ? 1 : 0]),
        get: (req: CoapRequest, reply: Reply) => {
            const on = model.getLed()
            const body = req.format === ContentFormat.Json ? '{"on":' + (on ? "true" : "false") + "}" : on ? "on" : "off"
            reply({ code: CoapCode.Content, contentFormat: req.format, payload: Buffer.from(body) })
        },
        put: (req: CoapRequest, reply: Reply) => {
            const on = parseLed(req, model.getLed())
            if (on === undefined) return badRequest(reply, 'expected "on", "off", "toggle" or {"on":true}')
            model.setLed(on)
            reply({ code: CoapCode.Changed })
        },
    })
    list.push({
        path: "/device",
        rt: "device",
        iface: "core.rp",
        formats: [ContentFormat.Json],
        get: (req: CoapRequest, reply: Reply) =>
            reply({ code: CoapCode.Content, contentFormat: ContentFormat.Json, payload: Buffer.from(jsonObject(model.info())) }),
    })
    list.push({
        path: "/config",
        rt: "config",
        iface: "core.p",
        formats: [ContentFormat.Json],
        accepts: [ContentFormat.Json],
        etag: () => textEtag(model.getConfig()),
        get: (req: CoapRequest, reply: Reply) =>
            reply({ code: CoapCode.Content, contentFormat: ContentFormat.Json, payload: Buffer.from(model.getConfig()) }),
        put: (req: CoapRequest, reply: Reply) => {
            const why = model.setConfig(req.payload.toString("utf-8"))
            if (why !== undefined) return badRequest(reply, why)
            reply({ code: CoapCode.Changed })
        },
    })
    list.push({
        path: "/rpc",
        rt: "jsonrpc",
        formats: [ContentFormat.Json],
        accepts: [ContentFormat.Json],
        post: async (req: CoapRequest, reply: Reply) => {
            let out: string = undefined
            try {
                out = await model.rpc(req.payload.toString("utf-8"))
            } catch (e) {
                reply({ code: CoapCode.InternalServerError })
                return
            }
            // a JSON-RPC notification has no response: 2.04 with no body
            if (out === undefined) reply({ code: CoapCode.Changed })
            else reply({ code: CoapCode.Content, contentFormat: ContentFormat.Json, payload: Buffer.from(out) })
        },
    })
    return list
}

function addSensor(list: Resource[], model: DeviceModel, name: string, baseName: string, maxAge: number): void {
    list.push({
        path: "/sensors/" + name,
        rt: name,
        iface: "core.s",
        formats: SENSOR_FORMATS,
        observable: true,
        maxAge: maxAge,
        get: (req: CoapRequest, reply: Reply) => {
            const r = findReading(model, name)
            if (r === undefined) reply({ code: CoapCode.NotFound })
            else replyReadings([r], req.format, baseName, true, reply)
        },
    })
}

/** Adds the device resources to a server; returns functions that notify their observers. */
export function installDeviceResources(
    server: CoapServerCore,
    model: DeviceModel,
    opts: DeviceResourceOptions
): { sensorsChanged: () => void; ledChanged: () => void } {
    for (const r of deviceResources(model, opts)) server.add(r)
    return {
        sensorsChanged: () => {
            server.changed("/sensors")
            for (const r of model.readSensors()) server.changed("/sensors/" + r.name)
        },
        ledChanged: () => server.changed("/actuators/led"),
    }
}
