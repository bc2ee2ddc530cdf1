// The board's CoAP endpoint (both firmwares): one small class that reads a request frame from
// <prefix>/<id>/coap/req, answers it from the DeviceModel, and publishes the answer on
// <prefix>/<id>/coap/res (RFC 8323 3.2 framing, one message per publish, ../transport/mqtt-binding). On the
// coap+tcp binding ./board-tcp-link feeds it the head-end's requests and writes its frames to the
// connection (serveBoardCoapOverTcp).
//
// Why so little: every client reaches the board through the gateway, which is a CoAP proxy, and
// the link between them is reliable (MQTT QoS 1). So the gateway does the proxy's share
// (src/host/gateway/forward.ts; docs/coap-gateway.md "What the board answers"):
//   - RFC 7252 5.10.4 Accept: the board answers ONE representation per resource (sensors: a SenML
//     JSON pack with exact decimals; the LED: text) and ignores Accept; the gateway makes
//     text/plain, JSON, SenML JSON/CBOR from it, answers 4.06 for the rest, and turns a JSON LED
//     PUT ({"on":true}) into text;
//   - RFC 7959 block-wise towards clients, RFC 7252 5.10.6 ETag validation, option validation,
//     /.well-known/core query filtering;
//   - RFC 7641 5: the gateway holds ONE observation per (board, resource) and fans notifications
//     out, so the board keeps one observer token per resource (a new registration replaces it).
// The full RFC 7252/7641/7959 server (./endpoint) is what the Node UDP endpoint and the gateway's
// front use. A request here carrying any other critical option (Block1/2, If-Match,
// Proxy-Uri...) is 4.02 (RFC 7252 5.4.1); the gateway never sends one.
//
// Every class method costs board bytecode (DeviceScript links all methods of a used class), so the
// protocol work is in plain functions and the class keeps only the state.

import type { DeviceModel, DeviceResourceOptions, SensorReading } from "./device-resources"
import { formatFixed } from "../../util/decimal"
import { jsonString, toJson } from "../../util/json"

export type MqttPublish = (topic: string, payload: Buffer) => void

/** What the board reads of a request (RFC 8323 3.2 frame). */
interface BoardRequest {
    code: number
    token: Buffer
    /** "/a/b" from Uri-Path. */
    path: string
    contentFormat?: number
    observe?: number
    /** Empty when the frame has none. */
    payload: Buffer
    /** An unrecognised critical option was present (RFC 7252 5.4.1). */
    badOption?: boolean
}

/** What a route answers. */
interface BoardAnswer {
    code: number
    contentFormat?: number
    payload?: string
    maxAge?: number
    etag?: number
}

// CoAP codes and numbers the board uses (RFC 7252 12.1, 12.2, 12.3)
const CONTENT = 69 // 2.05
const CHANGED = 68 // 2.04
const BAD_REQUEST = 128 // 4.00
const BAD_OPTION = 130 // 4.02
const NOT_FOUND = 132 // 4.04
const METHOD_NOT_ALLOWED = 133 // 4.05
const UNSUPPORTED_FORMAT = 143 // 4.15
const SERVER_ERROR = 160 // 5.00
const GET = 1
const POST = 2
const PUT = 3
const TEXT = 0
const LINK_FORMAT = 40
const JSON_FORMAT = 50
const SENML_JSON = 110

/** One observer token per observable resource path (the gateway is the only observer). */
export class BoardCoap {
    /** path -> token of the gateway's observation. */
    observers: Record<string, Buffer>
    seq: number
    reqTopic: string
    resTopic: string
    model: DeviceModel
    publish: MqttPublish
    maxAge: number
    baseName: string

    constructor(prefix: string, deviceId: string, model: DeviceModel, publish: MqttPublish, opts: DeviceResourceOptions) {
        this.observers = {}
        this.seq = 2
        this.reqTopic = prefix + "/" + deviceId + "/coap/req"
        this.resTopic = prefix + "/" + deviceId + "/coap/res"
        this.model = model
        this.publish = publish
        this.maxAge = opts.sensorMaxAge ?? 60
        this.baseName = opts.baseName ?? "urn:dev:id:" + deviceId + ":"
    }
}

/**
 * Feed every MQTT message; true when it was on the request topic. A malformed frame or a
 * non-request is dropped (there is no connection to abort on this binding).
 */
