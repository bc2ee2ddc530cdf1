// The gateway end to end with real peers: libcoap's coap-client-notls (UDP) -> gateway -> a board
// simulated in Node (the portable CoapServer and the board link classes) over each binding:
// coap+tcp to the gateway's head-end, and CoAP inside MQTT through a real Mosquitto.
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { startMosquitto, Mosquitto } from "../../helpers/mosquitto"
import { startGateway, Gateway } from "../../../src/host/gateway/gateway"
import { coapClient, countCodes } from "./libcoap"
import { bigText, mqttBoard, SimBoard, tcpBoard } from "./sim-board"
import { resubscribed, until } from "../../helpers/wait"

const TOKEN = "s3cret-token"
const REQUEST_TIMEOUT_MS = 1500
let mosq: Mosquitto
let gw: Gateway
const boards: Record<string, SimBoard> = {}

async function startGw(ports?: Gateway["ports"]): Promise<Gateway> {
    return startGateway({
        coap: { port: ports?.coap ?? 0, upstreamIdleMs: 500 },
        tcp: { port: ports?.tcp ?? 0, requestTimeoutMs: REQUEST_TIMEOUT_MS },
        http: { port: ports?.http ?? 0, token: TOKEN },
        mqtt: { url: mosq.url, requestTimeoutMs: REQUEST_TIMEOUT_MS, discoveryRetryMs: 500 },
    })
}

/**
 * coap-client -v 6 prints a payload of a non-text format three times: `<<hex>>`, a spaced dump,
 * then the raw bytes. Returns the bytes from the hex line (or the text as is).
 */
function unhex(p: string): Buffer {
    const m = /^<<([0-9a-f]+)>>/.exec(p)
    return m ? Buffer.from(m[1], "hex") : Buffer.from(p)
}

function ready(id: string): boolean {
    const b = gw.registry.get(id)
    return !!b && b.online && b.links.length >= 5
}

beforeAll(async () => {
    mosq = await startMosquitto({ persistence: false })
    gw = await startGw()
    boards["tb1"] = tcpBoard("tb1", gw.ports.tcp!)
    boards["mb1"] = mqttBoard("mb1", mosq.url)
    await until(() => ready("tb1") && ready("mb1"), 10000, "both boards registered")
})

afterAll(async () => {
    for (const b of Object.values(boards)) b.stop()
    await gw?.stop()
    await mosq?.stop()
})

const uri = (path: string) => `coap://127.0.0.1:${gw.ports.coap}${path}`
const http = (path: string, init: RequestInit = {}, token: string = TOKEN) =>
    fetch(`http://127.0.0.1:${gw.ports.http}${path}`, {
        ...init,
        headers: { ...(token ? { authorization: "Bearer " + token } : {}), ...(init.headers as Record<string, string>) },
    })

