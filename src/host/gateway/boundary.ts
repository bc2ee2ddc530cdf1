// The gateway is a service: an exception while handling ONE input (an HTTP request, a UDP
// datagram, the bytes of one coap+tcp connection, one MQTT message) must end that input's
// handling with a protocol-correct error, never the process with every front in it. Each front
// runs its entry points through `guard()`; the caller answers (HTTP 400/500, CoAP 5.00, Abort)
// in `onFault`. A fault is a bug, so it is logged, but once per kind: a peer that repeats the
// input must not be able to flood the log.

/** Distinct fault kinds logged before the log goes quiet (counting goes on). */
const MAX_LOGGED_KINDS = 100

export class FaultLog {
    /** Faults caught so far, per front ("http", "udp", "tcp", "mqtt"). */
    readonly counts = new Map<string, number>()
    private logged = new Set<string>()

    constructor(private write: (line: string) => void = (line) => console.error(line)) {}

    total(): number {
        let n = 0
        for (const c of this.counts.values()) n += c
        return n
    }

    report(front: string, e: unknown): void {
        this.counts.set(front, (this.counts.get(front) ?? 0) + 1)
        const what = e instanceof Error ? `${e.name}: ${e.message}` : String(e)
        const where = e instanceof Error ? ((e.stack ?? "").split("\n")[1]?.trim() ?? "") : ""
        const kind = front + "|" + what + "|" + where
        if (this.logged.has(kind) || this.logged.size >= MAX_LOGGED_KINDS) return
        this.logged.add(kind)
        this.write(
            `gateway ${front}: one input dropped after an internal error (${what}${where ? " " + where : ""}); later ones of this kind are counted, not logged`
        )
    }
}

/** The gateway process's fault log: every front reports here. */
export const gatewayFaults = new FaultLog()

/**
 * Runs `fn`; an exception is reported for `front` and handed to `onFault` (which answers the peer),
 * never rethrown. An exception from `onFault` itself is only counted.
 */
export function guard(front: string, fn: () => void, onFault?: (e: unknown) => void): void {
    try {
        fn()
    } catch (e) {
        gatewayFaults.report(front, e)
        if (!onFault) return
        try {
            onFault(e)
        } catch (e2) {
            gatewayFaults.report(front, e2)
        }
    }
}
