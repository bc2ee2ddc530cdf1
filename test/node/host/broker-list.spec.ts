// MQTT_URL as a list of brokers (src/config/broker-list.ts): what is accepted, and that every
// bad list is refused with a sentence naming the entry at fault by its number (the caller puts
// the setting's or option's name in front), never echoing a password.
import { describe, expect, test } from "vitest"
import { otherCredentials, parseBrokerList } from "../../../src/config/broker-list"
import { Endpoint, MQTT_SCHEMES, parseUrl, parseUrlWithCredentials } from "../../../src/config/url"
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
        ["", "is empty"],
        ["mqtt://a,", "entry 2 of 2 is empty"],
        [",mqtt://a", "entry 1 of 2 is empty"],
        ["mqtt://a,,mqtt://b", "entry 2 of 3 is empty"],
        ["mqtt://a;mqtt://b", "holds two URLs: separate brokers with commas"],
        ["mqtt://a mqtt://b:1884", "holds two URLs: separate brokers with commas"],
        ["mqtt://a,http://b", "entry 2 of 2 must start with mqtt:// or mqtts://"],
        ["mqtt://a,mqtt://b:0", "entry 2 of 2 has a port outside 1..65535"],
        ["mqtt://a:1883,mqtt://a", "entry 2 of 2 repeats a:1883"],
        ["mqtt://a,mqtt://u:secret@b", "entry 2 of 2 must not contain user or password"],
    ])("%j is refused: %s", (text, message) => {
        const r = parseBrokerList(text, MQTT_SCHEMES)
        expect(typeof r).toBe("string")
        expect(r as string).toContain(message)
    })

    test("one URL keeps the single URL's own sentence, as MQTT_URL always had", () => {
        for (const url of ["http://a", "mqtt://a:0", "mqtt://a/path", "mqtt://u:p@a"])
            expect(parseBrokerList(url, MQTT_SCHEMES)).toBe(parseUrl(url, MQTT_SCHEMES))
    })

    test("with credentials (the Node client's url), every entry must carry the same, and errors hide them", () => {
        const schemes = ["mqtt", "mqtts"]
        const ok = parseBrokerList("mqtt://u:p@a,mqtt://u:p@b", schemes, parseUrlWithCredentials)
        expect((ok as Endpoint[]).map((e) => e.username)).toEqual(["u", "u"])
        expect(otherCredentials(ok as Endpoint[])).toBeUndefined()
        const r = parseBrokerList("mqtt://u:p@a,mqtt://u:other@b", schemes, parseUrlWithCredentials) as Endpoint[]
        expect(otherCredentials(r)).toBe("entry 2 of 2 has other credentials than entry 1: one list, one user and password")
        const bad = parseBrokerList("mqtt://u:secret@a,mqtt://u:secret@b:0", schemes, parseUrlWithCredentials)
        expect(bad).toBe("entry 2 of 2 has a port outside 1..65535")
        expect(() => connectNode({ url: "mqtt://u:secret@127.0.0.1:1,mqtt://v:secret@127.0.0.1:2" })).toThrow(
            "url entry 2 of 2 has other credentials than entry 1"
        )
    })
})

describe("connectNode with a list", () => {
    test("a bad list is refused before any connection, naming the url option and the entry", () => {
        expect(() => connectNode({ url: "mqtt://127.0.0.1:1,mqtt://127.0.0.1:99999" })).toThrow(
            "url entry 2 of 2 has a port outside 1..65535"
        )
        expect(() => connectNode({ url: "mqtt://127.0.0.1:1,mqtt://127.0.0.1:2", port: 1883 })).toThrow(
            /give each its host and port in the list/
        )
    })
})
