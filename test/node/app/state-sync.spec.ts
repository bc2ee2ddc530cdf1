// Actuator states published while an earlier state publish still waits for its PUBACK
// (src/firmware/control.ts syncStates). The firmware syncs after every request and on every sample
// tick; over a slow link both run while a QoS 1 state publish is in flight. Each change must be
// published once, in the order of the changes (found by test/e2e/firmware-shaped-link.spec.ts: 20
// LED changes gave 22 state publishes through a 40 ms link).
import { describe, expect, test } from "vitest"
import { MemoryStore } from "../../../src/config/config"
import { DeviceApp } from "../../../src/firmware/app"
import type { MessageBus, PublishOptions } from "../../../src/firmware/bus"
import { until } from "../../helpers/wait"
import { TestBoard, testApp } from "../../core/app/test-board"

/** A bus whose QoS 1 publishes, while `holding`, wait until the test releases them (the PUBACK). */
class HeldBus implements MessageBus {
    sent: string[] = []
    held: (() => void)[] = []
    holding = false
    async publish(topic: string, parts: string | string[], opts: PublishOptions): Promise<void> {
        // a reply comes as its parts (never joined on the board): joined here to read it
        let payload = parts as string
        if (typeof parts !== "string") payload = (parts as string[]).join("")
        this.sent.push(topic + " " + payload)
        if (opts.qos > 0 && this.holding) await new Promise<void>((r) => this.held.push(r))
    }
    async subscribe(): Promise<void> {}
    /** PUBACK for everything waiting. */
    release(): void {
        const h = this.held
        this.held = []
        for (const r of h) r()
    }
    states(from: number): string[] {
        return this.sent.slice(from).filter((s) => s.startsWith("devices/abc/state/"))
    }
}

async function heldRig(): Promise<{ app: DeviceApp; bus: HeldBus }> {
    const app = await testApp(new TestBoard(), new MemoryStore())
    const bus = new HeldBus()
    await app.onConnected(bus)
    bus.holding = true
    return { app, bus }
}

function ledSet(app: DeviceApp, on: boolean, id: number): void {
    app.onMessage(app.topics.rx, JSON.stringify({ jsonrpc: "2.0", method: "led.set", params: { on }, id }))
}

describe("state publishes while a PUBACK is outstanding", () => {
    test("a sample tick during the request's state publish does not publish the same change again", async () => {
        const r = await heldRig()
        const from = r.bus.sent.length
        ledSet(r.app, true, 1)
        const worker = r.app.processRequests()
        await until(() => r.bus.held.length === 1, 5000, "the state publish waiting for its PUBACK")
        // a tick now runs its sync up to its first wait (or to its end) before sample() returns
        const tick = r.app.sample(false)
        r.bus.holding = false
        r.bus.release()
        await Promise.all([worker, tick])
        expect(r.bus.states(from)).toEqual(["devices/abc/state/led ON"])
    })

    test("changes made while state publishes wait, with a tick during each wait: each published once, in order", async () => {
        const r = await heldRig()
        const from = r.bus.sent.length
        for (let i = 0; i < 6; i++) ledSet(r.app, i % 2 === 0, 10 + i)
        let workerDone = false
        const worker = r.app.processRequests().then(() => {
            workerDone = true
        })
        const ticks: Promise<unknown>[] = []
        while (!workerDone) {
            await until(() => workerDone || r.bus.held.length > 0, 5000, "a state publish waiting for its PUBACK, or the worker done")
            ticks.push(r.app.sample(false))
            r.bus.release()
        }
        r.bus.holding = false
        r.bus.release()
        await Promise.all([worker, ...ticks])
        await r.app.sample(false)
        expect(r.bus.states(from)).toEqual(["ON", "OFF", "ON", "OFF", "ON", "OFF"].map((s) => "devices/abc/state/led " + s))
    })
})
