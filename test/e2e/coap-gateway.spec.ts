// (In test/e2e so npm test runs it in the serial pass: two VMs with GC stress are CPU-heavy.)
// End to end with the board in the DeviceScript simulator (test mode: sockets work, no devtools):
// coap-client-notls (UDP) -> gateway -> the firmware's CoAP endpoint running in the VM on each
// binding: coap+tcp (devs/coap-over-tcp.ts: the full server with src/coap/server/device-resources) and
// inside MQTT through a real Mosquitto (devs/coap-over-mqtt.ts: src/coap/server/board-coap.ts, whose
// formats the gateway makes).
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { startMosquitto, Mosquitto } from "../helpers/mosquitto"
import { startTestEntry, SimRun } from "../helpers/simulator"
import type { Gateway } from "../../src/host/gateway/gateway"
import { coapClient, countCodes } from "../interop/coap-tcp/libcoap"
import { boardReady, GATEWAY_REQUEST_TIMEOUT_MS, postRpc, startE2eGateway } from "../helpers/gateway-e2e"
import { until } from "../helpers/wait"

let mosq: Mosquitto
let gw: Gateway
const vms: Record<string, SimRun> = {}

const ready = (id: string) => boardReady(gw, id)

beforeAll(async () => {
    mosq = await startMosquitto({ persistence: false })
    gw = await startE2eGateway({ mqttUrl: mosq.url })
    vms["simboard1"] = startTestEntry("test/devs/coap-tcp-board.ts", {
        env: { HEADEND_PORT: gw.ports.tcp!, BOARD_ID: "simboard1" },
        timeoutMs: 180_000,
    })
    vms["simboard2"] = startTestEntry("test/devs/coap-mqtt-board.ts", {
        env: { BROKER_PORT: mosq.port, BOARD_ID: "simboard2" },
        timeoutMs: 180_000,
    })
    try {
        await until(() => ready("simboard1") && ready("simboard2"), 90_000, "both simulated boards registered")
    } catch (e) {
        for (const [id, vm] of Object.entries(vms)) console.log(id, vm.log.text?.() ?? "")
        throw e
    }
}, 120_000)

afterAll(async () => {
    for (const vm of Object.values(vms)) await vm.stop()
    await gw?.stop()
    await mosq?.stop()
})

const uri = (path: string) => `coap://127.0.0.1:${gw.ports.coap}${path}`

describe.each([
    ["coap+tcp", "simboard1"],
    ["MQTT", "simboard2"],
])("simulated board on the %s binding, through the gateway", (binding, id) => {
    test("discovery lists the firmware's resources", async () => {
        const r = await coapClient(["-B", "10", uri("/.well-known/core")])
        expect(r.codes[0]).toBe("2.05")
        for (const p of ["sensors/temperature", "sensors/humidity", "actuators/led", "device", "config", "rpc"])
            expect(r.payload).toContain(`</${id}/${p}>`)
    })

    test("GET of each sensor in each content format", async () => {
        for (const q of ["temperature", "humidity"]) {
            for (const [accept, name] of [
                ["0", "text/plain"],
                ["50", "application/json"],
                ["110", "application/senml+json"],
                ["112", "application/senml+cbor"],
            ]) {
                const r = await coapClient(["-B", "10", "-A", accept, uri(`/${id}/sensors/${q}`)])
                expect(r.codes, `${q} as ${name}`).toEqual(["2.05"])
                expect(r.out).toContain(`Content-Format:${name}`)
            }
        }
        const t = await coapClient(["-B", "10", uri(`/${id}/sensors/humidity`)])
        expect(t.payload).toBe("40.5")
    })

    test("PUT to the actuator", async () => {
        const put = await coapClient(["-B", "10", "-m", "put", "-t", "0", "-e", "on", uri(`/${id}/actuators/led`)])
        expect(put.codes).toEqual(["2.04"])
        const get = await coapClient(["-B", "10", uri(`/${id}/actuators/led`)])
        expect(get.payload).toContain("on")
    })

    test("POST /rpc", async () => {
        const r = await postRpc(uri(`/${id}/rpc`), '{"jsonrpc":"2.0","id":1,"method":"sys.ping"}')
        expect(r.codes[0].startsWith("2.")).toBe(true)
        expect(r.payload).toContain('"result":"pong"')
    })

    test("Block2 towards the client (16-byte blocks of /device)", async () => {
        const r = await coapClient(["-B", "10", "-b", "16", uri(`/${id}/device`)])
        expect(r.codes.length).toBeGreaterThanOrEqual(2)
        expect(JSON.parse(r.payload).board).toBe("sim")
    })

    test("an observation receives >= 3 notifications", async () => {
        const r = await coapClient(["-B", "8", "-s", "4", uri(`/${id}/sensors/temperature`)])
        const ok = r.codes.filter((c) => c === "2.05")
        expect(ok.length).toBeGreaterThanOrEqual(4)
        expect(new Set(r.observes.filter((o) => o !== "")).size).toBe(ok.length)
    })
})

describe.each([
    ["coap+tcp", "simboard1"],
    ["MQTT", "simboard2"],
])("simulated board on the %s binding killed during an observation", (binding, id) => {
    test("the client gets 5.04, then 5.04 at once", async () => {
        let out = ""
        const client = coapClient(["-B", "10", "-s", "8", uri(`/${id}/sensors/temperature`)], 20_000, (o) => (out = o))
        await until(() => countCodes(out, "2.05") >= 1, 10_000, "the observation registered")
        await vms[id].stop()
        const r = await client
        expect(r.codes[0]).toBe("2.05")
        expect(r.codes[r.codes.length - 1]).toBe("5.04")
        // "at once": sooner than a forwarded request could time out in the gateway, beyond what a
        // request answered at once (an unknown board) takes, coap-client's start-up included
        const c0 = Date.now()
        expect((await coapClient(["-B", "5", uri("/nosuchboard/sensors/temperature")])).codes).toEqual(["4.04"])
        const controlMs = Date.now() - c0
        const t0 = Date.now()
        const after = await coapClient(["-B", "5", uri(`/${id}/sensors/temperature`)])
        expect(after.codes).toEqual(["5.04"])
        expect(Date.now() - t0).toBeLessThan(controlMs + GATEWAY_REQUEST_TIMEOUT_MS)
    }, 30_000)
})
