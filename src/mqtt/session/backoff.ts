// Reconnect delays: exponential backoff with full jitter ("Exponential Backoff And Jitter",
// AWS architecture blog): attempt n waits a uniform random time in [0, min(max, min * 2^n)).
// Full jitter spreads a fleet of boards that lost the same broker, so they do not all return at once.

import { Random } from "../../io"

/**
 * A connection resets the backoff only once it has stayed up this long after CONNACK. Resetting on
 * CONNACK itself let a link that dies right after it (a message the client cannot take, a broker
 * that kicks the client id, a proxy that drops it) reconnect at the floor delay forever. 20 s is
 * past any such immediate failure and well under a keepalive cycle (60 s by default), so a link
 * that has carried traffic and pings still starts again from the floor.
 */
export const STABLE_CONNECTION_MS = 20000

/** A record and free functions rather than a class: a class costs the board a constructor and a prototype entry per method. */
export interface Backoff {
    minMs: number
    maxMs: number
    random: Random
    /** The ceiling of the next draw: min, doubled per attempt, capped at max (read-only outside). */
    cap: number
}

export function newBackoff(minMs: number, maxMs: number, random: Random): Backoff {
    return { minMs, maxMs: Math.max(minMs, maxMs), random, cap: minMs }
}

/** The delay before the next attempt, in ms; each call doubles the ceiling up to max. */
export function nextBackoff(b: Backoff): number {
    const d = Math.floor(b.random.next() * b.cap)
    b.cap = Math.min(b.cap * 2, b.maxMs)
    return d
}

/** After a connection that stayed up STABLE_CONNECTION_MS the next failure starts again from min. */
export function resetBackoff(b: Backoff): void {
    b.cap = b.minMs
}
