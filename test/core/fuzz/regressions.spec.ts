// Regression tests for what the fuzzers (scripts/fuzz-*.ts) found, each with the input that did it.
// Portable: runs in vitest and in the DeviceScript simulator (test/devs/fuzz-regressions.ts).
import { describe, test, expect } from "@devicescript/test"
import { formatFixed, formatScaled } from "../../../src/util/decimal"
import { telemetryJson } from "../../../src/telemetry/telemetry"
import { makeReading } from "../../../src/telemetry/reading"
import { formatFixed as coapFormatFixed } from "../../../src/util/decimal"
import { Config, MemoryStore } from "../../../src/config/config"
import { DeviceApp } from "../../../src/firmware/app"
import { handleToText } from "../../../src/rpc/jsonrpc"
import { BoardHardware } from "../../../src/firmware/hardware"

let reading = 0

async function appWithSensor(): Promise<DeviceApp> {
    const hw: BoardHardware = {
        board: "fuzz",
        model: "fuzz",
        tls: true,
        sensors: [{ key: "pressure", unit: "hPa", decimals: 2, deviceClass: "pressure", name: "Pressure", read: async () => reading }],
    }
    const config = new Config(new MemoryStore(), (l: string) => {})
    await config.load()
    return new DeviceApp({
        hw: hw,
        config: config,
        clock: { now: () => 5000 },
        restarter: { restartSoon: (ms: number) => {} },
        log: (l: string) => {},
        hardwareId: "fuzz01",
    })
}

describe("fuzz-jsonrpc finds: huge sensor readings", () => {
    // fuzz-jsonrpc seed 1: sensors.read with a sensor at 1e308 never returned (Node: out of memory;
    // board: InfiniteLoop/OOM panic, every telemetry tick); at -1e300 or 3.4e38 (FLT_MAX from a
    // broken float driver) the reply held NUL characters and spaces inside a number (invalid JSON).
    // The fix first clamped such values to 2^53 (90071992547409.92): valid JSON but a plausible,
    // wrong number. Since telemetry and the CoAP resources share one formatter (src/util/decimal.ts)
    // they get its exponent form: the real value, still a JSON number. A reading whose value x 10^decimals
    // overflows (1e308 x 100) prints as the largest double with its sign.
    test("formatScaled/formatFixed beyond 2^53 use the exponent form", () => {
        expect(formatFixed(1e308, 2)).toBe("1.797693134862316e308")
        expect(formatFixed(3.4e38, 2)).toBe("3.4e38")
        expect(formatFixed(-1e300, 1)).toBe("-1e300")
        expect(formatScaled(1e308 * 100, 2)).toBe("1.797693134862316e308")
        expect(formatFixed(21.534, 2)).toBe("21.53")
    })
    test("telemetry document with an overflowing reading is still JSON", () => {
        const doc = telemetryJson(1000, [makeReading("pressure", 1e308, 2), makeReading("t", -3.4e38, 1)])
        expect(doc).toBe('{"ts":1000,"pressure":1.797693134862316e308,"t":-3.4e38}')
    })
    test("sensors.read answers when the sensor reads 1e308", async () => {
        const app = await appWithSensor()
        reading = 1e308
        const reply = await handleToText(app.dispatcher, '{"jsonrpc":"2.0","method":"sensors.read","id":1}')
        expect(reply).toBe('{"jsonrpc":"2.0","result":{"ts":5000,"pressure":1.797693134862316e308},"id":1}')
        reading = 3.4e38
        const flt = await handleToText(app.dispatcher, '{"jsonrpc":"2.0","method":"sensors.read","id":3}')
        expect(flt).toBe('{"jsonrpc":"2.0","result":{"ts":5000,"pressure":3.4e38},"id":3}')
        reading = 1013.25
        const ok = await handleToText(app.dispatcher, '{"jsonrpc":"2.0","method":"sensors.read","id":2}')
        expect(ok).toBe('{"jsonrpc":"2.0","result":{"ts":5000,"pressure":1013.25},"id":2}')
    })
})

describe("fuzz-coap-endpoint finds: huge sensor readings in the CoAP resources", () => {
    // src/util/decimal (SenML JSON, text/plain, JSON of /sensors) printed 3.4e38 with NUL characters
    // inside the digits and an overflowed 1e308 as "0.00".
    test("formatFixed beyond 2^53 falls back to the exponent form", () => {
        expect(coapFormatFixed(3.4e38, 2)).toBe("3.4e38")
        expect(coapFormatFixed(-3.4e38, 1)).toBe("-3.4e38")
        expect(coapFormatFixed(1e20, 2)).toBe("1e20")
        expect(coapFormatFixed(1e308, 2)).toBe("1.797693134862316e308")
        expect(coapFormatFixed(21.534, 2)).toBe("21.53")
    })
})
