// A simulated room for the `sim` board: readings that drift like a real room, not white noise.
// Pure (time and randomness injected), so it is tested in Node and runs unchanged on the VM.
//
// Model per quantity: a slow sinusoid (heating cycle / weather) plus a bounded random walk
// (draughts, people), clamped to physical limits. Humidity falls as temperature rises, roughly as
// relative humidity does when a room heats up at constant absolute humidity.

import { Random } from "../io"

export interface RoomReading {
    temperature: number // °C
    humidity: number // %RH
    pressure: number // hPa
}

const PI = 3.141592653589793

/**
 * sin(2π·turns), smooth and periodic. DeviceScript's Math has no sin/cos (nor PI), so this uses
 * Bhaskara's approximation on each half period (error < 0.002, plenty for a simulated room).
 */
export function wave(turns: number): number {
    let f = turns - Math.floor(turns) // 0..1
    let sign = 1
    if (f >= 0.5) {
        f -= 0.5
        sign = -1
    }
    const x = f * 2 * PI // 0..π
    const q = x * (PI - x)
    return (sign * 16 * q) / (5 * PI * PI - 4 * q)
}

function clamp(v: number, lo: number, hi: number): number {
    return v < lo ? lo : v > hi ? hi : v
}

/** A step of the random walk scaled by elapsed time, pulled back towards 0 (mean reversion). */
function step(random: Random, walk: number, perSecond: number, limit: number, seconds: number): number {
    const noise = (random.next() - 0.5) * 2 * perSecond * Math.sqrt(seconds)
    const pulled = walk * (1 - 0.01 * seconds) + noise
    return clamp(pulled, -limit, limit)
}

/** Where the room's quantities centre: °C, %RH, hPa. */
const BASE_T = 21.5
const BASE_H = 45
const BASE_P = 1013.25
/** Length of one heating cycle in ms: 10 minutes, so a demo shows movement. */
const CYCLE_MS = 600000

export class SimRoom {
    private walkT = 0
    private walkH = 0
    private walkP = 0
    private lastMs = -1

    constructor(private random: Random) {}

    /** The room at time `ms` (monotonic; calls must not go back in time). */
    read(ms: number): RoomReading {
        const seconds = this.lastMs < 0 ? 0 : clamp((ms - this.lastMs) / 1000, 0, 3600)
        this.lastMs = ms
        if (seconds > 0) {
            this.walkT = step(this.random, this.walkT, 0.02, 0.8, seconds)
            this.walkH = step(this.random, this.walkH, 0.05, 3, seconds)
            this.walkP = step(this.random, this.walkP, 0.01, 1.5, seconds)
        }
        const turns = ms / CYCLE_MS
        const cycle = wave(turns)
        const t = BASE_T + 1.2 * cycle + this.walkT
        const h = BASE_H - 2.5 * cycle + this.walkH
        const p = BASE_P + 0.8 * wave(turns / 7) + this.walkP
        return { temperature: clamp(t, -40, 85), humidity: clamp(h, 0, 100), pressure: clamp(p, 300, 1100) }
    }
}
