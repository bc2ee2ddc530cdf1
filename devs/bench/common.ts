// Shared by the benchmark phases (run by bench/run.ts in the simulator, not a test).
// Every phase prints one machine-readable line per measurement:
//   BENCH <client> <kind> n=<count> ms=<device ms>          (throughput)
//   BENCH <client> rttpart samples=<ms,ms,...>  (publish-to-echo round trips, 25 per line)
//   BENCH <client> rtt n=<count>                  (after the parts)
// The Node side counts what arrived at the broker and computes rates and percentiles.
import * as ds from "@devicescript/core"

export interface BenchConfig {
    host: string
    port: number
    /** QoS 0 messages per client. */
    n0: number
    /** QoS 1 and QoS 2 messages per client. */
    n1: number
    /** QoS 1 messages for the stock client, which cannot survive a long QoS 1 burst. */
    n1Stock: number
    /** Our client's in-flight window (its default is 16). */
    window: number
    /** Round trips per client. */
    rtt: number
    /** The watchdog panics after ~128k ops without a yield: yield (ds.sleep(0)) every this many publishes. */
    yieldEvery: number
    payload: Buffer
}

export function report(client: string, kind: string, n: number, ms: number): void {
    console.log("BENCH " + client + " " + kind + " n=" + n + " ms=" + ms)
}

export function reportRtt(client: string, samples: number[]): void {
    // The VM cuts long console lines, so the samples go out 25 per line.
    for (let i = 0; i < samples.length; i += 25) console.log("BENCH " + client + " rttpart samples=" + samples.slice(i, i + 25).join(","))
    console.log("BENCH " + client + " rtt n=" + samples.length)
}

export function reportError(client: string, what: string, e: unknown): void {
    const m = (e as Error)?.message
    console.log("BENCH " + client + " error " + what + ": " + (m ? m : "" + e))
}

/** Waits until cond() holds or ms pass; true if it held. */
export async function until(cond: () => boolean, ms: number): Promise<boolean> {
    const end = ds.millis() + ms
    while (!cond()) {
        if (ds.millis() > end) return false
        await ds.sleep(1)
    }
    return true
}
