// The UDP CoAP front's access check, with libcoap's real client: without the token (or with a
// wrong one) a request gets 4.01 and never reaches the board; with `?at=<token>` it does.
import { afterAll, beforeAll, expect, test } from "vitest"
import { startGateway, Gateway } from "../../../src/host/gateway/gateway"
import { coapClient } from "./libcoap"
import { until } from "../../helpers/wait"
import { SimBoard, tcpBoard } from "./sim-board"

const TOKEN = "coap-front-secret"
let gw: Gateway
let board: SimBoard

beforeAll(async () => {
    gw = await startGateway({ coap: { port: 0, token: TOKEN }, tcp: { port: 0, requestTimeoutMs: 1500 }, http: false })
    board = tcpBoard("acc1", gw.ports.tcp!)
    await until(() => !!gw.registry.get("acc1")?.online, 10000, "the board to register")
})

afterAll(async () => {
    board?.stop()
    await gw?.stop()
})

const uri = (path: string) => `coap://127.0.0.1:${gw.ports.coap}${path}`

test("no token: 4.01 Unauthorized", async () => {
    const r = await coapClient(["-B", "5", uri("/acc1/sensors/temperature")])
    expect(r.codes).toEqual(["4.01"])
})

test("wrong token: 4.01 Unauthorized", async () => {
    const r = await coapClient(["-B", "5", uri("/acc1/sensors/temperature?at=guess")])
    expect(r.codes).toEqual(["4.01"])
})

test("right token: the request reaches the board", async () => {
    const r = await coapClient(["-B", "5", uri(`/acc1/sensors/temperature?at=${TOKEN}`)])
    expect(r.codes).toEqual(["2.05"])
    expect(r.payload).toMatch(/^-?[0-9]+(\.[0-9]+)?$/)
})
