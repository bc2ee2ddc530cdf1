// The gateway is a service: one HTTP request with a request target it cannot parse (a bad
// percent escape, an unparseable absolute URL) gets 400 Bad Request, and the process, with its
// CoAP front and head-end, keeps serving. Runs `scripts/gateway.ts` as its own process, as
// `npm run gateway` does, so a crash shows as an exit, not as a test-runner error.
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { spawn, type ChildProcess } from "node:child_process"
import { connect } from "node:net"
import { join } from "node:path"
import { exited, track } from "../../helpers/processes"
import { freePort } from "../../helpers/ports"
import { until } from "../../helpers/wait"

const root = join(__dirname, "..", "..", "..")
let gw: ChildProcess
let httpPort = 0
let log = ""

/** One raw HTTP/1.1 request line (curl --path-as-is / --request-target); resolves to the status line. */
function rawRequest(method: string, target: string): Promise<string> {
    return new Promise((resolve, reject) => {
        const s = connect(httpPort, "127.0.0.1")
        let got = ""
        s.on("data", (d) => (got += d.toString("latin1")))
        s.on("error", reject)
        s.on("close", () => resolve(got.split("\r\n")[0]))
        s.write(`${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`)
    })
}

beforeAll(async () => {
    httpPort = await freePort()
    const udp = await freePort()
    const tcp = await freePort()
    gw = track(
        spawn(join(root, "node_modules", ".bin", "tsx"), [join(root, "scripts", "gateway.ts")], {
            env: {
                ...process.env,
                GATEWAY_HTTP_PORT: String(httpPort),
                GATEWAY_COAP_PORT: String(udp),
                GATEWAY_TCP_PORT: String(tcp),
                MQTT_URL: "",
            },
            stdio: ["ignore", "pipe", "pipe"],
        })
    )
    gw.stdout?.on("data", (d: Buffer) => (log += d.toString()))
    gw.stderr?.on("data", (d: Buffer) => (log += d.toString()))
    await until(() => log.includes("HTTP ") || gw.exitCode !== null, 20000, "the gateway listening")
    expect(gw.exitCode, log).toBe(null)
})

afterAll(async () => {
    if (gw && gw.exitCode === null) {
        gw.kill("SIGTERM")
        await exited(gw)
    }
})

describe("HTTP front: request targets it cannot parse", () => {
    test.each([["/devices/x/%ZZ"], ["/devices/x/%C0%AF"], ["/devices/x/abc%"], ["/devices/%E0%A4%A/led"], ["http://[x/devices"]])(
        "%s -> 400, and the gateway still answers",
        async (target) => {
            const status = await rawRequest("GET", target)
            expect(status, log).toMatch(/^HTTP\/1\.1 400 /)
            expect(gw.exitCode, log).toBe(null)
            expect(await rawRequest("GET", "/devices")).toMatch(/^HTTP\/1\.1 200 /)
        }
    )
})

describe("HTTP front: a request that never completes", () => {
    test("a body shorter than its Content-Length does not hold the connection: 408, then closed", async () => {
        const { startGateway } = await import("../../../src/host/gateway/gateway")
        const g = await startGateway({ coap: false, tcp: false, mqtt: false, http: { port: 0, requestTimeoutMs: 400 } })
        try {
            const s = connect(g.ports.http!, "127.0.0.1")
            let got = ""
            let closed = false
            s.on("data", (d) => (got += d.toString("latin1")))
            s.on("close", () => (closed = true))
            s.on("error", () => {})
            s.write("PUT /devices/x/led HTTP/1.1\r\nHost: g\r\nContent-Length: 944\r\n\r\non")
            await until(() => closed, 10000, "the gateway closing the stalled connection")
            expect(got).toMatch(/^HTTP\/1\.1 408 /)
        } finally {
            await g.stop()
        }
    })
})
