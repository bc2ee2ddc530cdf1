// MQTT_URL as a list of brokers (src/config/broker-list.ts): what is accepted, and that every
// bad list is refused with a sentence naming MQTT_URL and the entry at fault.
import { describe, expect, test } from "vitest"
import { parseBrokerList } from "../../../src/config/broker-list"
import { MQTT_SCHEMES } from "../../../src/config/url"
import { connectNode } from "../../../src/host/mqtt"

describe("parseBrokerList", () => {
    test("one URL is a list of one, as MQTT_URL always was", () => {
        expect(parseBrokerList("mqtt://broker.lan", MQTT_SCHEMES)).toEqual([
            { scheme: "mqtt", host: "broker.lan", port: 1883, tls: false, username: undefined, password: undefined },
        ])
    })

    test("commas separate the nodes, spaces around them are allowed, order is kept, each has its default port", () => {
        const r = parseBrokerList("mqtt://10.0.0.1:1884, mqtts://10.0.0.2 ,mqtt://[fd00::3]", MQTT_SCHEMES)
        expect(Array.isArray(r)).toBe(true)
        const list = r as Exclude<typeof r, string>
        expect(list.map((e) => [e.host, e.port, e.tls])).toEqual([
            ["10.0.0.1", 1884, false],
            ["10.0.0.2", 8883, true],
            ["fd00::3", 1883, false],
        ])
    })

    test.each([
        ["", "MQTT_URL is empty"],
        ["mqtt://a,", "MQTT_URL entry 2 of 2 is empty"],
        [",mqtt://a", "MQTT_URL entry 1 of 2 is empty"],
        ["mqtt://a,,mqtt://b", "MQTT_URL entry 2 of 3 is empty"],
        ["mqtt://a;mqtt://b", "MQTT_URL (mqtt://a;mqtt://b) holds two URLs: separate brokers with commas"],
        ["mqtt://a mqtt://b:1884", "MQTT_URL (mqtt://a mqtt://b:1884) holds two URLs: separate brokers with commas"],
        ["mqtt://a,http://b", "MQTT_URL entry 2 of 2 (http://b) must start with mqtt:// or mqtts://"],
        ["mqtt://a,mqtt://b:0", "MQTT_URL entry 2 of 2 (mqtt://b:0) has a port outside 1..65535"],
        ["mqtt://a:1883,mqtt://a", "MQTT_URL entry 2 of 2 (mqtt://a) repeats a:1883"],
        ["mqtt://a,mqtt://u:secret@b", "MQTT_URL entry 2 of 2 (mqtt://***@b) must not contain user or password"],
    ])("%j is refused: %s", (text, message) => {
        const r = parseBrokerList(text, MQTT_SCHEMES)
        expect(typeof r).toBe("string")
        expect(r as string).toContain(message)
    })

    test("with credentials (the Node client's url), every entry must carry the same, and errors hide them", () => {
        const schemes = ["mqtt", "mqtts"]
        const ok = parseBrokerList("mqtt://u:p@a,mqtt://u:p@b", schemes, true)
        expect((ok as { username?: string }[]).map((e) => e.username)).toEqual(["u", "u"])
        const r = parseBrokerList("mqtt://u:p@a,mqtt://u:other@b", schemes, true)
        expect(r).toBe("MQTT_URL entry 2 of 2 (mqtt://***@b) has other credentials than entry 1: one list, one user and password")
    })
})

describe("connectNode with a list", () => {
    test("a bad list is refused before any connection, naming the url option and the entry", () => {
        expect(() => connectNode({ url: "mqtt://127.0.0.1:1,mqtt://127.0.0.1:99999" })).toThrow(
            "url entry 2 of 2 (mqtt://127.0.0.1:99999) has a port outside 1..65535"
        )
        expect(() => connectNode({ url: "mqtt://127.0.0.1:1,mqtt://127.0.0.1:2", port: 1883 })).toThrow(
            /give each its host and port in the list/
        )
    })
})
