// Runs test/devs/adapters.ts (DeviceScript adapters) in the simulator's test mode against a real
// TCP echo server on a free loopback port.
import { createServer, type Server, type Socket } from "node:net"
import { afterAll, beforeAll, expect, test } from "vitest"
import { freePort } from "../../helpers/ports"
import { runTestEntry } from "../../helpers/simulator"

let server: Server
let port = 0
const sockets = new Set<Socket>()

beforeAll(async () => {
    server = createServer((s) => {
        sockets.add(s)
        s.on("close", () => sockets.delete(s))
        s.on("error", () => {})
        s.on("data", (d) => {
            // "BYE" asks the server to hang up: the adapter must report the peer's close.
            if (d.toString() === "BYE") s.end()
            else s.write(d)
        })
    })
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()))
    const a = server.address()
    port = typeof a === "object" && a ? a.port : 0
})

afterAll(async () => {
    for (const s of sockets) s.destroy()
    await new Promise((r) => server.close(r))
})

test("DeviceScript adapters pass in the simulator", async () => {
    const r = await runTestEntry("test/devs/adapters.ts", {
        env: { ECHO_PORT: port, CLOSED_PORT: await freePort() },
        timeoutMs: 60_000,
    })
    if (r.code !== 0) console.log(r.log.text())
    expect(r.log.panicCode()).toBe(undefined)
    expect(r.code).toBe(0)
    // @devicescript/test's summary: every registered test ran and passed.
    const summary = r.log.find(/^tests: (\d+), pass: (\d+), error: (\d+)/)
    expect(summary).toBeTruthy()
    const [, total, pass, errors] = summary!.match
    expect(Number(errors)).toBe(0)
    expect(Number(pass)).toBe(Number(total))
    expect(Number(total)).toBeGreaterThanOrEqual(13)
}, 90_000)