export function boardCoapMessage(b: BoardCoap, topic: string, payload: Buffer): boolean {
    if (topic !== b.reqTopic) return false
    const req = readFrame(payload)
    if (req === undefined || req.code < 1 || req.code > 31) return true
    if (req.path === "/rpc" && req.code === POST && !req.badOption && formatOk(req, JSON_FORMAT, JSON_FORMAT)) {
        const run: (b: BoardCoap, req: BoardRequest) => void = answerRpc
        run(b, req)
        return true
    }
    const a = route(b, req)
    let observe = -1
    if (req.code === GET && a.code === CONTENT && req.observe !== undefined && observable(req.path)) {
        if (req.observe === 0) {
            b.observers[req.path] = req.token
            observe = nextSeq(b)
        } else delete b.observers[req.path]
    }
    send(b, req.token, a, observe)
    return true
}

/** Observers of paths starting with `prefix` get the current state (RFC 7641 4.2). */
export function boardCoapChanged(b: BoardCoap, prefix: string): void {
    for (const path of Object.keys(b.observers)) {
        if (!path.startsWith(prefix)) continue
        const token = b.observers[path]
        // a GET reads no payload, so this request needs none
        const a = route(b, { code: GET, token: token, path: path } as BoardRequest)
        // a non-2.05 notification ends the observation (RFC 7641 3.2), as does a failed publish
        if (a.code !== CONTENT || !send(b, token, a, nextSeq(b))) delete b.observers[path]
    }
}

/** The board's resources as RFC 6690 link-format (what an RFC 9176 registration carries). */
export function boardCoapLinks(b: BoardCoap): string {
    return links(b.model)
}

/**
 * The RD endpoint type (et=, RFC 9176) a board with this endpoint registers with on the coap+tcp
 * binding: it tells the gateway that the board answers one representation per resource and keeps
 * one observer per resource (on the MQTT binding every board is such a board).
 */
export const BOARD_COAP_ENDPOINT_TYPE = "devs-link.one-representation"

/** The request topic the board subscribes to (QoS 1). */
export function boardCoapTopic(b: BoardCoap): string {
    return b.reqTopic
}

function nextSeq(b: BoardCoap): number {
    b.seq = (b.seq + 1) & 0xffffff
    return b.seq
}

function observable(path: string): boolean {
    return path.startsWith("/sensors") || path === "/actuators/led"
}

/** RFC 7252 5.10.3: a body is in `a` or `b`, or has no Content-Format. */
function formatOk(req: BoardRequest, a: number, b: number): boolean {
    const cf = req.contentFormat
    return cf === undefined || cf === a || cf === b
}

function ans(code: number, contentFormat?: number, payload?: string): BoardAnswer {
    return { code: code, contentFormat: contentFormat, payload: payload }
}

/** The answer to one request (everything but /rpc, which is async). */
function route(b: BoardCoap, req: BoardRequest): BoardAnswer {
    if (req.badOption) return ans(BAD_OPTION)
    const model = b.model
    const path = req.path
    const get = req.code === GET
    const put = req.code === PUT
    if (path === "/.well-known/core") {
        if (get) return ans(CONTENT, LINK_FORMAT, links(model))
        return ans(METHOD_NOT_ALLOWED)
    }
    const every = path === "/sensors"
    if (every || path.startsWith("/sensors/")) {
        const picked: SensorReading[] = []
        for (const r of model.readSensors()) if (every || path === "/sensors/" + r.name) picked.push(r)
        if (picked.length === 0 && !every) return ans(NOT_FOUND)
        if (!get) return ans(METHOD_NOT_ALLOWED)
        return { code: CONTENT, contentFormat: SENML_JSON, payload: senmlPack(picked, b.baseName), maxAge: b.maxAge }
    }
    if (path === "/actuators/led") {
        const on = model.getLed()
        if (get) return { code: CONTENT, contentFormat: TEXT, payload: on ? "on" : "off", etag: on ? 1 : 0 }
        if (!put) return ans(METHOD_NOT_ALLOWED)
        if (!formatOk(req, TEXT, JSON_FORMAT)) return ans(UNSUPPORTED_FORMAT)
        // the gateway turns a JSON {"on":bool} into text; JSON that reaches the board was not that
        let want: boolean | undefined
        if (req.contentFormat !== JSON_FORMAT) want = parseLed(req.payload.toString("utf-8").trim().toLowerCase(), on)
        if (want === undefined) return ans(BAD_REQUEST, TEXT, 'expected "on", "off", "toggle" or {"on":true}')
        model.setLed(want)
        return ans(CHANGED)
    }
    // the other actuators (src/firmware/device-model.ts): text state, PUT text; the gateway turns JSON {"on":bool} into text
    if (path.startsWith("/actuators/") && model.actuatorText) {
        const key = path.slice(11)
        const cur = model.actuatorText(key)
        if (cur === undefined) return ans(NOT_FOUND)
        if (get) {
            if (cur === "") return ans(METHOD_NOT_ALLOWED)
            return ans(CONTENT, TEXT, cur)
        }
        if (!put) return ans(METHOD_NOT_ALLOWED)
        if (!formatOk(req, TEXT, TEXT)) return ans(UNSUPPORTED_FORMAT)
        // a model that has actuatorText() has setActuator() too (DeviceModel)
        const why = (model as Required<DeviceModel>).setActuator(key, req.payload.toString("utf-8"))
        if (why === undefined) return ans(CHANGED)
        return ans(BAD_REQUEST, TEXT, why)
    }
    if (path === "/device") {
        if (get) return ans(CONTENT, JSON_FORMAT, toJson(model.info()))
        return ans(METHOD_NOT_ALLOWED)
    }
    if (path === "/config") {
        if (get) return ans(CONTENT, JSON_FORMAT, model.getConfig())
        if (!put) return ans(METHOD_NOT_ALLOWED)
        if (!formatOk(req, JSON_FORMAT, JSON_FORMAT)) return ans(UNSUPPORTED_FORMAT)
        const why = model.setConfig(req.payload.toString("utf-8"))
        if (why === undefined) return ans(CHANGED)
        return ans(BAD_REQUEST, TEXT, why)
    }
    if (path === "/rpc") {
        if (req.code === POST) return ans(UNSUPPORTED_FORMAT)
        return ans(METHOD_NOT_ALLOWED)
    }
    return ans(NOT_FOUND)
}

