// Reading a Jacdac sensor client with a deadline. A client whose server never answers (a driver
// that failed, or a simulator-only sensor with no devtools) would block reading.read() forever and
// with it the telemetry loop, so each read runs in its own fiber and the caller waits at most
// READ_TIMEOUT_MS; a late fiber finishes harmlessly in the background.
import * as ds from "@devicescript/core"

export const READ_TIMEOUT_MS = 2000

interface SensorClient {
    reading: ds.Register<number>
}

class PendingRead {
    value: number = undefined
    error: string = undefined
    done = false
    waiter: ds.Fiber = undefined

    finish(): void {
        this.done = true
        const w = this.waiter
        this.waiter = undefined
        if (w && w.suspended) w.resume(undefined)
    }
}

async function readInto(client: SensorClient, p: PendingRead): Promise<void> {
    try {
        p.value = await client.reading.read()
    } catch (e) {
        p.error = (e as Error)?.message || "read failed"
    }
    p.finish()
}

export function readClient(client: SensorClient): () => Promise<number> {
    return async () => {
        const p = new PendingRead()
        readInto.start(client, p)
        if (!p.done) {
            p.waiter = ds.Fiber.self()
            await ds.suspend<void>(READ_TIMEOUT_MS)
            p.waiter = undefined
        }
        if (!p.done) throw new Error("no reading within " + READ_TIMEOUT_MS + " ms")
        if (p.error) throw new Error(p.error)
        return p.value
    }
}
