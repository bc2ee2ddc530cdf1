import { describe, test, expect, beforeEach } from "@devicescript/test"
import { pause } from "../../../src/util/pause"
import { SimRoom, wave } from "../../../src/sim/room"

/** Deterministic random numbers (a small LCG), so the test sees the same room every run. */
class Lcg {
    s = 12345
    next(): number {
        this.s = (Math.imul(this.s, 1103515245) + 12345) & 0x7fffffff
        return this.s / 0x80000000
    }
}

describe("simulated room", () => {
    beforeEach(async () => {
        await pause()
    })
    test("readings stay plausible and move smoothly (no jumps between samples)", async () => {
        const room = new SimRoom(new Lcg())
        let prev = room.read(0)
        let maxJump = 0
        let minT = 100
        let maxT = -100
        for (let s = 1; s <= 600; s++) {
            // Let the VM breathe: 600 samples in one go pass its ~128k-op watchdog.
            if (s % 50 === 0) await pause()
            const r = room.read(s * 2000)
            const jump = Math.abs(r.temperature - prev.temperature)
            if (jump > maxJump) maxJump = jump
            if (r.temperature < minT) minT = r.temperature
            if (r.temperature > maxT) maxT = r.temperature
            expect(r.humidity >= 30 && r.humidity <= 60).toBe(true)
            expect(r.pressure >= 1010 && r.pressure <= 1016.5).toBe(true)
            prev = r
        }
        expect(maxJump < 0.25).toBe(true)
        // Over two heating cycles the room really drifts by more than a typical 0.5 threshold.
        expect(maxT - minT > 1).toBe(true)
        expect(minT > 18 && maxT < 25).toBe(true)
    })
})

describe("wave", () => {
    test("approximates sin(2π·turns) (DeviceScript has no Math.sin)", () => {
        expect(wave(0)).toBe(0)
        expect(wave(0.25)).toBe(1)
        expect(Math.abs(wave(0.5)) < 1e-12).toBe(true)
        expect(wave(0.75)).toBe(-1)
        expect(Math.abs(wave(1 / 12) - 0.5) < 1e-9).toBe(true)
        expect(Math.abs(wave(1 / 8) - 0.7071067811865476) < 0.002).toBe(true)
        expect(Math.abs(wave(1.25) - 1) < 1e-9).toBe(true)
        expect(Math.abs(wave(-0.25) + 1) < 1e-9).toBe(true)
    })
})
