// When to publish telemetry: a pure state machine with an injected clock.
//
// Rules:
// - "first": nothing was published yet -> publish the first sample at once.
// - "change": a quantity moved by MORE than the threshold since the last PUBLISHED sample (not the
//   last sample, so a slow drift also gets reported once it adds up), and at least minGapMs passed
//   since the last publish (a noisy sensor must not flood the broker).
// - "interval": intervalMs passed since the last publish.
// A quantity that appears or disappears (sensor came back / failed) counts as a change.
// threshold <= 0 turns change detection off (interval only).

import { Clock } from "../io"
import { Reading } from "./reading"
import { toScaled } from "./format"

export type PublishReason = "first" | "change" | "interval"

export interface PolicyOptions {
    intervalMs: number
    /** In each quantity's own unit (0.5 means 0.5 °C, 0.5 %RH, 0.5 hPa). */
    threshold: number
    /** Shortest time between two change-triggered publishes (default 1000 ms). */
    minGapMs?: number
}

function pow10(d: number): number {
    let p = 1
    for (let i = 0; i < d; i++) p = p * 10
    return p
}

export class TelemetryPolicy {
    private last: Reading[] = undefined
    private lastAt = 0

    constructor(private clock: Clock, private opts: PolicyOptions) {}

    setOptions(opts: PolicyOptions): void {
        this.opts = opts
    }

    /** Decides for a fresh sample; returns why to publish it, or undefined to skip it. */
    offer(sample: Reading[]): PublishReason | undefined {
        if (!this.last) return "first"
        const now = this.clock.now()
        const since = now - this.lastAt
        if (since >= this.opts.intervalMs) return "interval"
        const gap = this.opts.minGapMs === undefined ? 1000 : this.opts.minGapMs
        if (since >= gap && this.changed(sample)) return "change"
        return undefined
    }

    /** Records that `sample` was published now. */
    published(sample: Reading[]): void {
        this.last = sample
        this.lastAt = this.clock.now()
    }

    /** Milliseconds until the interval forces a publish (0 when due or nothing published yet). */
    dueIn(): number {
        if (!this.last) return 0
        const left = this.opts.intervalMs - (this.clock.now() - this.lastAt)
        return left > 0 ? left : 0
    }

    private changed(sample: Reading[]): boolean {
        const threshold = this.opts.threshold
        if (sample.length !== this.last.length) return true
        for (const r of sample) {
            let prev: Reading = undefined
            for (const p of this.last) if (p.key === r.key) prev = p
            if (!prev) return true
            if (threshold <= 0) continue
            // Compare in the finer of the two scales so rounding never hides a move.
            const d = Math.max(r.decimals, prev.decimals)
            const a = r.scaled * pow10(d - r.decimals)
            const b = prev.scaled * pow10(d - prev.decimals)
            const delta = a > b ? a - b : b - a
            if (delta > toScaled(threshold, d)) return true
        }
        return false
    }
}
