// The JSON-RPC methods the device answers on <prefix>/<id>/rx (and, later, over CoAP).
// rpc.list is built into the dispatcher. Each handler only talks to interfaces, so the same
// methods run under vitest.

import { JsonRaw } from "../util/json"
import { invalidParams, RpcError } from "../rpc/errors"
import { MethodDef } from "../rpc/jsonrpc"
import { findSetting } from "../config/schema"
import { SetResult } from "../config/config"
import { Endpoint, parseUrl, MQTT_SCHEMES } from "../config/url"
import { telemetryJson } from "../telemetry/telemetry"
import { FIRMWARE_NAME, version } from "./version"
import type { DeviceCore } from "./app"
import { actuatorMethod } from "./control"
import { Led } from "./hardware"

/** Error code for "the hardware could not do it" (implementation-defined range, JSON-RPC §5.1). */
export const HARDWARE_ERROR = -32000

/**
 * rpc.list's whole answer, which is also the methods' table (names, descriptions, parameters), as
 * JSON text: a table of objects written in TypeScript is built by bytecode on the board, a string
 * is not (docs/bytecode-size.md). The compiler joins these literals into one string of the image,
 * so rpc.list answers with it as it is: building the answer from the parsed table took about 2 KB
 * of pieces and copies per call, each needing a free block of its size in a heap that never
 * moves anything (docs/faults.md, "Memory"). Every entry has its "params" (empty when none) as
 * the dispatcher's own listing writes them; rpc.list's entry repeats the dispatcher's. The two
 * led.* methods come last: boards without an LED leave them out.
 */
const METHODS =
    "[" +
    '{"name":"rpc.list","description":"Lists the methods this device answers, with their parameters","params":[]},' +
    '{"name":"sys.info","description":"Firmware, board, identity, uptime, sensors and connection","params":[]},' +
    '{"name":"sys.restart","description":"Restarts the firmware after replying (settings marked restart take effect)",' +
    '"params":[{"name":"delay_ms","type":"integer","optional":true,"min":100,"max":60000}]},' +
    '{"name":"sensors.read","description":"Reads every sensor now: {ts, <quantity>: value, ...} without publishing","params":[]},' +
    '{"name":"telemetry.now","description":"Samples and publishes telemetry at once; returns the published document","params":[]},' +
    '{"name":"config.get","description":"All settings, or one by key (secrets hidden)","params":[{"name":"key","type":"string","optional":true,"max":13}]},' +
    '{"name":"config.set","description":"Validates and saves settings given as {KEY: value, ...}; null resets to the default",' +
    '"params":[{"name":"settings","type":"object"}]},' +
    '{"name":"actuator.set","description":"Sets an actuator (LED, relay, set point) or presses a button: {key, value}; returns its state",' +
    '"params":[{"name":"key","type":"string","max":32},{"name":"value","type":"any"}]},' +
    '{"name":"actuator.get","description":"The state of one actuator by key, or of all: {<key>: value, ...}","params":[{"name":"key","type":"string","optional":true,"max":32}]},' +
    '{"name":"led.set","description":"Turns the board\'s LED on or off","params":[{"name":"on","type":"boolean"}]},' +
    '{"name":"led.get","description":"Whether the board\'s LED is on","params":[]}' +
    "]"

export function registerDeviceMethods(app: DeviceCore): void {
    const defs = JSON.parse(METHODS) as MethodDef[]
    // One handler for all of them (the dispatcher passes the method's name): each closure would
    // cost the board its own function.
    const handler = async (p: Record<string, any>, name: string) => await deviceMethod(app, name, p)
    let n = defs.length
    let listing = METHODS
    if (!app.deps.hw.led) {
        n -= 2
        listing = METHODS.slice(0, METHODS.indexOf(',{"name":"led.set"')) + "]"
    }
    // entry 0 is rpc.list, which the dispatcher registered first; it now answers with the text
    app.dispatcher.methods[0].handler = async () => new JsonRaw(listing)
    for (let i = 1; i < n; i++) {
        defs[i].handler = handler
        // only rpc.list showed the descriptions: about 1 KB of heap for as long as the board runs
        defs[i].description = undefined as unknown as string
        app.dispatcher.register(defs[i])
    }
}

/** Runs method `name` with its params (already validated against METHODS by the dispatcher). */
async function deviceMethod(app: DeviceCore, name: string, p: Record<string, any>): Promise<any> {
    const hw = app.deps.hw
    const cfg = app.deps.config
    // led.* methods are registered only on boards with an LED
    const led = hw.led as Led
    if (name === "sys.info") {
        const ep = parseUrl(cfg.get("MQTT_URL"), MQTT_SCHEMES)
        // whether this board's link is encrypted (not whether its runtime could do TLS), and where to
        let tls = false
        let broker = ""
        if (typeof ep !== "string") {
            const e = ep as Endpoint
            tls = e.tls
            broker = e.host + ":" + e.port
        }
        return {
            firmware: FIRMWARE_NAME,
            version: version.text,
            board: hw.board,
            model: hw.model,
            device_id: app.deviceId,
            hardware_id: app.deps.hardwareId,
            uptime_ms: app.uptimeMs(),
            tls: tls,
            led: !!led,
            broker: broker,
            topics: app.topics,
            sensors: hw.sensors.map((s) => ({ key: s.key, unit: s.unit, decimals: s.decimals })),
            dropped_requests: app.dropped,
        }
    }
    if (name === "sys.restart") {
        const delay = p["delay_ms"] ?? 500
        app.deps.restarter.restartSoon(delay)
        return { restarting: true, delay_ms: delay }
    }
    if (name === "sensors.read") return new JsonRaw(telemetryJson(app.uptimeMs(), await app.readSensors()))
    // forced: sample() makes a document every time
    if (name === "telemetry.now") return new JsonRaw((await app.sample(true)) as string)
    if (name === "config.get") {
        const all = cfg.snapshot()
        const key = p["key"] as string
        if (key === undefined) return all
        if (!findSetting(key)) throw invalidParams("unknown setting " + key)
        const r: Record<string, any> = {}
        r[key] = all[key]
        return r
    }
    if (name === "config.set") {
        const r = await cfg.set(p["settings"])
        if (typeof r === "string") throw invalidParams(r)
        const ok = r as SetResult
        return { applied: ok.applied, restart_needed: ok.restartNeeded }
    }
    if (name.startsWith("actuator.")) return await actuatorMethod(app, name, p)
    if (name === "led.set") {
        try {
            await led.set(p["on"])
        } catch (e) {
            throw new RpcError(HARDWARE_ERROR, "LED error", (e as Error)?.message)
        }
    }
    // led.set and led.get
    return { on: led.get() }
}
