// 4.7 topic names, topic filters and matching, including the spec's own examples (4.7.1.2, 4.7.1.3, 4.7.2).
import { describe, test, expect } from "@devicescript/test"
import { topicMatchesFilter, validateTopicFilter, validateTopicName } from "../../../src/mqtt/codec/topics"
import { ruleOf } from "./helpers"

// [topic, filter, matches]
const MATCHES: [string, string, boolean][] = [
    // 4.7.1.2 multi-level wildcard
    ["sport/tennis/player1", "sport/tennis/player1/#", true],
    ["sport/tennis/player1/ranking", "sport/tennis/player1/#", true],
    ["sport/tennis/player1/score/wimbledon", "sport/tennis/player1/#", true],
    ["sport", "sport/#", true],
    ["sport/", "sport/#", true],
    ["anything/at/all", "#", true],
    ["sports", "sport/#", false],
    // 4.7.1.3 single-level wildcard
    ["sport/tennis/player1", "sport/tennis/+", true],
    ["sport/tennis/player2", "sport/tennis/+", true],
    ["sport/tennis/player1/ranking", "sport/tennis/+", false],
    ["sport", "sport/+", false],
    ["sport/", "sport/+", true],
    ["/finance", "+/+", true],
    ["/finance", "/+", true],
    ["/finance", "+", false],
    ["sport/tennis/player1", "+/tennis/#", true],
    ["sport/tennis", "+/tennis/#", true],
    ["a//b", "a/+/b", true],
    ["a/x/b", "a/+/b", true],
    ["a/x/y/b", "a/+/b", false],
    ["/", "+/+", true],
    ["a", "+", true],
    // 4.7.2 topics beginning with $
    ["$SYS/broker/load", "#", false],
    ["$SYS/broker/load", "+/broker/load", false],
    ["$SYS/broker/load", "$SYS/#", true],
    ["$SYS/monitor/Clients", "$SYS/monitor/+", true],
    ["a/$b", "a/+", true],
    // plain names, case and length
    ["a/b", "a/b", true],
    ["a/b", "A/b", false],
    ["a/b", "a/bc", false],
    ["a/bc", "a/b", false],
    ["a/b", "a", false],
    ["a", "a/b", false],
    ["a/b/", "a/b", false],
    ["a/b", "a/b/", false],
    ["a/b/", "a/b/", true],
    ["é/😀", "é/+", true],
    ["é/😀", "+/😀", true],
]

const PER_TEST = 10

function addMatches(first: number) {
    test("match cases " + first + ".." + (Math.min(first + PER_TEST, MATCHES.length) - 1), () => {
        for (let i = first; i < first + PER_TEST && i < MATCHES.length; i++) {
            const m = MATCHES[i]
            const label = m[0] + " vs " + m[1] + ": "
            expect(label + topicMatchesFilter(m[0], m[1])).toBe(label + m[2])
        }
    })
}

describe("mqtt topics: matching", () => {
    for (let i = 0; i < MATCHES.length; i += PER_TEST) addMatches(i)
})

describe("mqtt topics: validation", () => {
    test("valid filters", () => {
        expect(ruleOf(() => validateTopicFilter("#"))).toBe("no error")
        expect(ruleOf(() => validateTopicFilter("+"))).toBe("no error")
        expect(ruleOf(() => validateTopicFilter("/"))).toBe("no error")
        expect(ruleOf(() => validateTopicFilter("+/+/#"))).toBe("no error")
        expect(ruleOf(() => validateTopicFilter("a//+//#"))).toBe("no error")
        expect(ruleOf(() => validateTopicFilter("$SYS/#"))).toBe("no error")
    })
    test("# only alone in the last level (4.7.1-2)", () => {
        expect(ruleOf(() => validateTopicFilter("a#"))).toBe("MQTT-4.7.1-2")
        expect(ruleOf(() => validateTopicFilter("#/"))).toBe("MQTT-4.7.1-2")
        expect(ruleOf(() => validateTopicFilter("a/#/b"))).toBe("MQTT-4.7.1-2")
        expect(ruleOf(() => validateTopicFilter("##"))).toBe("MQTT-4.7.1-2")
    })
    test("+ only as a whole level (4.7.1-3)", () => {
        expect(ruleOf(() => validateTopicFilter("a+"))).toBe("MQTT-4.7.1-3")
        expect(ruleOf(() => validateTopicFilter("+a"))).toBe("MQTT-4.7.1-3")
        expect(ruleOf(() => validateTopicFilter("a/++"))).toBe("MQTT-4.7.1-3")
        expect(ruleOf(() => validateTopicFilter("sport+"))).toBe("MQTT-4.7.1-3")
    })
    test("empty and U+0000 (4.7.3-1, 1.5.3-2)", () => {
        expect(ruleOf(() => validateTopicFilter(""))).toBe("MQTT-4.7.3-1")
        expect(ruleOf(() => validateTopicName(""))).toBe("MQTT-4.7.3-1")
        expect(ruleOf(() => validateTopicFilter("a\u0000"))).toBe("MQTT-1.5.3-2")
        expect(ruleOf(() => validateTopicName("a\u0000"))).toBe("MQTT-1.5.3-2")
    })
    test("topic names carry no wildcards (3.3.2-2)", () => {
        expect(ruleOf(() => validateTopicName("a/+"))).toBe("MQTT-3.3.2-2")
        expect(ruleOf(() => validateTopicName("#"))).toBe("MQTT-3.3.2-2")
        expect(ruleOf(() => validateTopicName("a/b#c"))).toBe("MQTT-3.3.2-2")
        expect(ruleOf(() => validateTopicName("/"))).toBe("no error")
        expect(ruleOf(() => validateTopicName("$SYS/x"))).toBe("no error")
        expect(ruleOf(() => validateTopicName("é/😀"))).toBe("no error")
    })
})