/** POST /rpc: one JSON-RPC request -> 2.05 with its response, or 2.04 for a notification. */
async function answerRpc(b: BoardCoap, req: BoardRequest): Promise<void> {
    let a: BoardAnswer
    try {
        const out = await b.model.rpc(req.payload.toString("utf-8"))
        a = ans(CHANGED)
        if (out !== undefined) a = ans(CONTENT, JSON_FORMAT, out)
    } catch (e) {
        a = ans(SERVER_ERROR)
    }
    send(b, req.token, a, -1)
}

/**
 * The canonical representation of readings: a SenML JSON pack (RFC 8428) whose values carry
 * exactly the sensor's decimals ("v":21.50), so the gateway can print text/plain and JSON with
 * the same digits the board would have.
 */
function senmlPack(readings: SensorReading[], baseName: string): string {
    const recs: string[] = []
    for (const r of readings) {
        let bn = ""
        if (recs.length === 0) bn = '"bn":' + jsonString(baseName) + ","
        recs.push("{" + bn + '"n":' + jsonString(r.name) + ',"u":' + jsonString(r.unit) + ',"v":' + formatFixed(r.value, r.decimals) + "}")
    }
    return "[" + recs.join(",") + "]"
}

/** RFC 6690 links of the firmware's resources (the gateway filters them for its clients). */
function links(model: DeviceModel): string {
    const out = ['</sensors>;rt="sensors";if="core.b";ct="110 112 50";obs']
    for (const r of model.readSensors()) out.push("</sensors/" + r.name + '>;rt="' + r.name + '";if="core.s";ct="0 50 110 112";obs')
    out.push(
        '</actuators/led>;rt="led";if="core.a";ct="0 50";obs,</device>;rt="device";if="core.rp";ct=50,</config>;rt="config";if="core.p";ct=50,</rpc>;rt="jsonrpc";ct=50'
    )
    if (model.actuatorLinks) {
        const more = model.actuatorLinks()
        if (more) out.push(more)
    }
    return out.join(",")
}

/** "on"/"off"/"1"/"0"/"true"/"false"/"toggle"; undefined when not understood. */
export function parseLed(s: string, current: boolean): boolean | undefined {
    const i = ["off", "0", "false", "on", "1", "true", "toggle"].indexOf(s)
    if (i < 0) return undefined
    if (i === 6) return !current
    return i > 2
}

// ---- RFC 8323 3.2 frames: Len|TKL, extended length, code, token, options, 0xFF, payload ----

/** Bytes of a frame being read; module state, so the readers need no object. */
// readFrame() sets it before any reader runs, so no reader sees the undefined
let buf = undefined as unknown as Buffer
let pos = 0

/** A 4-bit length or delta with its extension (RFC 8323 3.2, RFC 7252 3.1); -1 when reserved. */
function readExt(n: number, width15: number): number {
    if (n < 13) return n
    if (n === 13) return buf[pos++] + 13
    if (n === 14) {
        pos += 2
        return ((buf[pos - 2] << 8) | buf[pos - 1]) + 269
    }
    if (width15 === 0) return -1
    pos += 4
    return ((buf[pos - 4] << 24) | (buf[pos - 3] << 16) | (buf[pos - 2] << 8) | buf[pos - 1]) + 65805
}

