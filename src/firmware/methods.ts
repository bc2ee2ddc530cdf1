// The JSON-RPC methods the device answers on <prefix>/<id>/rx (and, later, over CoAP).
// rpc.list is built into the dispatcher. Each handler only talks to interfaces, so the same
// methods run under vitest.

import { JsonRaw } from "../util/json"
import { invalidParams, RpcError } from "../rpc/errors"
import { findSetting } from "../config/schema"
import { SetResult } from "../config/config"
import { Endpoint } from "../config/url"
import { telemetryJson } from "../telemetry/telemetry"
import { FIRMWARE_NAME, FIRMWARE_VERSION } from "./version"
import type { DeviceCore } from "./app"

/** Error code for "the hardware could not do it" (implementation-defined range, JSON-RPC §5.1). */
export const HARDWARE_ERROR = -32000

export function registerDeviceMethods(app: DeviceCore): void {
    const d = app.dispatcher
    const hw = app.deps.hw
    const cfg = app.deps.config

    d.register({
        name: "sys.info",
        description: "Firmware, board, identity, uptime, sensors and connection",
        handler: async (p: Record<string, any>) => {
            const ep = app.broker()
            const broker = typeof ep === "string" ? "" : (ep as Endpoint).host + ":" + (ep as Endpoint).port
            return {
                firmware: FIRMWARE_NAME,
                version: FIRMWARE_VERSION,
                board: hw.board,
                model: hw.model,
                device_id: app.deviceId,
                hardware_id: app.deps.hardwareId,
                uptime_ms: app.uptimeMs(),
                tls: hw.tls,
                led: !!hw.led,
                broker: broker,
                topics: app.topics,
                sensors: hw.sensors.map(s => ({ key: s.key, unit: s.unit, decimals: s.decimals })),
                dropped_requests: app.dropped,
            }
        },
    })

    d.register({
        name: "sys.restart",
        description: "Restarts the firmware after replying (settings marked restart take effect)",
        params: [{ name: "delay_ms", type: "integer", optional: true, min: 100, max: 60000 }],
        handler: async (p: Record<string, any>) => {
            const delay = p["delay_ms"] === undefined ? 500 : p["delay_ms"]
            app.deps.restarter.restartSoon(delay)
            return { restarting: true, delay_ms: delay }
        },
    })

    d.register({
        name: "sensors.read",
        description: "Reads every sensor now: {ts, <quantity>: value, ...} without publishing",
        handler: async (p: Record<string, any>) => new JsonRaw(telemetryJson(app.uptimeMs(), await app.readSensors())),
    })

    d.register({
        name: "telemetry.now",
        description: "Samples and publishes telemetry at once; returns the published document",
        handler: async (p: Record<string, any>) => new JsonRaw(await app.sample(true)),
    })

    d.register({
        name: "config.get",
        description: "All settings, or one by key (secrets hidden)",
        params: [{ name: "key", type: "string", optional: true, max: 13 }],
        handler: async (p: Record<string, any>) => {
            const all = cfg.snapshot()
            const key = p["key"] as string
            if (key === undefined) return all
            if (!findSetting(key)) throw invalidParams("unknown setting " + key)
            const r: Record<string, any> = {}
            r[key] = all[key]
            return r
        },
    })

    d.register({
        name: "config.set",
        description: "Validates and saves settings given as {KEY: value, ...}; null resets to the default",
        params: [{ name: "settings", type: "object" }],
        handler: async (p: Record<string, any>) => {
            const r = await cfg.set(p["settings"])
            if (typeof r === "string") throw invalidParams(r)
            const ok = r as SetResult
            return { applied: ok.applied, restart_needed: ok.restartNeeded }
        },
    })

    const led = hw.led
    if (led) {
        d.register({
            name: "led.set",
            description: "Turns the board's LED on or off",
            params: [{ name: "on", type: "boolean" }],
            handler: async (p: Record<string, any>) => {
                try {
                    await led.set(p["on"])
                } catch (e) {
                    throw new RpcError(HARDWARE_ERROR, "LED error", (e as Error)?.message)
                }
                return { on: led.get() }
            },
        })
        d.register({
            name: "led.get",
            description: "Whether the board's LED is on",
            handler: async (p: Record<string, any>) => ({ on: led.get() }),
        })
    }
}
