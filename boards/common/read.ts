// Reading a Jacdac sensor client with a deadline. A client whose server never answers (a driver
// that failed, or a simulator-only sensor with no devtools) would block reading.read() forever and
// with it the telemetry loop, so each read runs in its own fiber and the caller waits at most
// READ_TIMEOUT_MS; a late fiber finishes harmlessly in the background.
import * as ds from "@devicescript/core"

export const READ_TIMEOUT_MS = 2000

/** A Jacdac sensor client (ds.Temperature...) or anything else with a reading to read. */
export interface SensorClient {
    reading: { read(): Promise<number> }
}

export function readClient(client: SensorClient): () => Promise<number> {
    return async () => {
        // One read: its state lives in this closure (a class would cost the board its methods).
        let value: number = undefined
        let error: string = undefined
        let done = false
        let waiter: ds.Fiber = undefined
        const readIt = async () => {
            try {
                value = await client.reading.read()
            } catch (e) {
                error = (e as Error)?.message || "read failed"
            }
            done = true
            if (waiter && waiter.suspended) waiter.resume(undefined)
        }
        readIt.start()
        if (!done) {
            waiter = ds.Fiber.self()
            await ds.suspend<void>(READ_TIMEOUT_MS)
            waiter = undefined
        }
        if (!done) throw new Error("no reading within " + READ_TIMEOUT_MS + " ms")
        if (error) throw new Error(error)
        return value
    }
}
