// End to end: the CoAP firmware build (devs/main-coap.ts via test/devs/e2e/coap-firmware.ts) in the
// simulator (test mode), dialling the gateway's RFC 8323 head-end; coap-client-notls (UDP) reaches
// the application's sensors, LED, settings and JSON-RPC methods through the gateway.
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { startTestEntry, SimRun } from "../helpers/simulator"
import type { Gateway } from "../../src/host/gateway/gateway"
import { coapClient, countCodes } from "../interop/coap-tcp/libcoap"
import { boardReady, postRpc, startE2eGateway } from "../helpers/gateway-e2e"
import { until, untilAsync } from "../helpers/wait"

const ID = "coapfw1"
let gw: Gateway
let vm: SimRun

beforeAll(async () => {
    gw = await startE2eGateway()
    vm = startTestEntry("test/devs/e2e/coap-firmware.ts", { env: { HEADEND_PORT: gw.ports.tcp!, BOARD_ID: ID }, timeoutMs: 180_000 })
    try {
        await until(() => boardReady(gw, ID), 90_000, "the CoAP firmware registered")
    } catch (e) {
        console.log(vm.log.text?.() ?? "")
        throw e
    }
}, 120_000)

afterAll(async () => {
    await vm?.stop()
    await gw?.stop()
})

const uri = (path: string) => `coap://127.0.0.1:${gw.ports.coap}/${ID}${path}`

/** devs/coap-binding.ts reads the LED this often. */
const SAMPLE_MS = 1000

/** The board's uptime (ms) from /device. */
const boardUptime = async (): Promise<number> => JSON.parse((await coapClient(["-B", "10", uri("/device")])).payload).uptime_ms

/** The board applies a PUT after answering 2.04 (a LED write, a flash save): GET until it shows. */
const readsBack = (path: string, ok: (payload: string) => boolean, what: string) =>
    untilAsync(async () => ok((await coapClient(["-B", "10", uri(path)])).payload), 20_000, what)

