// The gateway's share of content negotiation for boards on the MQTT binding: what a client gets
// from representAs(board answer) must be, byte for byte, what the full server
// (src/coap/server/endpoint.ts + device-resources.ts) answers for the same model, Accept by Accept.
import { describe, expect, test } from "vitest"
import {
    CoapCode,
    CoapMessage,
    CoapType,
    getOption,
    getUintOption,
    newMessage,
    setUintOption,
    setUriPath,
} from "../../../src/coap/codec/message"
import { OptionNumber } from "../../../src/coap/codec/options"
import { decodeTcpMessage, encodeTcpMessage } from "../../../src/coap/codec/codec"
import { BoardCoap, boardCoapMessage } from "../../../src/coap/server/board-coap"
import { DeviceModel, SensorReading, installDeviceResources } from "../../../src/coap/server/device-resources"
import { CoapServerCore } from "../../../src/coap/server/endpoint"
import { parseLinks } from "../../../src/coap/formats/linkformat"
import { actuatorBody, linkOf, representAs } from "../../../src/host/gateway/representations"

function model(readings: SensorReading[]): DeviceModel {
    let led = true
    return {
        info: () => ({ id: "b1", board: "sim" }),
        readSensors: () => readings,
        getLed: () => led,
        setLed: (on: boolean) => {
            led = on
        },
        getConfig: () => '{"TELEMETRY_MS":5000,"NAME":"é"}',
        setConfig: () => undefined,
        rpc: async () => undefined,
    }
}

function request(path: string, accept: number | undefined): CoapMessage {
    const m = newMessage(CoapType.CON, CoapCode.GET, 0, Buffer.from([7]))
    setUriPath(m, path)
    if (accept !== undefined) setUintOption(m, OptionNumber.Accept, accept)
    return m
}

/** The full server's answer (what the board answered before it went slim). */
function fullAnswer(m: DeviceModel, req: CoapMessage): CoapMessage {
    const server = new CoapServerCore({ notify: () => {}, maxBlockSzx: () => 6 } as never, { clock: { now: () => 0 } })
    installDeviceResources(server, m, {})
    let out: CoapMessage | undefined
    server.handleRequest({ peer: () => "p", request: () => req, respond: (r: CoapMessage) => (out = r) })
    return out!
}

/** The slim board's answer, as the gateway receives it. */
function boardAnswer(m: DeviceModel, req: CoapMessage): CoapMessage {
    let out: CoapMessage | undefined
    const b = new BoardCoap("devices", "b1", m, (_t, p) => (out = decodeTcpMessage(p)), {})
    boardCoapMessage(b, "devices/b1/coap/req", encodeTcpMessage(req))
    return out!
}

const READINGS: SensorReading[][] = [
    [
        { name: "temperature", unit: "Cel", value: 21.5, decimals: 2 },
        { name: "humidity", unit: "%RH", value: 40.5, decimals: 1 },
        { name: "pressure", unit: "Pa", value: 101325, decimals: 0 },
    ],
    [
        { name: "temperature", unit: "Cel", value: -0.05, decimals: 2 },
        { name: "co2", unit: "ppm", value: 1234.567, decimals: 3 },
    ],
]

describe("representAs: the board's one representation made into the client's", () => {
    for (const readings of READINGS) {
        test(`every resource and Accept equals the full server (${readings.map((r) => r.name).join(", ")})`, () => {
            const m = model(readings)
            const links = parseLinks(boardAnswer(m, request("/.well-known/core", 40)).payload.toString())
            const paths = ["/sensors", ...readings.map((r) => "/sensors/" + r.name), "/actuators/led", "/device", "/config"]
            for (const path of paths) {
                for (const accept of [undefined, 0, 40, 50, 60, 110, 112]) {
                    const want = fullAnswer(m, request(path, accept))
                    // the UDP front answers 4.06 itself for an Accept the link does not list
                    if (want.code === CoapCode.NotAcceptable) continue
                    const got = representAs(boardAnswer(m, request(path, accept)), accept, linkOf(links, path))
                    const what = `${path} Accept ${accept}`
                    expect(got.code, what).toBe(want.code)
                    expect(getUintOption(got, OptionNumber.ContentFormat), what).toBe(getUintOption(want, OptionNumber.ContentFormat))
                    expect(got.payload.toString("hex"), what).toBe(want.payload.toString("hex"))
                    expect(getOption(got, OptionNumber.ETag)?.toString("hex"), what).toBe(
                        getOption(want, OptionNumber.ETag)?.toString("hex")
                    )
                    expect(getUintOption(got, OptionNumber.MaxAge), what).toBe(getUintOption(want, OptionNumber.MaxAge))
                }
            }
        })
    }

    test("a format the board's answer cannot become is 4.06; errors pass unchanged", () => {
        const m = model(READINGS[0])
        const links = parseLinks(boardAnswer(m, request("/.well-known/core", 40)).payload.toString())
        const na = (path: string, accept: number) => representAs(boardAnswer(m, request(path, accept)), accept, linkOf(links, path)).code
        expect(na("/sensors", 0)).toBe(CoapCode.NotAcceptable)
        expect(na("/sensors/temperature", 60)).toBe(CoapCode.NotAcceptable)
        expect(na("/device", 110)).toBe(CoapCode.NotAcceptable)
        expect(na("/actuators/led", 112)).toBe(CoapCode.NotAcceptable)
        const nf = boardAnswer(m, request("/sensors/nothing", 50))
        expect(representAs(nf, 50, undefined)).toBe(nf)
    })

    test("a JSON LED PUT reaches the board as text; other bodies are the board's to judge", () => {
        const led = parseLinks('</actuators/led>;if="core.a";ct="0 50"')[0]
        const on = actuatorBody(led, 50, Buffer.from('{ "on" : true }'))
        expect(on.contentFormat).toBe(0)
        expect(on.payload!.toString()).toBe("on")
        expect(actuatorBody(led, 50, Buffer.from('{"on":false}')).payload!.toString()).toBe("off")
        expect(actuatorBody(led, 50, Buffer.from('{"on":"yes"}')).contentFormat).toBe(50)
        expect(actuatorBody(led, 50, Buffer.from("1")).contentFormat).toBe(50)
        expect(actuatorBody(led, 0, Buffer.from("on")).payload!.toString()).toBe("on")
        expect(actuatorBody(undefined, 50, Buffer.from('{"on":true}')).contentFormat).toBe(50)
    })
})
