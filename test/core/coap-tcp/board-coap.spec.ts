// The board's CoAP endpoint on the MQTT binding (src/coap/server/board-coap.ts), as the firmware wires
// it: frames in on <prefix>/<id>/coap/req, answers out on <prefix>/<id>/coap/res. Runs in Node and
// in the DeviceScript VM (test/devs/coap-tcp.ts). What the gateway makes of these answers for its
// clients is test/node/gateway/representations.spec.ts.
import { describe, test, expect } from "@devicescript/test"
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
import { BoardCoap, boardCoapChanged, boardCoapMessage, boardCoapTopic } from "../../../src/coap/server/board-coap"
import { DeviceModel, SensorReading, installDeviceResources } from "../../../src/coap/server/device-resources"
import { CoapServerCore } from "../../../src/coap/server/endpoint"
import { discoveryText } from "../../../src/coap/server/resources-discovery"
import { FakeClock } from "./fakes"

class Model implements DeviceModel {
    temp = 21.5
    led = false
    config = '{"TELEMETRY_MS":5000}'
    rpcFails = false
    info(): Record<string, any> {
        return { id: "b1", board: "sim", uptime_ms: 1234 }
    }
    readSensors(): SensorReading[] {
        return [
            { name: "temperature", unit: "Cel", value: this.temp, decimals: 2 },
            { name: "humidity", unit: "%RH", value: 40.5, decimals: 1 },
        ]
    }
    getLed(): boolean {
        return this.led
    }
    setLed(on: boolean): void {
        this.led = on
    }
    getConfig(): string {
        return this.config
    }
    setConfig(json: string): string {
        if (json.indexOf("bad") >= 0) return "TELEMETRY_MS out of range"
        this.config = json
        return undefined
    }
    async rpc(requestJson: string): Promise<string> {
        if (this.rpcFails) throw new Error("dispatcher failed")
        if (requestJson.indexOf('"id"') < 0) return undefined
        return '{"jsonrpc":"2.0","id":1,"result":"pong"}'
    }
}

/** Lets Node run pending promise callbacks (the VM has none: an async call there finishes at once). */
async function settle(): Promise<void> {}

interface Rig {
    coap: BoardCoap
    model: Model
    out: CoapMessage[]
    broken: boolean[]
}

function rig(): Rig {
    const model = new Model()
    const out: CoapMessage[] = []
    const broken = [false]
    const coap = new BoardCoap(
        "devices",
        "b1",
        model,
        (topic: string, payload: Buffer) => {
            if (broken[0]) throw new Error("outbox full")
            if (topic !== "devices/b1/coap/res") throw new Error("wrong topic " + topic)
            out.push(decodeTcpMessage(payload))
        },
        {}
    )
    return { coap: coap, model: model, out: out, broken: broken }
}

function req(code: number, path: string, token: string): CoapMessage {
    const m = newMessage(CoapType.CON, code, 0, Buffer.from(token, "hex"))
    setUriPath(m, path)
    return m
}

/** Sends `m` to the board; returns the last answer published. */
function ask(r: Rig, m: CoapMessage): CoapMessage {
    const n = r.out.length
    expect(boardCoapMessage(r.coap, "devices/b1/coap/req", encodeTcpMessage(m))).toBe(true)
    expect(r.out.length).toBe(n + 1)
    return r.out[r.out.length - 1]
}

