// untilAsync's deadline reaches into a check that is still open: a peer that accepts a connection
// and never answers must not hold the wait (test/helpers/broker-cluster.ts waits for nodes so).
import { createServer, connect, type Server, type Socket } from "node:net"
import { afterEach, describe, expect, test } from "vitest"
import { untilAsync } from "../../helpers/wait"

/** Connects and resolves true on the first byte back, false on a close or once deadline aborts. */
function answers(port: number, deadline: AbortSignal): Promise<boolean> {
    return new Promise((resolve) => {
        const s = connect(port, "127.0.0.1")
        const abort = () => s.destroy()
        deadline.addEventListener("abort", abort, { once: true })
        s.once("data", () => {
            s.destroy()
            resolve(true)
        })
        s.once("error", () => resolve(false))
        s.once("close", () => {
            deadline.removeEventListener("abort", abort)
            resolve(false)
        })
    })
}

describe("untilAsync", () => {
    let server: Server | undefined
    const held: Socket[] = []
    afterEach(async () => {
        for (const s of held.splice(0)) s.destroy()
        await new Promise((r) => server?.close(r))
    })

    test("the deadline ends a check whose peer accepts and never answers, and the wait reports a timeout", async () => {
        server = createServer((s) => held.push(s))
        await new Promise<void>((r) => server?.listen(0, "127.0.0.1", r))
        const port = (server.address() as { port: number }).port
        let checks = 0
        const waited = untilAsync(
            (deadline) => {
                checks++
                return answers(port, deadline)
            },
            300,
            "a peer that never answers"
        )
        await expect(waited).rejects.toThrow("timed out after 300 ms waiting for a peer that never answers")
        // the one check never came back on its own: only the deadline ended it
        expect(checks).toBe(1)
        expect(held.length).toBe(1)
    })

    test("an error the check throws ends the wait with that error", async () => {
        await expect(
            untilAsync(
                async () => {
                    throw new Error("the peer exited")
                },
                5000,
                "anything"
            )
        ).rejects.toThrow("the peer exited")
    })
})