describe("CoAP firmware (devs/main-coap.ts) through the gateway", () => {
    test("every sensor of the sim board, as text and SenML CBOR", async () => {
        for (const q of ["temperature", "humidity", "pressure"]) {
            const t = await coapClient(["-B", "10", uri(`/sensors/${q}`)])
            expect(t.codes, q).toEqual(["2.05"])
            expect(t.payload).toMatch(/^-?\d+\.\d+$/)
            const c = await coapClient(["-B", "10", "-A", "112", uri(`/sensors/${q}`)])
            expect(c.out).toContain("Content-Format:application/senml+cbor")
        }
        const all = await coapClient(["-B", "10", "-A", "50", uri("/sensors")])
        expect(Object.keys(JSON.parse(all.payload))).toEqual(["temperature", "humidity", "pressure"])
    })

    test("/device names the application's device id and board", async () => {
        const r = await coapClient(["-B", "10", uri("/device")])
        const d = JSON.parse(r.payload)
        expect(d.id).toBe(ID)
        expect(d.board).toBe("sim")
    })

    test("POST /rpc reaches the firmware's JSON-RPC methods", async () => {
        const r = await postRpc(uri("/rpc"), '{"jsonrpc":"2.0","id":7,"method":"sys.info"}')
        const reply = JSON.parse(r.payload)
        expect(reply.id).toBe(7)
        expect(reply.result.device_id).toBe(ID)
    })

    test("PUT /actuators/led switches the board's LED", async () => {
        const put = await coapClient(["-B", "10", "-m", "put", "-t", "0", "-e", "on", uri("/actuators/led")])
        expect(put.codes).toEqual(["2.04"])
        await readsBack("/actuators/led", (p) => p === "on", "the LED on")
    })

    test("an observer of /actuators/led hears a change made through /rpc led.set", async () => {
        await coapClient(["-B", "10", "-m", "put", "-t", "0", "-e", "on", uri("/actuators/led")])
        await readsBack("/actuators/led", (p) => p === "on", "the LED on")
        // The firmware notifies LED observers from a 1 s sampler (devs/coap-binding.ts), which
        // must have seen the LED on before it can see it go off. It says nothing when it samples,
        // so wait on the board's own clock (uptime in /device) for two of its periods.
        const t0 = await boardUptime()
        await untilAsync(async () => (await boardUptime()) >= t0 + 2 * SAMPLE_MS, 20_000, "two LED sampling periods on the board's clock")
        let out = ""
        const obs = coapClient(["-B", "6", "-s", "5", uri("/actuators/led")], 20_000, (o) => (out = o))
        // the observation is up once its registration is answered (through the gateway, by the board)
        await until(() => countCodes(out, "2.05") >= 1, 10_000, "the LED observation registered")
        await postRpc(uri("/rpc"), '{"jsonrpc":"2.0","id":8,"method":"led.set","params":{"on":false}}')
        const r = await obs
        const ok = r.codes.filter((c) => c === "2.05")
        expect(ok.length).toBeGreaterThanOrEqual(2)
        expect(r.out).toContain("off")
    }, 20_000)

    test("PUT /config validates with the settings schema, then saves", async () => {
        const bad = await coapClient(["-B", "10", "-m", "put", "-t", "50", "-e", '{"TELEMETRY_MS":5}', uri("/config")])
        expect(bad.codes).toEqual(["4.00"])
        const ok = await coapClient(["-B", "10", "-m", "put", "-t", "50", "-e", '{"TELEMETRY_MS":5000}', uri("/config")])
        expect(ok.codes).toEqual(["2.04"])
        await readsBack("/config", (p) => JSON.parse(p).TELEMETRY_MS === 5000, "TELEMETRY_MS 5000 saved")
    })

    test("input is checked where it enters: a repeated id runs once, settings typed strictly, one version", async () => {
        const post = async (body: string) => {
            const r = await postRpc(uri("/rpc"), body)
            return { codes: r.codes, reply: r.payload ? JSON.parse(r.payload) : undefined }
        }
        const on = await post('{"jsonrpc":"2.0","method":"led.set","params":{"on":true},"id":"dup-1"}')
        expect(on.reply.result).toEqual({ on: true })
        const again = await post('{"jsonrpc":"2.0","method":"led.set","params":{"on":false},"id":"dup-1"}')
        expect(again.reply.error.code).toBe(-32600)
        expect((await post('{"jsonrpc":"2.0","method":"led.get","id":"dup-2"}')).reply.result).toEqual({ on: true })
        const typed = await post('{"jsonrpc":"2.0","method":"config.set","params":{"settings":{"TELEMETRY_MS":"5000"}},"id":"typed"}')
        expect(typed.reply.error.code).toBe(-32602)
        // over the board's 1,024 B request limit: -32600 from the board; over its Max-Message-Size
        // (1,152 B, RFC 8323 5.3.1): 4.13 from the gateway, which never sends it
        const pad = (n: number) => '{"jsonrpc":"2.0","method":"led.get","id":"long","params":{"pad":"' + "x".repeat(n) + '"}}'
        expect((await post(pad(1000))).reply.error.code).toBe(-32600)
        expect((await post(pad(1100))).codes).toEqual(["4.13"])
        // one version: the runtime's start banner and the firmware's (package.json's, stamped by the compiler)
        const info = await post('{"jsonrpc":"2.0","method":"sys.info","id":"ver"}')
        const v = info.reply.result.version as string
        expect(vm.log.vm.filter((l) => /^start: devs-link /.test(l)).pop()).toContain(" " + v)
        expect(vm.log.vm.some((l) => l.includes("devs-link " + v + " (CoAP over TCP)"))).toBe(true)
    }, 60_000)

    test("keeps working across a head-end (gateway) restart: the board reconnects and registers again", async () => {
        const tcpPort = gw.ports.tcp!
        const coapPort = gw.ports.coap!
        await gw.stop()
        gw = await startE2eGateway({ coapPort, tcpPort })
        await until(() => boardReady(gw, ID), 60_000, "the CoAP firmware registered with the restarted head-end")
        const r = await coapClient(["-B", "10", uri("/sensors/temperature")])
        expect(r.codes).toEqual(["2.05"])
    }, 90_000)
})