describe.each([
    ["coap+tcp", "tb1"],
    ["MQTT", "mb1"],
])("gateway to a board on the %s binding", (binding, id) => {
    test("discovery: /.well-known/core lists the board's resources under /<id>", async () => {
        const r = await coapClient(["-B", "5", uri("/.well-known/core")])
        expect(r.codes[0]).toBe("2.05")
        expect(r.payload).toContain(`</${id}/sensors/temperature>;rt="temperature";ct="0 50 110 60";obs`)
        expect(r.payload).toContain(`</${id}/actuators/led>`)
        expect(r.payload).toContain(`</${id}/rpc>`)
        const f = await coapClient(["-B", "5", uri("/.well-known/core?rt=humidity")])
        expect(f.payload).toContain(`</${id}/sensors/humidity>`)
        expect(f.payload).not.toContain("temperature")
    })

    test("GET of each sensor in each content format", async () => {
        const cases: [string, string, (p: string) => void][] = [
            ["0", "text/plain", (p) => expect(p).toMatch(/^\d+(\.\d+)?$/)],
            ["50", "application/json", (p) => expect(Object.keys(JSON.parse(p)).length).toBe(1)],
            ["110", "application/senml+json", (p) => expect(JSON.parse(unhex(p).toString())[0].bn).toBe(`urn:dev:${id}:`)],
            // CBOR: one number, major type 7 (float) or 0/1 (integer): first byte tells
            ["60", "application/cbor", (p) => expect([0xf9, 0xfa, 0xfb, 0x18, 0x19]).toContain(unhex(p)[0])],
        ]
        for (const q of ["temperature", "humidity"]) {
            for (const [accept, name, check] of cases) {
                const r = await coapClient(["-B", "5", "-A", accept, uri(`/${id}/sensors/${q}`)])
                expect(r.codes, `${q} as ${name}`).toEqual(["2.05"])
                expect(r.out).toContain(`Content-Format:${name}`)
                check(r.payload)
            }
        }
        const bad = await coapClient(["-B", "5", "-A", "41", uri(`/${id}/sensors/temperature`)])
        expect(bad.codes).toEqual(["4.06"])
    })

    test("CON/NON kept on the UDP side: a NON request gets a NON response, a CON one an ACK", async () => {
        const non = await coapClient(["-B", "5", "-N", uri(`/${id}/sensors/humidity`)])
        expect(non.codes).toEqual(["2.05"])
        expect(non.out).toMatch(/v:1 t:NON c:2\.05/)
        const con = await coapClient(["-B", "5", uri(`/${id}/sensors/humidity`)])
        expect(con.out).toMatch(/v:1 t:ACK c:2\.05/)
    })

    test("PUT to the actuator, then GET shows it", async () => {
        const put = await coapClient(["-B", "5", "-m", "put", "-t", "0", "-e", "on", uri(`/${id}/actuators/led`)])
        expect(put.codes).toEqual(["2.04"])
        expect(boards[id].led).toBe("on")
        const get = await coapClient(["-B", "5", uri(`/${id}/actuators/led`)])
        expect(get.payload).toBe("on")
        const bad = await coapClient(["-B", "5", "-m", "put", "-t", "0", "-e", "blink", uri(`/${id}/actuators/led`)])
        expect(bad.codes).toEqual(["4.00"])
    })

    test("POST /rpc carries a JSON-RPC request and its answer", async () => {
        const r = await coapClient([
            "-B",
            "5",
            "-m",
            "post",
            "-t",
            "50",
            "-e",
            '{"jsonrpc":"2.0","id":7,"method":"sys.info"}',
            uri(`/${id}/rpc`),
        ])
        expect(r.codes).toEqual(["2.04"])
        expect(JSON.parse(r.payload)).toEqual({ jsonrpc: "2.0", id: 7, result: { id, fw: "sim" } })
    })

    test("Block2: a 3000-byte resource arrives whole through the gateway", async () => {
        const r = await coapClient(["-B", "5", "-b", "256", uri(`/${id}/big`)])
        expect(r.codes.length).toBeGreaterThanOrEqual(3)
        expect(r.codes.every((c) => c === "2.05")).toBe(true)
        expect(r.payload).toBe(bigText().trim())
    })

    test("Observe: two clients, ONE upstream observation, >= 3 notifications each", async () => {
        const b = boards[id]
        const outs = ["", ""]
        const clients = outs.map((_, k) =>
            coapClient(["-B", "6", "-s", "3", uri(`/${id}/sensors/temperature`)], 20000, (o) => (outs[k] = o))
        )
        await until(
            () =>
                b.server.observerCount("/sensors/temperature") === 1 && gw.front!.server.observerCount(`/${id}/sensors/temperature`) === 2,
            3000,
            "two downstream observers"
        )
        expect(gw.front!.observations.count()).toBe(1)
        for (let i = 1; i <= 4; i++) {
            b.setTemperature(22 + i)
            // the next change only once both clients have this one (first answer + i notifications)
            await until(() => outs.every((o) => countCodes(o, "2.05") >= 1 + i), 5000, `notification ${i} at both clients`)
        }
        const results = await Promise.all(clients)
        for (const r of results) {
            const ok = r.codes.filter((c) => c === "2.05")
            expect(ok.length).toBeGreaterThanOrEqual(4)
            expect(r.payload).toContain("26")
        }
        // nobody observes any more: the upstream observation is dropped (Observe=1 to the board)
        await until(() => gw.front!.observations.count() === 0, 5000, "upstream observation dropped")
        await until(() => b.server.observerCount("/sensors/temperature") === 0, 3000, "board observer dropped")
    })

    test("HTTP front: RFC 8075 mapping and the bearer token", async () => {
        const noToken = await http(`/devices/${id}/sensors/temperature`, {}, "")
        expect(noToken.status).toBe(401)
        const wrong = await http(`/devices/${id}/sensors/temperature`, {}, "nope")
        expect(wrong.status).toBe(401)
        const get = await http(`/devices/${id}/sensors/temperature`, { headers: { accept: "application/json" } })
        expect(get.status).toBe(200)
        expect(get.headers.get("content-type")).toBe("application/json")
        expect(typeof (await get.json()).temperature).toBe("number")
        const put = await http(`/devices/${id}/actuators/led`, { method: "PUT", body: "off", headers: { "content-type": "text/plain" } })
        expect(put.status).toBe(204)
        expect(boards[id].led).toBe("off")
        const rpc = await http(`/devices/${id}/rpc`, {
            method: "POST",
            body: '{"jsonrpc":"2.0","id":"a","method":"nope"}',
            headers: { "content-type": "application/json" },
        })
        expect(rpc.status).toBe(204)
        const missing = await http(`/devices/${id}/nothing-here`)
        expect(missing.status).toBe(404)
        const list = await (await http(`/devices`)).json()
        expect(list.find((b: { id: string }) => b.id === id).binding).toBe(binding === "MQTT" ? "mqtt" : "tcp")
    })
})

