// Reconnect delay: exponential backoff with FULL jitter (AWS architecture blog, "Exponential
// Backoff And Jitter"): uniform in [0, min(max, base * 2^attempt)), so a fleet that lost its
// head-end at the same moment does not come back in lockstep.
// TODO(merge mqtt): the MQTT client has the same rule; once branch mqtt lands one, use that.

import { Random } from "../io"

/** Delay in ms before reconnect attempt `attempt` (0 = first retry). Never below 0. */
export function fullJitterDelay(attempt: number, baseMs: number, maxMs: number, random: Random): number {
    let cap = baseMs
    for (let i = 0; i < attempt && cap < maxMs; i++) cap = cap * 2
    if (cap > maxMs) cap = maxMs
    return Math.floor(random.next() * cap)
}
