// The firmware's resource set over a fake DeviceModel.
import { describe, test, expect } from "@devicescript/test"
import { CoapCode, CoapType, getUintOption } from "../../../src/coap/codec/message"
import { OptionNumber } from "../../../src/coap/codec/options"
import { DeviceModel, SensorReading, installDeviceResources } from "../../../src/coap/server/device-resources"
import { senmlFromCbor } from "../../../src/coap/formats/senml"
import { Harness, get, observeOf, pause, request, text, withOption, withPayload, withUint } from "./harness"

class FakeModel implements DeviceModel {
    led: boolean
    temperature: number
    config: string
    rpcSeen: string[]
    noSensors = false
    constructor() {
        this.led = false
        this.temperature = 21.53
        this.config = '{"interval":60}'
        this.rpcSeen = []
    }
    info(): Record<string, any> {
        return { id: "12ab", board: "fake", uptime: 5 }
    }
    readSensors(): SensorReading[] {
        if (this.noSensors) return []
        return [
            { name: "temperature", unit: "Cel", value: this.temperature, decimals: 2 },
            { name: "humidity", unit: "%RH", value: 40.25, decimals: 1 },
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
        if (json.indexOf("interval") < 0) return "interval missing"
        this.config = json
        return undefined
    }
    async rpc(requestJson: string): Promise<string> {
        this.rpcSeen.push(requestJson)
        if (requestJson.indexOf('"id"') < 0) return undefined
        return '{"jsonrpc":"2.0","id":1,"result":"ok"}'
    }
}

function setup(): { h: Harness; m: FakeModel; notify: { sensorsChanged: () => void; ledChanged: () => void } } {
    const h = new Harness({ conEveryN: 0 })
    const m = new FakeModel()
    const notify = installDeviceResources(h.server, m, { sensorMaxAge: 30 })
    return { h: h, m: m, notify: notify }
}

/** Lets an async handler (the /rpc one) finish: a few turns of the event loop / fiber yields. */
async function settle(): Promise<void> {
    for (let i = 0; i < 5; i++) await pause()
}

describe("coap device resources", () => {
    test("a sensor in text/plain (default), JSON, SenML JSON and SenML CBOR", async () => {
        await pause()
        const s = setup()
        s.h.deliver(get(1, "", "/sensors/temperature"))
        expect(text(s.h.last())).toBe("21.53")
        expect(getUintOption(s.h.last(), OptionNumber.ContentFormat)).toBe(0)
        expect(getUintOption(s.h.last(), OptionNumber.MaxAge)).toBe(30)
        s.h.deliver(withUint(get(2, "", "/sensors/temperature"), OptionNumber.Accept, 50))
        expect(text(s.h.last())).toBe('{"value":21.53,"unit":"Cel"}')
        s.h.deliver(withUint(get(3, "", "/sensors/temperature"), OptionNumber.Accept, 110))
        expect(text(s.h.last())).toBe('[{"bn":"urn:dev:id:12ab:","n":"temperature","u":"Cel","v":21.53}]')
        s.h.deliver(withUint(get(4, "", "/sensors/temperature"), OptionNumber.Accept, 112))
        expect(getUintOption(s.h.last(), OptionNumber.ContentFormat)).toBe(112)
        const recs = senmlFromCbor(s.h.last().payload)
        expect(recs[0].n).toBe("temperature")
        expect(recs[0].v).toBe(21.53)
        s.h.deliver(withUint(get(5, "", "/sensors/temperature"), OptionNumber.Accept, 40))
        expect(s.h.last().code).toBe(CoapCode.NotAcceptable)
        s.h.deliver(get(6, "", "/sensors/co2"))
        expect(s.h.last().code).toBe(CoapCode.NotFound)
    })

    test("all sensors as one SenML pack; the sensor precision is kept", async () => {
        await pause()
        const s = setup()
        s.h.deliver(get(1, "", "/sensors"))
        expect(text(s.h.last())).toBe(
            '[{"bn":"urn:dev:id:12ab:","n":"temperature","u":"Cel","v":21.53},{"n":"humidity","u":"%RH","v":40.3}]'
        )
        s.h.deliver(withUint(get(2, "", "/sensors"), OptionNumber.Accept, 50))
        expect(text(s.h.last())).toBe('{"temperature":21.53,"humidity":40.3}')
    })

    test("with no readable sensor, /sensors is an empty pack and an empty JSON object", async () => {
        await pause()
        const s = setup()
        s.m.noSensors = true
        s.h.deliver(withUint(get(1, "", "/sensors"), OptionNumber.Accept, 50))
        expect(s.h.last().code).toBe(CoapCode.Content)
        expect(text(s.h.last())).toBe("{}")
        s.h.deliver(get(2, "", "/sensors"))
        expect(s.h.last().code).toBe(CoapCode.Content)
        expect(text(s.h.last())).toBe("[]")
    })

    test("sensors are observable and notify on change", async () => {
        await pause()
        const s = setup()
        s.h.deliver(withUint(get(1, "0a", "/sensors/temperature"), OptionNumber.Observe, 0))
        expect(observeOf(s.h.last()) !== undefined).toBe(true)
        s.m.temperature = 22.01
        s.notify.sensorsChanged()
        expect(text(s.h.last())).toBe("22.01")
        expect(s.h.last().token.toString("hex")).toBe("0a")
    })

    test("the LED: GET, PUT on/off/toggle and JSON, 4.00 for nonsense, If-Match on its state", async () => {
        await pause()
        const s = setup()
        s.h.deliver(get(1, "", "/actuators/led"))
        expect(text(s.h.last())).toBe("off")
        s.h.deliver(withPayload(request(CoapType.CON, CoapCode.PUT, 2, "", "/actuators/led"), "on"))
        expect(s.h.last().code).toBe(CoapCode.Changed)
        expect(s.m.led).toBe(true)
        s.h.deliver(withPayload(request(CoapType.CON, CoapCode.PUT, 3, "", "/actuators/led"), "toggle"))
        expect(s.m.led).toBe(false)
        const j = withUint(
            withPayload(request(CoapType.CON, CoapCode.PUT, 4, "", "/actuators/led"), '{"on":true}'),
            OptionNumber.ContentFormat,
            50
        )
        s.h.deliver(j)
        expect(s.m.led).toBe(true)
        s.h.deliver(withUint(get(5, "", "/actuators/led"), OptionNumber.Accept, 50))
        expect(text(s.h.last())).toBe('{"on":true}')
        s.h.deliver(withPayload(request(CoapType.CON, CoapCode.PUT, 6, "", "/actuators/led"), "maybe"))
        expect(s.h.last().code).toBe(CoapCode.BadRequest)
        // every word, any case, surrounding white space ignored
        const words = [" OFF\n", "1", "false", "True", "0", "on", "toggle"]
        const after = [false, true, false, true, false, true, false]
        for (let i = 0; i < words.length; i++) {
            s.h.deliver(withPayload(request(CoapType.CON, CoapCode.PUT, 20 + i, "", "/actuators/led"), words[i]))
            expect(s.h.last().code).toBe(CoapCode.Changed)
            expect(s.m.led).toBe(after[i])
        }
        s.h.deliver(withPayload(request(CoapType.CON, CoapCode.PUT, 30, "", "/actuators/led"), "on"))
        // If-Match with the "off" ETag while on: 4.12
        const cond = withOption(
            withPayload(request(CoapType.CON, CoapCode.PUT, 7, "", "/actuators/led"), "off"),
            OptionNumber.IfMatch,
            Buffer.from([0])
        )
        s.h.deliver(cond)
        expect(s.h.last().code).toBe(CoapCode.PreconditionFailed)
        expect(s.m.led).toBe(true)
    })

    test("/device info and /config GET/PUT with validation and 4.15", async () => {
        await pause()
        const s = setup()
        s.h.deliver(get(1, "", "/device"))
        expect(text(s.h.last())).toBe('{"id":"12ab","board":"fake","uptime":5}')
        s.h.deliver(get(2, "", "/config"))
        expect(text(s.h.last())).toBe('{"interval":60}')
        const ok = withUint(
            withPayload(request(CoapType.CON, CoapCode.PUT, 3, "", "/config"), '{"interval":30}'),
            OptionNumber.ContentFormat,
            50
        )
        s.h.deliver(ok)
        expect(s.h.last().code).toBe(CoapCode.Changed)
        expect(s.m.config).toBe('{"interval":30}')
        const bad = withUint(withPayload(request(CoapType.CON, CoapCode.PUT, 4, "", "/config"), "{}"), OptionNumber.ContentFormat, 50)
        s.h.deliver(bad)
        expect(s.h.last().code).toBe(CoapCode.BadRequest)
        expect(text(s.h.last())).toBe("interval missing")
        const wrong = withUint(withPayload(request(CoapType.CON, CoapCode.PUT, 5, "", "/config"), "x"), OptionNumber.ContentFormat, 0)
        s.h.deliver(wrong)
        expect(s.h.last().code).toBe(CoapCode.UnsupportedContentFormat)
    })

    test("/rpc answers a JSON-RPC request with 2.05 and a notification with 2.04", async () => {
        await pause()
        const s = setup()
        s.h.deliver(withPayload(request(CoapType.CON, CoapCode.POST, 1, "", "/rpc"), '{"jsonrpc":"2.0","id":1,"method":"sys.info"}'))
        await settle()
        expect(s.h.last().code).toBe(CoapCode.Content)
        expect(text(s.h.last())).toBe('{"jsonrpc":"2.0","id":1,"result":"ok"}')
        s.h.deliver(withPayload(request(CoapType.CON, CoapCode.POST, 2, "", "/rpc"), '{"jsonrpc":"2.0","method":"led.set"}'))
        await settle()
        expect(s.h.last().code).toBe(CoapCode.Changed)
        expect(s.h.last().payload.length).toBe(0)
        expect(s.m.rpcSeen.length).toBe(2)
    })

    test("discovery lists the device resources with obs and ct", async () => {
        await pause()
        const s = setup()
        s.h.deliver(withOption(get(1, "", "/.well-known/core"), OptionNumber.UriQuery, Buffer.from("if=core.s")))
        expect(text(s.h.last())).toBe(
            '</sensors/temperature>;rt="temperature";if="core.s";ct="0 50 110 112";obs,</sensors/humidity>;rt="humidity";if="core.s";ct="0 50 110 112";obs'
        )
    })
})
