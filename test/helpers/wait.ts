// Waiting in Node tests for something another process or an event loop turn brings about.
// Tests wait for the condition a fixed sleep would only have guessed at: a message, a counter,
// a log line, a file the peer rewrote. A test that shows something does NOT happen sends a later
// marker through the same path and waits for it instead of sleeping (see afterMarker).
import { statSync } from "node:fs"

const POLL_MS = 10

const tick = () => new Promise<void>((r) => setTimeout(r, POLL_MS))

/** Resolves once cond() holds; throws after ms, naming what it waited for. */
export async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
    const end = Date.now() + ms
    while (!cond()) {
        if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
        await tick()
    }
}

/**
 * Like until, for a condition that takes I/O to check (a connect, a request through a gateway).
 * cond gets a signal that aborts at the deadline: a check that can hang (a peer that accepts and
 * never answers) ends on it with false, so the wait does not outlast ms. An error cond throws ends
 * the wait with that error.
 */
export async function untilAsync(cond: (deadline: AbortSignal) => Promise<boolean>, ms: number, what: string): Promise<void> {
    const deadline = AbortSignal.timeout(ms)
    while (!(await cond(deadline))) {
        if (deadline.aborted) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
        await tick()
    }
}

/** Resolves with get()'s first value that is not undefined, null or false; throws after ms. */
export async function untilValue<T>(get: () => T | undefined | null | false, ms: number, what: string): Promise<T> {
    let v = get()
    await until(() => (v = get()) !== undefined && v !== null && v !== false, ms, what)
    return v as T
}

/** Like until, but reports a timeout as false instead of throwing (for callers that assert on it). */
export async function holds(cond: () => boolean, ms: number): Promise<boolean> {
    try {
        await until(cond, ms, "")
        return true
    } catch {
        return cond()
    }
}

/**
 * Waits for a line matching re in a growing text (a child process's log), looking only at what
 * was appended after `from` (a length taken earlier with text().length). Resolves with the match.
 */
export async function untilLine(text: () => string, re: RegExp, ms: number, what: string, from = 0): Promise<RegExpExecArray> {
    return untilValue(() => re.exec(text().slice(from)) ?? undefined, ms, `${what} (log line ${re})`)
}

/**
 * Proves a path carries messages now: sends a marker and waits until it comes out the other end.
 * The marker is sent again every resendMs while it has not arrived, for paths that drop what comes
 * too early (a publish before the broker has the subscription, a datagram before the bind).
 */
export async function roundTrip(send: () => unknown, arrived: () => boolean, ms: number, what: string, resendMs = 250): Promise<void> {
    const end = Date.now() + ms
    while (!arrived()) {
        await send()
        const next = Math.min(end, Date.now() + resendMs)
        while (!arrived() && Date.now() < next) await tick()
        if (!arrived() && Date.now() >= end) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    }
}

/**
 * The window of a negative test, closed by a positive control: something that did not happen yet
 * might still be on its way, so send a marker through the same ordered path and wait for it.
 * Once the marker is out, anything sent before it would have come out first.
 */
export async function afterMarker(send: () => unknown, arrived: () => boolean, ms: number, what: string): Promise<void> {
    await send()
    await until(arrived, ms, `the marker ${what}`)
}

/** What resubscribed() needs of an MQTT client (this project's MqttClient). */
export interface CountsPackets {
    on(event: "connect", fn: () => void): unknown
    stats(): { packetsReceived: number }
}

/**
 * Call before a broker restart; the result is true once the client has reconnected and received
 * one more packet after its CONNACK: the SUBACK of the subscriptions it makes again on connect
 * (a broker answers a SUBSCRIBE before it delivers anything on it).
 */
export function resubscribed(client: CountsPackets): () => boolean {
    let atConnack = -1
    client.on("connect", () => {
        if (atConnack < 0) atConnack = client.stats().packetsReceived
    })
    return () => atConnack >= 0 && client.stats().packetsReceived > atConnack
}

/**
 * Identity of a file that another process replaces as a whole (write a temporary, rename over):
 * changes on every replacement. "" while the file does not exist.
 */
export function fileVersion(path: string): string {
    try {
        const s = statSync(path)
        return `${s.ino}:${s.mtimeMs}:${s.size}`
    } catch {
        return ""
    }
}

/** Waits until the file at path has been written again since its version `before` (fileVersion). */
export async function untilRewritten(path: string, before: string, ms: number, what: string): Promise<void> {
    await until(
        () => {
            const now = fileVersion(path)
            return now !== "" && now !== before
        },
        ms,
        what
    )
}
