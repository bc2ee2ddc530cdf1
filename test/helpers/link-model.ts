// The arithmetic of a slow, lossy link, shared by the TCP shaping of fault-proxy.ts and the UDP
// shaper (udp-shaper.ts): a seeded random source (so a run can be replayed), latency with jitter,
// and a token bucket that says when bytes may leave. Times are milliseconds on one clock
// (performance.now() in the proxies); nothing here reads a clock, so tests can check it exactly.

/** mulberry32: a small, fast generator whose whole sequence is fixed by its 32-bit seed. */
export function seededRandom(seed: number): () => number {
    let a = seed >>> 0
    return () => {
        a = (a + 0x6d2b79f5) >>> 0
        let t = a
        t = Math.imul(t ^ (t >>> 15), t | 1)
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296
    }
}

/** A second, independent seed from one seed (per direction), so one direction's draws never shift the other's. */
export function deriveSeed(seed: number, salt: string): number {
    let h = (seed ^ 0x9e3779b9) >>> 0
    for (let i = 0; i < salt.length; i++) h = Math.imul(h ^ salt.charCodeAt(i), 0x01000193) >>> 0
    return h
}

export interface DelayOptions {
    /** Mean one-way delay. */
    latencyMs?: number
    /** Each delay is latencyMs plus a uniform draw in [-jitterMs, +jitterMs] (never below 0). */
    jitterMs?: number
}

/** One delay draw. Always consumes exactly one random number, so the draws after it do not depend on the options. */
export function delayDraw(o: DelayOptions, random: () => number): number {
    const r = random()
    return Math.max(0, (o.latencyMs ?? 0) + (r * 2 - 1) * (o.jitterMs ?? 0))
}

/**
 * A token bucket of `burstBytes` filling at `bytesPerSec`. take(t, n) books n bytes (n <= burst)
 * at the earliest time >= t (and >= the previous booking) at which the bucket holds n tokens, and
 * returns that time. So over any interval [a, b] of bookings, the bytes booked are at most
 * burstBytes + bytesPerSec * (b - a) / 1000: the bound the tests check on the proxy's schedule.
 */
export class TokenBucket {
    private time = -Infinity
    private tokens: number
    constructor(
        readonly bytesPerSec: number,
        readonly burstBytes: number
    ) {
        if (!(bytesPerSec > 0) || !(burstBytes >= 1)) throw new Error("TokenBucket: bytesPerSec > 0 and burstBytes >= 1 required")
        this.tokens = burstBytes
    }

    take(t: number, n: number): number {
        if (n > this.burstBytes) throw new Error(`TokenBucket: ${n} bytes at once exceed the burst of ${this.burstBytes}`)
        let at = Math.max(t, this.time)
        let tokens =
            this.time === -Infinity ? this.tokens : Math.min(this.burstBytes, this.tokens + ((at - this.time) * this.bytesPerSec) / 1000)
        if (tokens < n) {
            at += ((n - tokens) * 1000) / this.bytesPerSec
            tokens = n
        }
        this.tokens = tokens - n
        this.time = at
        return at
    }
}

/** Largest number of bytes booked in any window of `releases` (sorted by time) vs what the rate allows there. */
export function worstWindowExcess(releases: { at: number; bytes: number }[], bytesPerSec: number, burstBytes: number): number {
    let worst = -Infinity
    for (let i = 0; i < releases.length; i++) {
        let sum = 0
        for (let j = i; j < releases.length; j++) {
            sum += releases[j].bytes
            const allowed = burstBytes + (bytesPerSec * (releases[j].at - releases[i].at)) / 1000
            worst = Math.max(worst, sum - allowed)
        }
    }
    return worst
}
