import { describe, test, expect } from "@devicescript/test"
import {
    CoapCode,
    CoapMessage,
    CoapType,
    ContentFormat,
    getLocationPath,
    getUintOption,
    getUriPath,
    getUriQuery,
    newMessage,
    setLocationPath,
    setUintOption,
    setUriPath,
} from "../../../src/coap/codec/message"
import { OptionNumber, decodeBlock, encodeBlock } from "../../../src/coap/codec/options"
import { CoapServer } from "../../../src/coap/server/endpoint"
import { CoapRequest, Reply } from "../../../src/coap/server/resources"
import { BoardTcpLink, CoapBoardTcpLink, serveBoardCoapOverTcp } from "../../../src/coap/server/board-tcp-link"
import { BOARD_COAP_ENDPOINT_TYPE, BoardCoap, boardCoapChanged, boardCoapLinks } from "../../../src/coap/server/board-coap"
import { DeviceModel, SensorReading } from "../../../src/coap/server/device-resources"
import { rdStatus } from "../../../src/coap/rd/rd-client"
import { FakeClock, FakeConnector, FakePeer, SeqRandom, signal } from "./fakes"

interface BRig {
    link: CoapBoardTcpLink
    server: CoapServer
    net: FakeConnector
    clock: FakeClock
    value: string[]
}

function brig(): BRig {
    const clock = new FakeClock()
    const net = new FakeConnector()
    const value = ["21.5"]
    const link = new CoapBoardTcpLink(net, { host: "rd", port: 5683, tls: false }, clock, new SeqRandom(5), {
        endpoint: "b1",
        lifetimeS: 60,
    })
    const server = new CoapServer(link.transport, { clock: clock })
    server.add({
        path: "/sensors/temperature",
        observable: true,
        rt: "temperature",
        formats: [ContentFormat.TextPlain],
        get: (req: CoapRequest, reply: Reply) => reply({ code: CoapCode.Content, payload: Buffer.from(value[0]), contentFormat: 0 }),
    })
    // 1100 bytes: two 1024-byte blocks (kept small: byte loops count against the DS watchdog)
    const parts: string[] = []
    for (let i = 0; i < 110; i++) parts.push("0123456789")
    const big = parts.join("")
    server.add({
        path: "/big",
        get: (req: CoapRequest, reply: Reply) => reply({ code: CoapCode.Content, payload: Buffer.from(big) }),
    })
    link.serve(server, server.resources)
    return { link: link, server: server, net: net, clock: clock, value: value }
}

function up(r: BRig): FakePeer {
    r.link.start()
    const p = r.net.last()
    p.events.onOpen()
    p.sendMsg(signal(CoapCode.CSM))
    return p
}

function lastMsg(p: FakePeer): CoapMessage {
    return p.messages()[p.messages().length - 1]
}

function get(path: string, token: number): CoapMessage {
    const m = newMessage(CoapType.CON, CoapCode.GET, 0, Buffer.from([token]))
    setUriPath(m, path)
    return m
}

describe("board over RFC 8323: registration and serving the head-end", () => {
    test("on connect the board registers its resources", () => {
        const r = brig()
        const p = up(r)
        const reg = lastMsg(p)
        expect(reg.code).toBe(CoapCode.POST)
        expect(getUriPath(reg)).toBe("/rd")
        expect(getUriQuery(reg).join("&")).toBe("ep=b1&lt=60")
        // (exact quoting is linkformat's business: its isDigits() misbehaves in DeviceScript, see report)
        expect(reg.payload.toString()).toBe(r.link.links())
        expect(reg.payload.toString().indexOf("</sensors/temperature>;rt=") === 0).toBe(true)
        expect(reg.payload.toString().indexOf(";obs,</big>") > 0).toBe(true)
    })
    test("the head-end's GET is answered on the same connection, by token", () => {
        const r = brig()
        const p = up(r)
        p.sendMsg(get("/sensors/temperature", 42))
        const resp = lastMsg(p)
        expect(resp.code).toBe(CoapCode.Content)
        expect(resp.token[0]).toBe(42)
        expect(resp.payload.toString()).toBe("21.5")
        p.sendMsg(get("/nope", 43))
        expect(lastMsg(p).code).toBe(CoapCode.NotFound)
    })
    test("an observation from the head-end gets notifications until the link drops", () => {
        const r = brig()
        const p = up(r)
        const g = get("/sensors/temperature", 7)
        setUintOption(g, OptionNumber.Observe, 0)
        p.sendMsg(g)
        expect(getUintOption(lastMsg(p), OptionNumber.Observe) !== undefined).toBe(true)
        r.value[0] = "22.0"
        r.server.changed("/sensors/temperature")
        expect(lastMsg(p).payload.toString()).toBe("22.0")
        expect(lastMsg(p).token[0]).toBe(7)
        r.value[0] = "22.5"
        r.server.changed("/sensors/temperature")
        expect(lastMsg(p).payload.toString()).toBe("22.5")
        expect(r.server.observerCount()).toBe(1)
        p.drop("reset")
        expect(r.server.observerCount()).toBe(0)
        // a change after the drop sends nothing anywhere
        const n = p.messages().length
        r.server.changed("/sensors/temperature")
        expect(p.messages().length).toBe(n)
    })
    test("a large resource is served block-wise (Block2, 1024-byte blocks)", () => {
        const r = brig()
        const p = up(r)
        p.sendMsg(get("/big", 1))
        const b0 = lastMsg(p)
        const blk = decodeBlock(getUintOption(b0, OptionNumber.Block2))
        expect(blk.more).toBe(true)
        expect(b0.payload.length).toBe(1024)
        expect(getUintOption(b0, OptionNumber.Size2)).toBe(1100)
        const g = get("/big", 2)
        setUintOption(g, OptionNumber.Block2, encodeBlock({ num: 1, more: false, szx: 6 }))
        p.sendMsg(g)
        expect(lastMsg(p).payload.length).toBe(1100 - 1024)
        expect(decodeBlock(getUintOption(lastMsg(p), OptionNumber.Block2)).more).toBe(false)
    })
    test("after a reconnect the board registers again", () => {
        const r = brig()
        const p = up(r)
        const reg = lastMsg(p)
        const created = newMessage(CoapType.CON, CoapCode.Created, 0, reg.token)
        setLocationPath(created, "/rd/x1")
        p.sendMsg(created)
        expect(rdStatus(r.link.rd).location).toBe("/rd/x1")
        p.drop("head-end restarted")
        r.clock.advance(60000)
        r.link.tick()
        const p2 = r.net.last()
        expect(p2 === p).toBe(false)
        p2.events.onOpen()
        p2.sendMsg(signal(CoapCode.CSM))
        expect(getUriPath(lastMsg(p2))).toBe("/rd")
        expect(rdStatus(r.link.rd).registrations).toBe(1)
        expect(getLocationPath(created)).toBe("/rd/x1")
    })
})

