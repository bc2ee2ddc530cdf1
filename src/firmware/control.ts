// Actuators under control (docs/extending.md, docs/firmware.md "Home Assistant"): the LED, the
// board's and the user's actuators (BoardHardware.actuators, filled by user/parts.ts) and the
// restart button, reached four ways that all end in the same set():
//   - Home Assistant publishes to <prefix>/<id>/set/<key>; the board turns that into an
//     actuator.set request and queues it with the JSON-RPC requests (same worker, same order,
//     same flow control), so a command never runs inside the MQTT receive path;
//   - JSON-RPC actuator.set / actuator.get (and led.set / led.get);
//   - CoAP GET/PUT /actuators/<key> (src/firmware/device-model.ts).
// After every change the board publishes the retained state on <prefix>/<id>/state/<key>:
// syncStates() runs after each request and on every sample tick, so a change made through CoAP
// or by the user's own code shows within a second.
// Free functions, not methods: every method of a class is linked into every board image.

import { invalidParams, RpcError } from "../rpc/errors"
import { jsonString, toJson } from "../util/json"
import { formatNumber } from "../util/decimal"
import { MessageBus, RETAINED } from "./bus"
import { Actuator } from "./hardware"
import { DiscoveryInput, discoveryPayload, entityDoc, entityTopic, readingDoc } from "./discovery"
import type { DeviceCore } from "./app"
import { parseLed } from "../coap/server/board-coap"

/** Error code for "the hardware could not do it" (as methods.ts). */
const HARDWARE_ERROR = -32000

/** The LED as a light, the board's and the user's actuators, and the restart button. */
export function appActuators(app: DeviceCore): Actuator[] {
    const hw = app.deps.hw
    const out: Actuator[] = []
    const led = hw.led
    if (led)
        out.push({
            key: "led",
            name: "LED",
            kind: "light",
            get: () => led.get(),
            set: async (v: boolean | number) => await led.set(v as boolean),
        })
    if (hw.actuators) for (const a of hw.actuators) out.push(a)
    out.push({
        key: "restart",
        name: "Restart",
        kind: "button",
        deviceClass: "restart",
        category: "config",
        set: async (v: boolean | number) => app.deps.restarter.restartSoon(500),
    })
    return out
}

export function findActuator(app: DeviceCore, key: string): Actuator | undefined {
    for (const a of app.actuators) if (a.key === key) return a
    return undefined
}

/** What is wrong with `v` for `a`, or undefined. */
export function checkValue(a: Actuator, v: any): string | undefined {
    if (a.kind === "number") {
        if (typeof v !== "number" || v - v !== 0) return "'value' of " + a.key + " must be a number"
        // a comparison with an absent (undefined) bound is false, in DeviceScript as in JavaScript
        if (v < (a.min as number) || v > (a.max as number)) return "'value' of " + a.key + " is out of range"
    } else if (a.kind !== "button" && typeof v !== "boolean") return "'value' of " + a.key + " must be true or false"
    return undefined
}

/** Sets `a` to `v` (checked first); the RPC error to answer when it cannot. */
export async function setActuator(a: Actuator, v: any): Promise<void> {
    const why = checkValue(a, v)
    if (why !== undefined) throw invalidParams(why)
    try {
        await a.set(v)
    } catch (e) {
        throw new RpcError(HARDWARE_ERROR, "Actuator error", (e as Error)?.message)
    }
}

/** actuator.set {key, value} -> {key: value}; actuator.get {key?} -> {key: value, ...}. */
export async function actuatorMethod(app: DeviceCore, name: string, p: Record<string, any>): Promise<any> {
    const key = p["key"] as string
    let one: Actuator | undefined
    if (key !== undefined) one = findActuator(app, key)
    if (key !== undefined && !one) throw invalidParams("unknown actuator " + key)
    // actuator.set requires its key (its params say so), so `one` was found
    if (name === "actuator.set") await setActuator(one as Actuator, p["value"])
    const r: Record<string, any> = {}
    for (const a of app.actuators) if (a.get && (!one || a === one)) r[a.key] = a.get()
    return r
}

/** The state as Home Assistant reads it: "ON"/"OFF", a number, or undefined (a button). */
export function stateText(a: Actuator): string | undefined {
    if (!a.get) return undefined
    const v = a.get()
    // (if rather than ?:, which costs a copy per level)
    if (typeof v !== "boolean") return formatNumber(v as number)
    if (v) return "ON"
    return "OFF"
}

/**
 * The request a command on <prefix>/<id>/set/<key> stands for: actuator.set with "ON"/"PRESS" as
 * true, "OFF" as false and a JSON number as itself; anything else is passed on as a string, which
 * actuator.set refuses with an error reply on tx (id "set/<key>"), so a bad command is visible.
 */
export function commandRequest(setPrefix: string, topic: string, payload: string): string {
    const key = topic.slice(setPrefix.length)
    const p = payload.trim()
    let v: string | undefined
    if (p === "ON" || p === "PRESS") v = "true"
    else if (p === "OFF") v = "false"
    if (v === undefined) {
        try {
            if (typeof JSON.parse(p) === "number") v = p
        } catch (e) {}
    }
    return (
        '{"jsonrpc":"2.0","method":"actuator.set","params":{"key":' +
        jsonString(key) +
        ',"value":' +
        (v ?? jsonString(p)) +
        '},"id":' +
        jsonString("set/" + key) +
        "}"
    )
}

