// Actuator states published while an earlier state publish still waits for its PUBACK
// (src/firmware/control.ts syncStates). The firmware syncs after every request and on every sample
// tick; over a slow link both run while a QoS 1 state publish is in flight. Each change must be
// published once, in the order of the changes (found by test/e2e/firmware-shaped-link.spec.ts: 20
// LED changes gave 22 state publishes through a 40 ms link).
import { describe, expect, test } from "vitest"
import { Config, MemoryStore } from "../../../src/config/config"
import { DeviceApp } from "../../../src/firmware/app"
import type { MessageBus, PublishOptions } from "../../../src/firmware/bus"

/** A bus whose QoS 1 publishes complete only after `ackMs`, like a PUBACK over a slow link. */
class SlowBus implements MessageBus {
    sent: string[] = []
    constructor(private ackMs: number) {}
    async publish(topic: string, payload: string, opts: PublishOptions): Promise<void> {
        this.sent.push(topic + " " + payload)
        if (opts.qos > 0) await new Promise((r) => setTimeout(r, this.ackMs))
    }
    async subscribe(): Promise<void> {}
}

async function slowRig(): Promise<{ app: DeviceApp; bus: SlowBus; led: { on: boolean } }> {
    const cfg = new Config(new MemoryStore(), () => {})
    await cfg.load()
    const led = { on: false }
    const app = new DeviceApp({
        hw: {
            board: "test_board",
            model: "Test board",
            tls: true,
            sensors: [],
            led: {
                set: async (on: boolean) => {
                    led.on = on
                },
                get: () => led.on,
            },
        },
        config: cfg,
        clock: { now: () => 1000 },
        log: () => {},
        hardwareId: "abc",
        restarter: { restartSoon: () => {} },
    })
    const bus = new SlowBus(20)
    await app.onConnected(bus)
    return { app, bus, led }
}

describe("state publishes while a PUBACK is outstanding", () => {
    test("a sample tick during the request's state publish does not publish the same change again", async () => {
        const r = await slowRig()
        const from = r.bus.sent.length
        r.app.onMessage(r.app.topics.rx, '{"jsonrpc":"2.0","method":"led.set","params":{"on":true},"id":1}')
        const worker = r.app.processRequests()
        // the tick comes while the worker's ON waits for its PUBACK
        await new Promise((res) => setTimeout(res, 5))
        await Promise.all([worker, r.app.sample(false)])
        const states = r.bus.sent.slice(from).filter((s) => s.startsWith("devices/abc/state/"))
        expect(states).toEqual(["devices/abc/state/led ON"])
    })

    test("changes made while a state publish waits are each published once, in order", async () => {
        const r = await slowRig()
        const from = r.bus.sent.length
        for (let i = 0; i < 6; i++) {
            const on = i % 2 === 0
            r.app.onMessage(r.app.topics.rx, JSON.stringify({ jsonrpc: "2.0", method: "led.set", params: { on }, id: 10 + i }))
        }
        const worker = r.app.processRequests()
        const ticks = (async () => {
            for (let i = 0; i < 12; i++) {
                await new Promise((res) => setTimeout(res, 7))
                await r.app.sample(false)
            }
        })()
        await Promise.all([worker, ticks])
        await r.app.sample(false)
        const states = r.bus.sent.slice(from).filter((s) => s.startsWith("devices/abc/state/"))
        expect(states).toEqual(["ON", "OFF", "ON", "OFF", "ON", "OFF"].map((s) => "devices/abc/state/led " + s))
    })
})
