// Reconnect delays: exponential backoff with full jitter ("Exponential Backoff And Jitter",
// AWS architecture blog): attempt n waits a uniform random time in [0, min(max, min * 2^n)).
// Full jitter spreads a fleet of boards that lost the same broker, so they do not all return at once.

import { Random } from "../io"

export class Backoff {
    private minMs: number
    private maxMs: number
    private random: Random
    private attempt: number

    constructor(minMs: number, maxMs: number, random: Random) {
        this.minMs = minMs
        this.maxMs = maxMs < minMs ? minMs : maxMs
        this.random = random
        this.attempt = 0
    }

    /** The upper bound of the delay the next call to next() draws from. */
    ceiling(): number {
        let cap = this.minMs
        for (let i = 0; i < this.attempt && cap < this.maxMs; i++) cap *= 2
        return cap > this.maxMs ? this.maxMs : cap
    }

    /** The delay before the next attempt, in ms; each call doubles the ceiling up to max. */
    next(): number {
        const cap = this.ceiling()
        if (cap < this.maxMs) this.attempt++
        return Math.floor(this.random.next() * cap)
    }

    /** After a successful connection the next failure starts again from min. */
    reset(): void {
        this.attempt = 0
    }

    attempts(): number {
        return this.attempt
    }
}
