import { describe, test, expect, beforeEach } from "@devicescript/test"
import { pause } from "../../../src/util/pause"
import { TelemetryPolicy, dueIn } from "../../../src/telemetry/policy"
import { telemetryJson } from "../../../src/telemetry/telemetry"
import { Reading, makeReading } from "../../../src/telemetry/reading"

class FakeClock {
    t = 0
    now(): number {
        return this.t
    }
}

function sample(temp: number, hum: number): Reading[] {
    return [makeReading("temperature", temp, 2), makeReading("humidity", hum, 1)]
}

describe("telemetry document", () => {
    beforeEach(async () => {
        await pause()
    })
    test("keeps each sensor's precision", () => {
        expect(
            telemetryJson(123456, [
                makeReading("temperature", 21.5, 2),
                makeReading("humidity", 40.25, 1),
                makeReading("pressure", 1013.2, 1),
            ])
        ).toBe('{"ts":123456,"temperature":21.50,"humidity":40.3,"pressure":1013.2}')
        expect(telemetryJson(0, [])).toBe('{"ts":0}')
        expect(telemetryJson(5000000000, [makeReading("temperature", -3.999, 2)])).toBe('{"ts":5000000000,"temperature":-4.00}')
    })
})

describe("telemetry policy", () => {
    beforeEach(async () => {
        await pause()
    })
    test("first sample at once, then every interval", () => {
        const c = new FakeClock()
        const p = new TelemetryPolicy(c, { intervalMs: 10000, threshold: 0.5 })
        expect(p.offer(sample(21, 40))).toBe("first")
        p.published(sample(21, 40))
        c.t = 9999
        expect(p.offer(sample(21.1, 40))).toBe(undefined)
        expect(dueIn(p)).toBe(1)
        c.t = 10000
        expect(p.offer(sample(21.1, 40))).toBe("interval")
        p.published(sample(21.1, 40))
        expect(dueIn(p)).toBe(10000)
    })
    test("a move of more than the threshold since the last published value publishes at once", () => {
        const c = new FakeClock()
        const p = new TelemetryPolicy(c, { intervalMs: 60000, threshold: 0.5 })
        p.published(sample(21, 40))
        c.t = 2000
        expect(p.offer(sample(21.5, 40))).toBe(undefined)
        expect(p.offer(sample(21.51, 40))).toBe("change")
        expect(p.offer(sample(20.49, 40))).toBe("change")
        expect(p.offer(sample(21, 40.6))).toBe("change")
        expect(p.offer(sample(21, 39.5))).toBe(undefined)
    })
    test("slow drift adds up against the last published sample", () => {
        const c = new FakeClock()
        const p = new TelemetryPolicy(c, { intervalMs: 60000, threshold: 0.29 })
        p.published(sample(20, 40))
        c.t = 5000
        expect(p.offer(sample(20.2, 40))).toBe(undefined)
        c.t = 6000
        expect(p.offer(sample(20.29, 40))).toBe(undefined)
        c.t = 7000
        expect(p.offer(sample(20.3, 40))).toBe("change")
    })
    test("changes are rate limited by minGapMs", () => {
        const c = new FakeClock()
        const p = new TelemetryPolicy(c, { intervalMs: 60000, threshold: 0.5, minGapMs: 1000 })
        p.published(sample(21, 40))
        c.t = 999
        expect(p.offer(sample(25, 40))).toBe(undefined)
        c.t = 1000
        expect(p.offer(sample(25, 40))).toBe("change")
    })
    test("a sensor appearing or vanishing is a change; threshold 0 means interval only", () => {
        const c = new FakeClock()
        const p = new TelemetryPolicy(c, { intervalMs: 60000, threshold: 0 })
        p.published(sample(21, 40))
        c.t = 5000
        expect(p.offer(sample(30, 90))).toBe(undefined)
        expect(p.offer([makeReading("temperature", 21, 2)])).toBe("change")
        p.opts = { intervalMs: 4000, threshold: 0 }
        expect(p.offer(sample(21, 40))).toBe("interval")
    })
})