describe("gateway: unknown and gone boards", () => {
    test("an unknown board is 4.04 (UDP) and 404 (HTTP)", async () => {
        const r = await coapClient(["-B", "5", uri("/nosuchboard/sensors/temperature")])
        expect(r.codes).toEqual(["4.04"])
        expect((await http("/devices/nosuchboard/sensors/temperature")).status).toBe(404)
    })
})

describe("gateway: restarts", () => {
    test("MQTT binding keeps working across a broker restart", async () => {
        const boardBack = resubscribed((boards["mb1"] as any).client)
        const gatewayBack = resubscribed(gw.mqtt!.client!)
        await mosq.stop()
        await mosq.start()
        // the broker's restart cost the board its online status (its will): back once the gateway
        // has heard the board's new status and both sides subscribed again
        await until(
            () => boardBack() && gatewayBack() && ready("mb1"),
            10000,
            "both MQTT clients back and subscribed again, the board online"
        )
        const r = await coapClient(["-B", "5", uri("/mb1/sensors/temperature")])
        expect(r.codes).toEqual(["2.05"])
    })

    test("coap+tcp binding keeps working across a head-end (gateway) restart", async () => {
        const ports = gw.ports
        await gw.stop()
        gw = await startGw(ports)
        await until(() => ready("tb1"), 10000, "tcp board re-registered")
        const r = await coapClient(["-B", "5", uri("/tb1/sensors/temperature")])
        expect(r.codes).toEqual(["2.05"])
        await until(() => ready("mb1"), 10000, "mqtt board known again")
        const m = await coapClient(["-B", "5", uri("/mb1/sensors/temperature")])
        expect(m.codes).toEqual(["2.05"])
    })
})

describe.each([
    ["coap+tcp", "tb1"],
    ["MQTT", "mb1"],
])("gateway: the %s board killed during an observation", (binding, id) => {
    test("the observer gets 5.04, later requests get 5.04 quickly", async () => {
        const b = boards[id]
        let out = ""
        const client = coapClient(["-B", "8", "-s", "6", uri(`/${id}/sensors/temperature`)], 20000, (o) => (out = o))
        await until(() => b.server.observerCount("/sensors/temperature") === 1, 3000, "observation up")
        await until(() => countCodes(out, "2.05") >= 1, 5000, "the first answer")
        b.setTemperature(30)
        await until(() => countCodes(out, "2.05") >= 2, 5000, "the notification of 30")
        b.kill()
        const r = await client
        expect(r.codes[0]).toBe("2.05")
        expect(r.codes[r.codes.length - 1]).toBe("5.04")
        // "quickly": sooner than a forwarded request could time out in the gateway, beyond what
        // a request answered at once (an unknown board) takes, coap-client's start-up included
        const c0 = Date.now()
        expect((await coapClient(["-B", "5", uri("/nosuchboard/sensors/temperature")])).codes).toEqual(["4.04"])
        const controlMs = Date.now() - c0
        const t0 = Date.now()
        const after = await coapClient(["-B", "5", uri(`/${id}/sensors/temperature`)])
        expect(after.codes).toEqual(["5.04"])
        expect(Date.now() - t0).toBeLessThan(controlMs + REQUEST_TIMEOUT_MS)
        expect((await http(`/devices/${id}/sensors/temperature`)).status).toBe(504)
    })
})
