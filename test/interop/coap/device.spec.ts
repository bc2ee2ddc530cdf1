// The firmware's resource set (src/coap/server/device-resources.ts) on the UDP host binding with a
// simulated board running the firmware's application (src/host/sim-device.ts), driven by libcoap's
// coap-client-notls: what `npm run coap` serves.
import { describe, test, expect, beforeAll, afterAll } from "vitest"
import { startCoapUdpServer, CoapUdpServer } from "../../../src/host/coap-udp"
import { SimDevice, startSimDevice } from "../../../src/host/sim-device"
import { installDeviceResources } from "../../../src/coap/server/device-resources"
import { senmlFromCbor } from "../../../src/coap/formats/senml"
import { parseLinks } from "../../../src/coap/formats/linkformat"
import { coapClient, requireCoapClient, spawnClient } from "./client"
import { until } from "../../helpers/wait"
import { readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

let ep: CoapUdpServer
let device: SimDevice
let timer: NodeJS.Timeout
let base: string

beforeAll(async () => {
    requireCoapClient()
    ep = await startCoapUdpServer({ host: "127.0.0.1", port: 0 })
    device = await startSimDevice("sim-test-01")
    const notify = installDeviceResources(ep.server, device.model, { sensorMaxAge: 2 })
    device.onLedChange = notify.ledChanged
    timer = setInterval(async () => {
        device.step()
        if (await device.refresh()) notify.sensorsChanged()
    }, 300)
    base = `coap://127.0.0.1:${ep.port}`
})
afterAll(async () => {
    clearInterval(timer)
    await ep.close()
})

const out = (r: { stdout: string }) => (r.stdout.endsWith("\n") ? r.stdout.slice(0, -1) : r.stdout)

describe("device resources over UDP (coap-client-notls)", () => {
    test("discovery lists sensors, actuator, device, config and rpc", async () => {
        const r = await coapClient(["-B", "3", `${base}/.well-known/core`])
        const hrefs = parseLinks(out(r)).map((l) => l.href)
        expect(hrefs).toEqual([
            "/sensors",
            "/sensors/temperature",
            "/sensors/humidity",
            "/sensors/pressure",
            "/actuators/led",
            "/device",
            "/config",
            "/rpc",
        ])
    })

    test("each sensor in text/plain, JSON, SenML JSON and SenML CBOR", async () => {
        for (const q of ["temperature", "humidity", "pressure"]) {
            const t = out(await coapClient(["-B", "3", `${base}/sensors/${q}`]))
            expect(t).toMatch(/^-?\d+(\.\d+)?$/)
            const j = JSON.parse(out(await coapClient(["-B", "3", "-A", "50", `${base}/sensors/${q}`])))
            expect(typeof j.value).toBe("number")
            const sj = JSON.parse(out(await coapClient(["-B", "3", "-A", "110", `${base}/sensors/${q}`])))
            expect(sj[0].n).toBe(q)
            // CBOR is binary: -o writes the exact payload (stdout may get a newline appended)
            const file = join(tmpdir(), `coap-senml-${process.pid}-${q}.cbor`)
            await coapClient(["-B", "3", "-A", "112", "-o", file, `${base}/sensors/${q}`])
            const recs = senmlFromCbor(readFileSync(file))
            rmSync(file, { force: true })
            expect(recs[0].n).toBe(q)
            expect(typeof recs[0].v).toBe("number")
        }
    })

    test("an unservable Accept gets 4.06", async () => {
        const r = await coapClient(["-B", "3", "-A", "41", `${base}/sensors/temperature`])
        expect(r.stdout + r.stderr).toContain("4.06")
    })

    test("observe a sensor: at least 3 notifications", async () => {
        const c = spawnClient(["-s", "2", "-B", "3", "-w", `${base}/sensors/temperature`])
        await c.exited
        const lines = c
            .stdout()
            .split("\n")
            .filter((l) => l.length > 0)
        expect(lines.length >= 4).toBe(true)
        for (const l of lines) expect(l).toMatch(/^-?\d+\.\d\d$/)
    })

    test("the LED: PUT on, GET, observe a change made through /rpc led.set", async () => {
        await coapClient(["-B", "3", "-m", "put", "-e", "on", `${base}/actuators/led`])
        expect(out(await coapClient(["-B", "3", `${base}/actuators/led`]))).toBe("on")
        const watch = spawnClient(["-s", "2", "-B", "3", "-w", `${base}/actuators/led`])
        await until(() => ep.server.observerCount("/actuators/led") === 1, 3000, "the LED observer registered")
        const rpc = await coapClient([
            "-B",
            "3",
            "-m",
            "post",
            "-t",
            "50",
            "-e",
            '{"jsonrpc":"2.0","id":3,"method":"led.set","params":{"on":false}}',
            `${base}/rpc`,
        ])
        expect(JSON.parse(out(rpc))).toEqual({ jsonrpc: "2.0", id: 3, result: { on: false } })
        await watch.exited
        expect(
            watch
                .stdout()
                .split("\n")
                .filter((l) => l.length > 0)
        ).toEqual(["on", "off"])
        const bad = await coapClient(["-B", "3", "-m", "put", "-e", "dim", `${base}/actuators/led`])
        expect(bad.stdout + bad.stderr).toContain("4.00")
    })

    test("/device, /config and /rpc with JSON-RPC errors", async () => {
        const info = JSON.parse(out(await coapClient(["-B", "3", `${base}/device`])))
        expect(info.id).toBe("sim-test-01")
        expect(info.board).toBe("host-sim")
        expect(info.firmware).toBe("devs-link")
        const ok = await coapClient(["-B", "3", "-m", "put", "-t", "50", "-e", '{"TELEMETRY_MS":30000}', `${base}/config`])
        expect(ok.stdout + ok.stderr).not.toContain("4.")
        // the accepted change is saved in the background, as on a board
        await until(() => device.app.deps.config.get("TELEMETRY_MS") === 30000, 3000, "TELEMETRY_MS saved")
        expect(JSON.parse(out(await coapClient(["-B", "3", `${base}/config`]))).TELEMETRY_MS).toBe(30000)
        const bad = await coapClient(["-B", "3", "-m", "put", "-t", "50", "-e", '{"TELEMETRY_MS":-1}', `${base}/config`])
        expect(bad.stdout + bad.stderr).toContain("4.00")
        const unknownKey = await coapClient(["-B", "3", "-m", "put", "-t", "50", "-e", '{"interval":30}', `${base}/config`])
        expect(unknownKey.stdout + unknownKey.stderr).toContain("4.00")
        expect(device.app.deps.config.get("TELEMETRY_MS")).toBe(30000)
        // /rpc is the firmware's dispatcher: the same setting read back by config.get
        const got = JSON.parse(
            out(
                await coapClient([
                    "-B",
                    "3",
                    "-m",
                    "post",
                    "-t",
                    "50",
                    "-e",
                    '{"jsonrpc":"2.0","id":8,"method":"config.get","params":{"key":"TELEMETRY_MS"}}',
                    `${base}/rpc`,
                ])
            )
        )
        expect(got).toEqual({ jsonrpc: "2.0", id: 8, result: { TELEMETRY_MS: 30000 } })
        const unknown = JSON.parse(
            out(await coapClient(["-B", "3", "-m", "post", "-t", "50", "-e", '{"jsonrpc":"2.0","id":9,"method":"nope"}', `${base}/rpc`]))
        )
        expect(unknown.error.code).toBe(-32601)
        const parse = JSON.parse(out(await coapClient(["-B", "3", "-m", "post", "-t", "50", "-e", "{nope", `${base}/rpc`])))
        expect(parse.error.code).toBe(-32700)
    })
})
