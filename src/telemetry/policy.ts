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
import { pow10, toScaled } from "../util/decimal"

export type PublishReason = "first" | "change" | "interval"

export interface PolicyOptions {
    intervalMs: number
    /** In each quantity's own unit (0.5 means 0.5 °C, 0.5 %RH, 0.5 hPa). */
    threshold: number
    /** Shortest time between two change-triggered publishes (default 1000 ms). */
    minGapMs?: number
}

export class TelemetryPolicy {
    /** The last published sample and when (read by dueIn). */
    last: Reading[] | undefined
    lastAt = 0

    /** `opts` may be replaced at any time (the application does when settings change). */
    constructor(
        readonly clock: Clock,
        public opts: PolicyOptions
    ) {}

    /** Decides for a fresh sample; returns why to publish it, or undefined to skip it. */
    offer(sample: Reading[]): PublishReason | undefined {
        const last = this.last
        if (!last) return "first"
        const o = this.opts
        const since = this.clock.now() - this.lastAt
        if (since >= o.intervalMs) return "interval"
        if (since < (o.minGapMs ?? 1000)) return undefined
        // Changed since the last published sample? (inlined: each method costs the board a function)
        if (sample.length !== last.length) return "change"
        for (const r of sample) {
            let prev: Reading | undefined = undefined
            for (const p of last) if (p.key === r.key) prev = p
            if (!prev) return "change"
            if (o.threshold <= 0) continue
            // Compare in the finer of the two scales so rounding never hides a move.
            const d = Math.max(r.decimals, prev.decimals)
            const a = r.scaled * pow10(d - r.decimals)
            const b = prev.scaled * pow10(d - prev.decimals)
            let delta = a - b
            if (delta < 0) delta = -delta
            if (delta > toScaled(o.threshold, d)) return "change"
        }
        return undefined
    }

    /** Records that `sample` was published now. */
    published(sample: Reading[]): void {
        this.last = sample
        this.lastAt = this.clock.now()
    }
}

/**
 * Milliseconds until the interval forces a publish (0 when due or nothing published yet).
 * A function, not a method: the firmware does not use it, and every method of a class is
 * compiled into the board image.
 */
export function dueIn(p: TelemetryPolicy): number {
    if (!p.last) return 0
    const left = p.opts.intervalMs - (p.clock.now() - p.lastAt)
    return left > 0 ? left : 0
}
