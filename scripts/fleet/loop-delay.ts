// How late a Node process's event loop runs its timers: the fleet runs every simulated board in
// one process, and the gateways are processes of their own, so a request that times out may be
// the machine's doing (a stalled loop) rather than a lost message. A 50 ms interval timer notes
// every time it fired later than it should have by more than STALL_MS.
import { monitorEventLoopDelay } from "node:perf_hooks"

export interface Stall {
    /** When the loop ran again (Date.now()). */
    at: number
    /** How much later than due the timer fired. */
    ms: number
}

export interface LoopDelay {
    stalls: Stall[]
    /** Largest delay seen (ms). */
    maxMs(): number
    /** 99th percentile of the delay (ms). */
    p99Ms(): number
    stop(): void
}

const TICK_MS = 50
const STALL_MS = 250

export function watchLoopDelay(onStall?: (s: Stall) => void): LoopDelay {
    const h = monitorEventLoopDelay({ resolution: 20 })
    h.enable()
    const stalls: Stall[] = []
    let due = Date.now() + TICK_MS
    const timer = setInterval(() => {
        const now = Date.now()
        const late = now - due
        due = now + TICK_MS
        if (late > STALL_MS) {
            const s = { at: now, ms: late }
            stalls.push(s)
            onStall?.(s)
        }
    }, TICK_MS)
    timer.unref()
    return {
        stalls,
        maxMs: () => h.max / 1e6,
        p99Ms: () => h.percentile(99) / 1e6,
        stop() {
            clearInterval(timer)
            h.disable()
        },
    }
}
