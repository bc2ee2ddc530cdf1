// End to end: the DEFAULT firmware (devs/main.ts, sim board) serves its CoAP endpoint inside its MQTT
// session (COAP_BINDING=mqtt, the default) next to telemetry and JSON-RPC. A real Mosquitto carries
// it, the gateway (src/host/gateway) fronts it on UDP, and libcoap's coap-client-notls is the client.
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { startMosquitto, type Mosquitto } from "../helpers/mosquitto"
import { startSimulator, type Simulator, type SimRun } from "../helpers/simulator"
import type { Gateway } from "../../src/host/gateway/gateway"
import { coapClient } from "../interop/coap-tcp/libcoap"
import { boardReady, postRpc, startE2eGateway } from "../helpers/gateway-e2e"
import { resubscribed, until } from "../helpers/wait"

const ID = "e2e0c0ffee00c0a9"
let broker: Mosquitto
let gw: Gateway
let sim: Simulator
let run: SimRun

const ready = () => boardReady(gw, ID)

const uri = (path: string) => `coap://127.0.0.1:${gw.ports.coap}/${ID}${path}`

beforeAll(async () => {
    broker = await startMosquitto({ persistence: false })
    gw = await startE2eGateway({ tcp: false, mqttUrl: broker.url })
    sim = await startSimulator()
    run = await sim.run("devs/main.ts", { deviceId: ID, settings: { MQTT_URL: broker.url, KEEPALIVE_S: 10 } })
    await run.log.waitFor(/^coap: over MQTT on /, 120_000)
    await until(ready, 60_000, "the gateway found the board's CoAP resources over MQTT").catch((e) => {
        console.log(run.log.text?.() ?? "")
        throw e
    })
}, 720_000)

afterAll(async () => {
    await sim?.stop()
    await gw?.stop()
    await broker?.stop()
}, 60_000)

describe("default firmware: CoAP inside the MQTT session, through the gateway", () => {
    test("discovery lists the firmware's resources", async () => {
        const r = await coapClient(["-B", "10", `coap://127.0.0.1:${gw.ports.coap}/.well-known/core`])
        expect(r.codes[0]).toBe("2.05")
        for (const p of ["sensors/temperature", "sensors/humidity", "sensors/pressure", "actuators/led", "device", "config", "rpc"])
            expect(r.payload).toContain(`</${ID}/${p}>`)
    })

    test("GET of each sensor in each content format", async () => {
        for (const q of ["temperature", "humidity", "pressure"]) {
            for (const [accept, name] of [
                ["0", "text/plain"],
                ["50", "application/json"],
                ["110", "application/senml+json"],
                ["112", "application/senml+cbor"],
            ]) {
                const r = await coapClient(["-B", "10", "-A", accept, uri(`/sensors/${q}`)])
                expect(r.codes, `${q} as ${name}`).toEqual(["2.05"])
                expect(r.out).toContain(`Content-Format:${name}`)
            }
            const t = await coapClient(["-B", "10", uri(`/sensors/${q}`)])
            expect(t.payload, q).toMatch(/^-?\d+\.\d+$/)
        }
    })

    test("PUT to the LED, seen by GET and by the led.get method over /rpc", async () => {
        const put = await coapClient(["-B", "10", "-m", "put", "-t", "0", "-e", "on", uri("/actuators/led")])
        expect(put.codes).toEqual(["2.04"])
        const get = await coapClient(["-B", "10", uri("/actuators/led")])
        expect(get.payload).toContain("on")
        const rpc = await postRpc(uri("/rpc"), '{"jsonrpc":"2.0","id":7,"method":"led.get"}')
        expect(JSON.parse(rpc.payload)).toEqual({ jsonrpc: "2.0", id: 7, result: { on: true } })
    })

    test("POST /rpc answers the same methods as devices/<id>/rx", async () => {
        const r = await postRpc(uri("/rpc"), '{"jsonrpc":"2.0","id":1,"method":"sys.info"}')
        expect(r.codes[0].startsWith("2.")).toBe(true)
        const reply = JSON.parse(r.payload)
        expect(reply.id).toBe(1)
        expect(reply.result.board).toBe("sim")
    })

    test("Block2 towards the client: 16-byte blocks of /device, whose uptime changes on every read", async () => {
        const r = await coapClient(["-B", "10", "-b", "16", uri("/device")])
        expect(r.codes.length).toBeGreaterThanOrEqual(2)
        expect(JSON.parse(r.payload).board).toBe("sim")
    }, 40_000)

    test("an observation of a drifting sensor receives >= 3 notifications", async () => {
        const r = await coapClient(["-B", "12", "-s", "10", uri("/sensors/temperature")])
        const ok = r.codes.filter((c) => c === "2.05")
        expect(ok.length).toBeGreaterThanOrEqual(3)
    }, 30_000)

    test("keeps working across a broker restart", async () => {
        const gatewayBack = resubscribed(gw.mqtt!.client!)
        const from = run.log.vm.length
        await broker.stop()
        await broker.start()
        // The board reconnects with backoff: it says "online" once it has subscribed (its CoAP
        // request topic first, at connect) and its status is acknowledged. The gateway reconnects
        // too and subscribes again, and has the board online (again, if the will took it away).
        await run.log.waitFor(/^mqtt: online as /, 60_000, from)
        await until(() => gatewayBack() && ready(), 60_000, "the gateway subscribed again with the board online")
        const r = await coapClient(["-B", "3", uri("/sensors/humidity")])
        expect(r.codes).toEqual(["2.05"])
    }, 90_000)
})