describe("the firmware's endpoint (board-coap) over RFC 8323", () => {
    function slim(): { link: BoardTcpLink; coap: BoardCoap; net: FakeConnector; led: boolean[] } {
        const net = new FakeConnector()
        const led = [false]
        const model: DeviceModel = {
            info: () => ({ id: "b2" }),
            readSensors: (): SensorReading[] => [{ name: "temperature", unit: "Cel", value: 21.5, decimals: 2 }],
            getLed: () => led[0],
            setLed: (on: boolean) => {
                led[0] = on
            },
            getConfig: () => "{}",
            setConfig: (json: string): string => undefined,
            rpc: async (json: string): Promise<string> => undefined,
        }
        const link = new BoardTcpLink(net, { host: "rd", port: 5683, tls: false }, new FakeClock(), new SeqRandom(5), {
            endpoint: "b2",
            lifetimeS: 60,
            endpointType: BOARD_COAP_ENDPOINT_TYPE,
        })
        const coap = new BoardCoap("", "b2", model, undefined, {})
        serveBoardCoapOverTcp(link, coap)
        return { link: link, coap: coap, net: net, led: led }
    }

    test("registers its link-format with et=, answers by token, notifies its one observer", () => {
        const r = slim()
        r.link.start()
        const p = r.net.last()
        p.events.onOpen()
        p.sendMsg(signal(CoapCode.CSM))
        const reg = lastMsg(p)
        expect(getUriQuery(reg).join("&")).toBe("ep=b2&lt=60&et=" + BOARD_COAP_ENDPOINT_TYPE)
        expect(reg.payload.toString()).toBe(boardCoapLinks(r.coap))
        const obs = get("/sensors/temperature", 42)
        setUintOption(obs, OptionNumber.Observe, 0)
        p.sendMsg(obs)
        const first = lastMsg(p)
        expect(first.token[0]).toBe(42)
        expect(first.payload.toString()).toBe('[{"bn":"urn:dev:id:b2:","n":"temperature","u":"Cel","v":21.50}]')
        const n = p.messages().length
        boardCoapChanged(r.coap, "/sensors")
        expect(p.messages().length).toBe(n + 1)
        expect(lastMsg(p).token[0]).toBe(42)
        expect(getUintOption(lastMsg(p), OptionNumber.Observe) > getUintOption(first, OptionNumber.Observe)).toBe(true)
        const put = newMessage(CoapType.CON, CoapCode.PUT, 0, Buffer.from([43]))
        setUriPath(put, "/actuators/led")
        put.payload = Buffer.from("on")
        p.sendMsg(put)
        expect(lastMsg(p).code).toBe(CoapCode.Changed)
        expect(r.led[0]).toBe(true)
    })

    test("a closed connection drops the observer", () => {
        const r = slim()
        r.link.start()
        const p = r.net.last()
        p.events.onOpen()
        p.sendMsg(signal(CoapCode.CSM))
        const obs = get("/sensors/temperature", 7)
        setUintOption(obs, OptionNumber.Observe, 0)
        p.sendMsg(obs)
        expect(Object.keys(r.coap.observers).length).toBe(1)
        p.events.onClose("closed by the head-end")
        expect(Object.keys(r.coap.observers).length).toBe(0)
        boardCoapChanged(r.coap, "/sensors")
    })
})