/**
 * Publishes the retained state of every actuator whose state changed since it was last published
 * (all of them with `force`, after a connect). Never throws.
 */
export async function syncStates(app: DeviceCore, bus: MessageBus, states: Record<string, string>, force: boolean): Promise<void> {
    let key: string | undefined
    try {
        for (const a of app.actuators) {
            const s = stateText(a)
            if (s === undefined || (!force && states[a.key] === s)) continue
            // Noted before the wait for PUBACK: the sample tick and the next request sync too, and
            // over a slow link they came while this publish waited and published the change again.
            key = a.key
            states[key] = s
            await bus.publish(app.topics.state + key, s, RETAINED)
            key = undefined
        }
    } catch (e) {
        // offline, outbox full, or a get() that threw: the next call tries again (also the state
        // whose publish failed: it is no longer noted as published)
        if (key !== undefined) delete states[key]
    }
}

/**
 * Diagnostic entities, read from the status document (src/firmware/status.ts). JSON text, parsed
 * when used: an object table in TypeScript would be built by bytecode on the board. "rssi" is last
 * and left out where the runtime reports no signal strength.
 */
const DIAGNOSTICS =
    "[" +
    '["uptime","Uptime","{{ value_json.uptime_ms // 1000 }}",",\\"device_class\\":\\"duration\\",\\"unit_of_measurement\\":\\"s\\""],' +
    '["reconnects","Reconnects","{{ value_json.reconnects }}",",\\"state_class\\":\\"total_increasing\\""],' +
    '["version","Firmware version","{{ value_json.version }}",""],' +
    '["rssi","Wi-Fi signal","{{ value_json.rssi | default(None) }}",",\\"device_class\\":\\"signal_strength\\",\\"unit_of_measurement\\":\\"dBm\\",\\"state_class\\":\\"measurement\\""]' +
    "]"

/** Actuator members and their names in a discovery document, in pairs. */
const MEMBERS =
    '["min","min","max","max","step","step","unit","unit_of_measurement","deviceClass","device_class","category","entity_category"]'

/**
 * Discovery entity `i` as [topic, document]: the sensors, the diagnostics, then one per actuator;
 * undefined past the last. The document is "" when discovery is off (`on` false): an empty retained
 * payload removes the entity, and no document is built. One at a time, so only one document is in
 * the 64 KB heap at once.
 */
export function discoveryEntity(app: DeviceCore, d: DiscoveryInput, i: number, on: boolean): string[] | undefined {
    const sensors = d.sensors
    if (i < sensors.length) {
        const s = sensors[i]
        let doc = ""
        if (on) doc = discoveryPayload(d, s)
        return [entityTopic(d, "sensor", s.key), doc]
    }
    i -= sensors.length
    let nDiag = 3
    if (app.deps.hw.rssi) nDiag = 4
    if (i < nDiag) {
        const r = (JSON.parse(DIAGNOSTICS) as string[][])[i]
        const topic = entityTopic(d, "sensor", r[0])
        if (!on) return [topic, ""]
        return [topic, readingDoc(d, r[1], r[0], d.topics.status, r[2], r[3] + ',"entity_category":"diagnostic"')]
    }
    const a = app.actuators[i - nDiag]
    if (!a) return undefined
    const topic = entityTopic(d, a.kind, a.key)
    if (!on) return [topic, ""]
    let doc = ',"command_topic":' + jsonString(d.topics.set + a.key)
    if (a.kind === "button") doc += ',"payload_press":"PRESS"'
    else doc += ',"state_topic":' + jsonString(d.topics.state + a.key)
    if (a.kind === "switch" || a.kind === "light") doc += ',"payload_on":"ON","payload_off":"OFF"'
    // the optional members (the first four only for a number), written by the JSON writer
    const members = JSON.parse(MEMBERS) as string[]
    let k = 8
    if (a.kind === "number") k = 0
    for (; k < 12; k += 2) {
        const v = (a as any)[members[k]]
        if (v !== undefined) doc += ',"' + members[k + 1] + '":' + toJson(v)
    }
    return [topic, entityDoc(d, a.name, a.key, doc)]
}

/** "on"/"off" for on/off actuators, the number, or "" for a button (CoAP GET /actuators/<key>). */
export function actuatorText(a: Actuator): string {
    const s = stateText(a)
    if (s === undefined) return ""
    if (s === "ON") return "on"
    if (s === "OFF") return "off"
    return s
}

/**
 * The value a CoAP PUT text stands for: on/off/1/0/true/false/toggle (switch, light), a number
 * (number), anything (button: a press); undefined when not understood.
 */
export function valueFromText(a: Actuator, text: string): boolean | number | undefined {
    const s = text.trim().toLowerCase()
    if (a.kind === "button") return true
    if (a.kind === "number") {
        try {
            const v = JSON.parse(s)
            if (typeof v === "number") return v
            return undefined
        } catch (e) {
            return undefined
        }
    }
    return parseLed(s, a.get ? (a.get() as boolean) : false)
}