describe("the board's CoAP endpoint on the MQTT binding", () => {
    test("readings: one SenML JSON pack with the sensor's exact decimals, Max-Age, any Accept", () => {
        const r = rig()
        const g = req(CoapCode.GET, "/sensors/temperature", "a1")
        setUintOption(g, OptionNumber.Accept, 0)
        const a = ask(r, g)
        expect(a.code).toBe(CoapCode.Content)
        expect(a.token.toString("hex")).toBe("a1")
        expect(getUintOption(a, OptionNumber.ContentFormat)).toBe(110)
        expect(getUintOption(a, OptionNumber.MaxAge)).toBe(60)
        expect(a.payload.toString()).toBe('[{"bn":"urn:dev:id:b1:","n":"temperature","u":"Cel","v":21.50}]')
        const all = ask(r, req(CoapCode.GET, "/sensors", "a2"))
        expect(all.payload.toString()).toBe(
            '[{"bn":"urn:dev:id:b1:","n":"temperature","u":"Cel","v":21.50},{"n":"humidity","u":"%RH","v":40.5}]'
        )
        expect(ask(r, req(CoapCode.GET, "/sensors/pressure", "a3")).code).toBe(CoapCode.NotFound)
    })

    test("/.well-known/core lists what the full server lists for the same model", () => {
        const r = rig()
        const a = ask(r, req(CoapCode.GET, "/.well-known/core", "b1"))
        expect(getUintOption(a, OptionNumber.ContentFormat)).toBe(40)
        const full = new CoapServerCore({ notify: () => {}, maxBlockSzx: () => 6 } as any, { clock: new FakeClock() })
        installDeviceResources(full, r.model, {})
        expect(a.payload.toString()).toBe(discoveryText(full.resources))
    })

    test("the LED: text with an ETag; PUT words, toggle; JSON, other formats and bad words refused", () => {
        const r = rig()
        const g = ask(r, req(CoapCode.GET, "/actuators/led", "c1"))
        expect(g.payload.toString()).toBe("off")
        expect(getUintOption(g, OptionNumber.ContentFormat)).toBe(0)
        expect(getOption(g, OptionNumber.ETag).toString("hex")).toBe("00")
        const put = (body: string, cf: number) => {
            const m = req(CoapCode.PUT, "/actuators/led", "c2")
            setUintOption(m, OptionNumber.ContentFormat, cf)
            m.payload = Buffer.from(body)
            return ask(r, m).code
        }
        expect(put(" ON ", 0)).toBe(CoapCode.Changed)
        expect(r.model.led).toBe(true)
        expect(put("toggle", 0)).toBe(CoapCode.Changed)
        expect(r.model.led).toBe(false)
        // the gateway turns {"on":true} into "on"; JSON reaching the board is refused
        expect(put('{"on":true}', 50)).toBe(CoapCode.BadRequest)
        expect(put("1", 50)).toBe(CoapCode.BadRequest)
        expect(put("on", 42)).toBe(CoapCode.UnsupportedContentFormat)
        expect(put("dim", 0)).toBe(CoapCode.BadRequest)
        expect(r.model.led).toBe(false)
        expect(getOption(ask(r, req(CoapCode.GET, "/actuators/led", "c3")), OptionNumber.ETag).toString("hex")).toBe("00")
    })

    test("/device, /config (validated by the model), methods and paths", () => {
        const r = rig()
        expect(ask(r, req(CoapCode.GET, "/device", "d1")).payload.toString()).toBe('{"id":"b1","board":"sim","uptime_ms":1234}')
        const bad = req(CoapCode.PUT, "/config", "d2")
        bad.payload = Buffer.from('{"bad":1}')
        const a = ask(r, bad)
        expect(a.code).toBe(CoapCode.BadRequest)
        expect(a.payload.toString()).toBe("TELEMETRY_MS out of range")
        const ok = req(CoapCode.PUT, "/config", "d3")
        setUintOption(ok, OptionNumber.ContentFormat, 50)
        ok.payload = Buffer.from('{"TELEMETRY_MS":6000}')
        expect(ask(r, ok).code).toBe(CoapCode.Changed)
        expect(ask(r, req(CoapCode.GET, "/config", "d4")).payload.toString()).toBe('{"TELEMETRY_MS":6000}')
        expect(ask(r, req(CoapCode.POST, "/sensors", "d5")).code).toBe(CoapCode.MethodNotAllowed)
        expect(ask(r, req(CoapCode.DELETE, "/config", "d6")).code).toBe(CoapCode.MethodNotAllowed)
        expect(ask(r, req(CoapCode.GET, "/rpc", "d7")).code).toBe(CoapCode.MethodNotAllowed)
        expect(ask(r, req(CoapCode.GET, "/nothing", "d8")).code).toBe(CoapCode.NotFound)
        expect(ask(r, req(CoapCode.GET, "/", "d9")).code).toBe(CoapCode.NotFound)
    })

    test("RFC 7252 5.4.1: an unrecognised critical option is 4.02; Uri-Query and elective ones are ignored", () => {
        const r = rig()
        const m = req(CoapCode.GET, "/device", "e1")
        m.options.push({ number: OptionNumber.IfMatch, value: Buffer.from([1]) })
        expect(ask(r, m).code).toBe(CoapCode.BadOption)
        const b2 = req(CoapCode.GET, "/device", "e2")
        setUintOption(b2, OptionNumber.Block2, 0x16)
        expect(ask(r, b2).code).toBe(CoapCode.BadOption)
        const q = req(CoapCode.GET, "/device", "e3")
        q.options.push({ number: OptionNumber.UriQuery, value: Buffer.from("x=1") })
        setUintOption(q, OptionNumber.Size2, 0)
        expect(ask(r, q).code).toBe(CoapCode.Content)
        const rpc = req(CoapCode.POST, "/rpc", "e4")
        rpc.options.push({ number: OptionNumber.ProxyUri, value: Buffer.from("coap://x/") })
        expect(ask(r, rpc).code).toBe(CoapCode.BadOption)
        // Uri-Host 3, Uri-Port 7 and Accept 17 are recognised; other odd ones (If-None-Match 5,
        // 19, 33, Proxy-Scheme 39) are not, below and above 31 alike
        const known = req(CoapCode.GET, "/device", "e5")
        known.options.push({ number: OptionNumber.UriHost, value: Buffer.from("h") })
        setUintOption(known, OptionNumber.UriPort, 5683)
        setUintOption(known, OptionNumber.Accept, 50)
        expect(ask(r, known).code).toBe(CoapCode.Content)
        for (const n of [5, 19, 33, 39]) {
            const u = req(CoapCode.GET, "/device", "e6")
            u.options.push({ number: n, value: Buffer.alloc(0) })
            expect(ask(r, u).code).toBe(CoapCode.BadOption)
        }
    })

    test("/rpc: a request gets its response, a notification 2.04, a failing dispatcher 5.00", async () => {
        const r = rig()
        const post = (body: string, cf: number, token: string) => {
            const m = req(CoapCode.POST, "/rpc", token)
            setUintOption(m, OptionNumber.ContentFormat, cf)
            m.payload = Buffer.from(body)
            boardCoapMessage(r.coap, "devices/b1/coap/req", encodeTcpMessage(m))
        }
        const answer = (token: string): CoapMessage => {
            for (const m of r.out) if (m.token.toString("hex") === token) return m
            return undefined
        }
        post('{"jsonrpc":"2.0","id":1,"method":"sys.ping"}', 50, "f1")
        post('{"jsonrpc":"2.0","method":"sys.ping"}', 50, "f2")
        post('{"jsonrpc":"2.0","id":3,"method":"sys.ping"}', 0, "f4")
        // the async answers are published once the dispatcher returns (later, in Node)
        for (let i = 0; i < 10 && r.out.length < 3; i++) await settle()
        r.model.rpcFails = true
        post('{"jsonrpc":"2.0","id":2,"method":"sys.ping"}', 50, "f3")
        for (let i = 0; i < 10 && r.out.length < 4; i++) await settle()
        expect(r.out.length).toBe(4)
        expect(answer("f1").code).toBe(CoapCode.Content)
        expect(answer("f1").payload.toString()).toBe('{"jsonrpc":"2.0","id":1,"result":"pong"}')
        expect(getUintOption(answer("f1"), OptionNumber.ContentFormat)).toBe(50)
        expect(answer("f2").code).toBe(CoapCode.Changed)
        expect(answer("f3").code).toBe(CoapCode.InternalServerError)
        expect(answer("f4").code).toBe(CoapCode.UnsupportedContentFormat)
    })

    test("Observe: one token per resource, the latest registration wins; Observe 1 ends it", () => {
        const r = rig()
        const reg = (path: string, token: string, v: number) => {
            const m = req(CoapCode.GET, path, token)
            setUintOption(m, OptionNumber.Observe, v)
            return ask(r, m)
        }
        const first = reg("/sensors/temperature", "01", 0)
        const seq0 = getUintOption(first, OptionNumber.Observe)
        expect(seq0 !== undefined).toBe(true)
        reg("/actuators/led", "02", 0)
        r.model.temp = 22
        boardCoapChanged(r.coap, "/sensors")
        expect(r.out.length).toBe(3)
        const n1 = r.out[2]
        expect(n1.token.toString("hex")).toBe("01")
        expect(getUintOption(n1, OptionNumber.Observe) > seq0).toBe(true)
        expect(n1.payload.toString()).toBe('[{"bn":"urn:dev:id:b1:","n":"temperature","u":"Cel","v":22.00}]')
        // a new registration (the gateway's next observation) replaces the old token
        reg("/sensors/temperature", "03", 0)
        boardCoapChanged(r.coap, "/sensors")
        expect(r.out[r.out.length - 1].token.toString("hex")).toBe("03")
        expect(r.out.length).toBe(5)
        // deregistration answers without Observe and stops notifications
        const off = reg("/sensors/temperature", "03", 1)
        expect(getUintOption(off, OptionNumber.Observe)).toBe(undefined)
        boardCoapChanged(r.coap, "/sensors")
        expect(r.out.length).toBe(6)
        boardCoapChanged(r.coap, "/actuators/led")
        expect(r.out[6].token.toString("hex")).toBe("02")
        // a non-observable resource is answered without Observe and not registered
        expect(getUintOption(reg("/device", "04", 0), OptionNumber.Observe)).toBe(undefined)
    })

    test("a failing publish ends the observation instead of crashing", () => {
        const r = rig()
        const m = req(CoapCode.GET, "/actuators/led", "07")
        setUintOption(m, OptionNumber.Observe, 0)
        ask(r, m)
        r.broken[0] = true
        boardCoapChanged(r.coap, "/actuators/led")
        r.broken[0] = false
        boardCoapChanged(r.coap, "/actuators/led")
        expect(r.out.length).toBe(1)
    })

    test("other topics, malformed frames, responses and signaling get no answer", () => {
        const r = rig()
        expect(boardCoapTopic(r.coap)).toBe("devices/b1/coap/req")
        expect(boardCoapMessage(r.coap, "devices/b1/rx", encodeTcpMessage(req(CoapCode.GET, "/device", "01")))).toBe(false)
        const good = encodeTcpMessage(req(CoapCode.GET, "/device", "01"))
        expect(boardCoapMessage(r.coap, "devices/b1/coap/req", good.slice(0, good.length - 1))).toBe(true)
        expect(boardCoapMessage(r.coap, "devices/b1/coap/req", Buffer.from([0x0f, 1, 2]))).toBe(true)
        expect(boardCoapMessage(r.coap, "devices/b1/coap/req", Buffer.from([0x10, 0x01, 0xff]))).toBe(true)
        expect(boardCoapMessage(r.coap, "devices/b1/coap/req", Buffer.from([0x00]))).toBe(true)
        const resp = newMessage(CoapType.CON, CoapCode.Content, 0)
        expect(boardCoapMessage(r.coap, "devices/b1/coap/req", encodeTcpMessage(resp))).toBe(true)
        expect(boardCoapMessage(r.coap, "devices/b1/coap/req", encodeTcpMessage(newMessage(CoapType.CON, CoapCode.CSM, 0)))).toBe(true)
        expect(r.out.length).toBe(0)
    })

    test("a long answer uses the 2-byte extended length and decodes whole", () => {
        const r = rig()
        const xs: string[] = []
        for (let i = 0; i < 600; i++) xs.push("x")
        r.model.config = '{"K":"' + xs.join("") + '"}'
        const a = ask(r, req(CoapCode.GET, "/config", "0a0b0c0d0e0f1011"))
        expect(a.payload.toString()).toBe(r.model.config)
        expect(a.token.toString("hex")).toBe("0a0b0c0d0e0f1011")
    })
})
