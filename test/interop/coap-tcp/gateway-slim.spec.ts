// A board with the firmware's MQTT endpoint (src/coap/server/board-coap.ts, one representation and one
// observer per resource) behind the real gateway and a real Mosquitto; libcoap's coap-client-notls
// and HTTP are the clients. What the gateway does on the board's behalf (formats, JSON LED PUT,
// ETag validation, one upstream observation fanned out to observers asking for different formats)
// must look to clients exactly like the board's full server.
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { startMosquitto, Mosquitto } from "../../helpers/mosquitto"
import { startGateway, Gateway } from "../../../src/host/gateway/gateway"
import { coapClient } from "./libcoap"
import { slimBoard } from "./sim-board"
import { until } from "../../helpers/wait"
import { senmlToCbor } from "../../../src/coap/formats/senml"

let mosq: Mosquitto
let gw: Gateway
let board: ReturnType<typeof slimBoard>
const ID = "slim1"

beforeAll(async () => {
    mosq = await startMosquitto({ persistence: false })
    gw = await startGateway({
        coap: { port: 0, upstreamIdleMs: 500 },
        tcp: false,
        http: { port: 0 },
        mqtt: { url: mosq.url, requestTimeoutMs: 1500, discoveryRetryMs: 500 },
    })
    board = slimBoard(ID, mosq.url)
    await until(
        () => {
            const b = gw.registry.get(ID)
            return !!b && b.online && b.links.length >= 5
        },
        10000,
        "the board's resources learned over MQTT"
    )
})

afterAll(async () => {
    board?.stop()
    await gw?.stop()
    await mosq?.stop()
})

const uri = (path: string) => `coap://127.0.0.1:${gw.ports.coap}/${ID}${path}`

function unhex(p: string): Buffer {
    const m = /^<<([0-9a-f]+)>>/.exec(p)
    return m ? Buffer.from(m[1], "hex") : Buffer.from(p)
}

describe("a board with one representation per resource, through the gateway", () => {
    test("each sensor in each format, as the full server gives it", async () => {
        const bn = `urn:dev:id:${ID}:`
        const cases: [string, string, string][] = [
            ["0", "text/plain", "21.50"],
            ["50", "application/json", '{"value":21.50,"unit":"Cel"}'],
            ["110", "application/senml+json", `[{"bn":"${bn}","n":"temperature","u":"Cel","v":21.5}]`],
        ]
        for (const [accept, name, body] of cases) {
            const r = await coapClient(["-B", "5", "-A", accept, uri("/sensors/temperature")])
            expect(r.codes, name).toEqual(["2.05"])
            expect(r.out).toContain(`Content-Format:${name}`)
            expect(unhex(r.payload).toString()).toBe(body)
        }
        const cbor = await coapClient(["-B", "5", "-v", "6", "-A", "112", uri("/sensors/temperature")])
        expect(unhex(cbor.payload).toString("hex")).toBe(senmlToCbor([{ bn, n: "temperature", u: "Cel", v: 21.5 }]).toString("hex"))
        const plain = await coapClient(["-B", "5", uri("/sensors/humidity")])
        expect(plain.payload).toBe("40.5")
        const pack = await coapClient(["-B", "5", "-A", "50", uri("/sensors")])
        expect(pack.payload).toBe('{"temperature":21.50,"humidity":40.5}')
        const bad = await coapClient(["-B", "5", "-A", "60", uri("/sensors/temperature")])
        expect(bad.codes).toEqual(["4.06"])
    })

    test("HTTP Accept is served the same way, and 406 for a format the resource has not", async () => {
        const j = await fetch(`http://127.0.0.1:${gw.ports.http}/devices/${ID}/sensors/temperature`, {
            headers: { accept: "application/json" },
        })
        expect(j.status).toBe(200)
        expect(await j.text()).toBe('{"value":21.50,"unit":"Cel"}')
        const t = await fetch(`http://127.0.0.1:${gw.ports.http}/devices/${ID}/sensors/temperature`)
        expect(await t.text()).toBe("21.50")
        const x = await fetch(`http://127.0.0.1:${gw.ports.http}/devices/${ID}/device`, { headers: { accept: "application/senml+json" } })
        expect(x.status).toBe(406)
    })

    test("the LED: a JSON PUT, then JSON and text GETs", async () => {
        const put = await coapClient(["-B", "5", "-m", "put", "-t", "50", "-e", '{"on":true}', uri("/actuators/led")])
        expect(put.codes).toEqual(["2.04"])
        expect(board.model.led).toBe(true)
        expect((await coapClient(["-B", "5", "-A", "50", uri("/actuators/led")])).payload).toBe('{"on":true}')
        expect((await coapClient(["-B", "5", uri("/actuators/led")])).payload).toBe("on")
        const bad = await coapClient(["-B", "5", "-m", "put", "-t", "50", "-e", '{"on":1}', uri("/actuators/led")])
        expect(bad.codes).toEqual(["4.00"])
        expect(board.model.led).toBe(true)
    })

    test("/config: validated by the board; its ETag comes from the representation", async () => {
        const bad = await coapClient(["-B", "5", "-m", "put", "-t", "50", "-e", '{"X":1}', uri("/config")])
        expect(bad.codes).toEqual(["4.00"])
        const get = await coapClient(["-B", "5", "-v", "7", uri("/config")])
        expect(get.codes).toEqual(["2.05"])
        expect(get.out).toMatch(/ETag/)
    })

    test("Observe: observers asking for different formats share ONE upstream observation", async () => {
        const text = coapClient(["-B", "5", "-s", "4", uri("/sensors/temperature")])
        const json = coapClient(["-B", "5", "-s", "4", "-A", "50", uri("/sensors/temperature")])
        await until(() => gw.front!.server.observerCount(`/${ID}/sensors/temperature`) === 2, 5000, "both observers registered")
        expect(gw.front!.observations.count()).toBe(1)
        const seen = () => gw.front!.observations.current(ID, "/sensors/temperature", 0).response.payload.toString()
        for (const [v, text] of [
            [22, "22.00"],
            [22.25, "22.25"],
            [23, "23.00"],
        ] as const) {
            board.model.temperature = v
            board.changed()
            await until(() => seen() === text, 5000, "the gateway's notification of " + text)
        }
        const [t, j] = await Promise.all([text, json])
        expect(t.out).toContain("23.00")
        expect(j.out).toContain('{"value":23.00,"unit":"Cel"}')
        expect(t.codes.filter((c) => c === "2.05").length).toBeGreaterThanOrEqual(3)
        expect(j.codes.filter((c) => c === "2.05").length).toBeGreaterThanOrEqual(3)
    })

    test("POST /rpc", async () => {
        const r = await coapClient(["-B", "5", "-m", "post", "-t", "50", "-e", '{"jsonrpc":"2.0","id":4,"method":"sys.ping"}', uri("/rpc")])
        expect(r.codes).toEqual(["2.05"])
        expect(JSON.parse(r.payload)).toEqual({ jsonrpc: "2.0", id: 4, result: "pong" })
    })
})