function uintOf(v: Buffer): number {
    let n = 0
    for (let i = 0; i < v.length; i++) n = n * 256 + v[i]
    return n
}

/** Decodes one frame that fills `b` exactly; undefined when malformed. */
function readFrame(b: Buffer): BoardRequest | undefined {
    buf = b
    pos = 1
    if (b.length < 2) return undefined
    const tkl = b[0] & 15
    const len = readExt(b[0] >> 4, 1)
    if (tkl > 8 || pos + 1 + tkl + len !== b.length) return undefined
    const req: BoardRequest = { code: b[pos], token: b.slice(pos + 1, pos + 1 + tkl), path: "", payload: Buffer.alloc(0) }
    pos += 1 + tkl
    let num = 0
    while (pos < b.length) {
        const head = b[pos++]
        if (head === 0xff) {
            if (pos === b.length) return undefined
            req.payload = b.slice(pos, b.length)
            break
        }
        const delta = readExt(head >> 4, 0)
        const n = readExt(head & 15, 0)
        if (delta < 0 || n < 0 || pos + n > b.length) return undefined
        num += delta
        const v = b.slice(pos, pos + n)
        pos += n
        if (num === 11) req.path += "/" + v.toString("utf-8")
        else if (num === 12) req.contentFormat = uintOf(v)
        else if (num === 6) req.observe = uintOf(v)
        // Uri-Host 3, Uri-Port 7, Uri-Query 15, Accept 17: recognised; the resources take none of them
        // (the gateway makes the format a client accepts from the one the board answers). Any other
        // odd number is an unrecognised critical option. 0x28088 has bits 3, 7, 15 and 17 (a literal:
        // a module constant costs the board code in main; num > 17 first, as >> takes the count mod 32).
        else if ((num & 1) === 1 && (num > 17 || ((0x28088 >> num) & 1) === 0)) req.badOption = true
    }
    if (req.path === "") req.path = "/"
    return req
}

/** Appends option `num` (after option `last`, both below 13 apart) with an unsigned value; returns num. */
function putUint(opts: number[], last: number, num: number, v: number): number {
    // RFC 7252 3.2: the fewest bytes, 0 is empty; the values here stay below 2^24
    let n = 3
    if (v < 0x10000) n = 2
    if (v < 0x100) n = 1
    if (v === 0) n = 0
    opts.push(((num - last) << 4) | n)
    for (let i = n - 1; i >= 0; i--) opts.push((v >> (8 * i)) & 0xff)
    return num
}

/**
 * Publishes one response (observe >= 0: a notification or registration answer) with the request's
 * token. Options in number order: ETag 4 (one byte, the LED's state), Observe 6, Content-Format
 * 12, Max-Age 14. False when the publish threw (outbox full, client ended).
 */
function send(b: BoardCoap, token: Buffer, a: BoardAnswer, observe: number): boolean {
    const opts: number[] = []
    let last = 0
    if (a.etag !== undefined) {
        opts.push(0x41, a.etag)
        last = 4
    }
    if (observe >= 0) last = putUint(opts, last, 6, observe)
    if (a.contentFormat !== undefined) last = putUint(opts, last, 12, a.contentFormat)
    if (a.maxAge !== undefined) putUint(opts, last, 14, a.maxAge)
    let body = Buffer.alloc(0)
    if (a.payload !== undefined) body = Buffer.from(a.payload)
    if (body.length > 0) opts.push(0xff)
    // RFC 8323 3.2: Len nibble, extended length (13: 1 byte, 14: 2 bytes, 15: 4 bytes), code, token
    const len = opts.length + body.length
    const tkl = token.length
    let nibble = len
    let base = 0
    let width = 0
    if (len >= 13) {
        nibble = 13
        base = 13
        width = 1
    }
    if (len >= 269) {
        nibble = 14
        base = 269
        width = 2
    }
    if (len >= 65805) {
        nibble = 15
        base = 65805
        width = 4
    }
    const head = [(nibble << 4) | tkl]
    for (let i = width - 1; i >= 0; i--) head.push(((len - base) >> (8 * i)) & 0xff)
    head.push(a.code)
    const out = Buffer.alloc(head.length + tkl + len)
    out.set(Buffer.from(head), 0)
    out.set(token, head.length)
    out.set(Buffer.from(opts), head.length + tkl)
    out.set(body, out.length - body.length)
    try {
        b.publish(b.resTopic, out)
        return true
    } catch (e) {
        return false
    }
}
