// Strict decoding: every malformed frame is refused with the rule it breaks (sections 1.5, 2, 3).
// And the encoder refuses to build packets that would break a rule.
import { describe, test, expect } from "@devicescript/test"
import { decodeFrame } from "../../../src/mqtt/codec/decode"
import { encodePacket, encodePublish, encodeAck, remainingLengthSize } from "../../../src/mqtt/codec/encode"
import { Packet, PacketType, QoS } from "../../../src/mqtt/codec/packets"
import { hex, ruleOf } from "./helpers"

interface Bad {
    why: string
    hex: string
    rule: string
}

const CONNECT_HEAD = "00 04 4d 51 54 54 04"

const BAD_FRAMES: Bad[] = [
    // 2.2.1 / 2.2.2 fixed header
    { why: "reserved type 0", hex: "00 00", rule: "MQTT-2.2.1" },
    { why: "reserved type 15", hex: "f0 00", rule: "MQTT-2.2.1" },
    { why: "CONNECT flags 0001", hex: "11 0d " + CONNECT_HEAD + " 02 00 3c 00 01 61", rule: "MQTT-2.2.2-1" },
    { why: "CONNACK flags 1000", hex: "28 02 00 00", rule: "MQTT-2.2.2-1" },
    { why: "PUBACK flags 0010", hex: "42 02 00 01", rule: "MQTT-2.2.2-1" },
    { why: "PUBREL flags 0000", hex: "60 02 00 01", rule: "MQTT-3.6.1-1" },
    { why: "SUBSCRIBE flags 0000", hex: "80 06 00 01 00 01 61 00", rule: "MQTT-3.8.1-1" },
    { why: "UNSUBSCRIBE flags 0011", hex: "a3 05 00 01 00 01 61", rule: "MQTT-3.10.1-1" },
    { why: "PINGREQ flags 0001", hex: "c1 00", rule: "MQTT-2.2.2-1" },
    { why: "DISCONNECT flags 0100", hex: "e4 00", rule: "MQTT-2.2.2-1" },
    // 2.2.3 remaining length
    { why: "remaining length of 5 bytes", hex: "30 ff ff ff ff 01", rule: "MQTT-2.2.3" },
    { why: "frame shorter than its remaining length", hex: "30 07 00 03 61 2f 62 68", rule: "MQTT-2.2.3" },
    { why: "frame longer than its remaining length", hex: "30 07 00 03 61 2f 62 68 69 00", rule: "MQTT-2.2.3" },
    { why: "a lone first byte", hex: "30", rule: "MQTT-2.2.3" },
    // 3.1 CONNECT
    { why: "protocol name MQIsdp", hex: "10 0f 00 06 4d 51 49 73 64 70 03 02 00 3c 00 01 61", rule: "MQTT-3.1.2-1" },
    { why: "protocol level 3", hex: "10 0d 00 04 4d 51 54 54 03 02 00 3c 00 01 61", rule: "MQTT-3.1.2-2" },
    { why: "protocol level 5", hex: "10 0d 00 04 4d 51 54 54 05 02 00 3c 00 01 61", rule: "MQTT-3.1.2-2" },
    { why: "reserved connect flag", hex: "10 0d " + CONNECT_HEAD + " 03 00 3c 00 01 61", rule: "MQTT-3.1.2-3" },
    { why: "will QoS without will flag", hex: "10 0d " + CONNECT_HEAD + " 0a 00 3c 00 01 61", rule: "MQTT-3.1.2-13" },
    { why: "will retain without will flag", hex: "10 0d " + CONNECT_HEAD + " 22 00 3c 00 01 61", rule: "MQTT-3.1.2-15" },
    { why: "will QoS 3", hex: "10 13 " + CONNECT_HEAD + " 1e 00 3c 00 01 61 00 01 77 00 01 78", rule: "MQTT-3.1.2-14" },
    { why: "password without user name", hex: "10 10 " + CONNECT_HEAD + " 42 00 3c 00 01 61 00 01 70", rule: "MQTT-3.1.2-22" },
    { why: "empty client id without clean session", hex: "10 0c " + CONNECT_HEAD + " 00 00 3c 00 00", rule: "MQTT-3.1.3-8" },
    { why: "user name flag but no user name", hex: "10 0d " + CONNECT_HEAD + " 82 00 3c 00 01 61", rule: "MQTT-2.2.3" },
    { why: "will flag but no will message", hex: "10 10 " + CONNECT_HEAD + " 06 00 3c 00 01 61 00 01 77", rule: "MQTT-2.2.3" },
    { why: "bytes after the last field", hex: "10 0e " + CONNECT_HEAD + " 02 00 3c 00 01 61 00", rule: "MQTT-3.1.3" },
    { why: "variable header cut short", hex: "10 08 " + CONNECT_HEAD + " 02", rule: "MQTT-2.2.3" },
    { why: "wildcard in the will topic", hex: "10 13 " + CONNECT_HEAD + " 06 00 3c 00 01 61 00 01 23 00 01 78", rule: "MQTT-3.3.2-2" },
    { why: "invalid UTF-8 in the client id", hex: "10 0d " + CONNECT_HEAD + " 02 00 3c 00 01 ff", rule: "MQTT-1.5.3-1" },
    { why: "U+0000 in the user name", hex: "10 10 " + CONNECT_HEAD + " 82 00 3c 00 01 61 00 01 00", rule: "MQTT-1.5.3-2" },
    // 3.2 CONNACK
    { why: "CONNACK remaining length 3", hex: "20 03 00 00 00", rule: "MQTT-3.2.1" },
    { why: "CONNACK reserved acknowledge flags", hex: "20 02 02 00", rule: "MQTT-3.2.2.1" },
    { why: "CONNACK return code 6", hex: "20 02 00 06", rule: "MQTT-3.2.2.3" },
    { why: "CONNACK session present with a refusal", hex: "20 02 01 05", rule: "MQTT-3.2.2-4" },
    // 3.3 PUBLISH
    { why: "PUBLISH QoS 3", hex: "36 07 00 03 61 2f 62 00 01", rule: "MQTT-3.3.1-4" },
    { why: "PUBLISH QoS 0 with DUP", hex: "38 05 00 03 61 2f 62", rule: "MQTT-3.3.1-2" },
    { why: "PUBLISH topic with +", hex: "30 05 00 03 61 2f 2b", rule: "MQTT-3.3.2-2" },
    { why: "PUBLISH topic #", hex: "30 03 00 01 23", rule: "MQTT-3.3.2-2" },
    { why: "PUBLISH empty topic", hex: "30 02 00 00", rule: "MQTT-4.7.3-1" },
    { why: "PUBLISH topic with U+0000", hex: "30 04 00 02 61 00", rule: "MQTT-1.5.3-2" },
    { why: "PUBLISH topic with a bad continuation", hex: "30 04 00 02 c3 28", rule: "MQTT-1.5.3-1" },
    { why: "PUBLISH topic with an overlong encoding", hex: "30 04 00 02 c0 af", rule: "MQTT-1.5.3-1" },
    { why: "PUBLISH topic with overlong U+0000 (C0 80)", hex: "30 04 00 02 c0 80", rule: "MQTT-1.5.3-1" },
    { why: "PUBLISH topic with an overlong 3-byte form", hex: "30 05 00 03 e0 80 af", rule: "MQTT-1.5.3-1" },
    { why: "PUBLISH topic with a surrogate (ED A0 80)", hex: "30 05 00 03 ed a0 80", rule: "MQTT-1.5.3-1" },
    { why: "PUBLISH topic above U+10FFFF", hex: "30 06 00 04 f4 90 80 80", rule: "MQTT-1.5.3-1" },
    { why: "PUBLISH topic with a truncated sequence", hex: "30 05 00 02 e2 82 ac", rule: "MQTT-1.5.3-1" },
    { why: "PUBLISH topic starting with a continuation byte", hex: "30 03 00 01 80", rule: "MQTT-1.5.3-1" },
    { why: "PUBLISH topic with byte FF", hex: "30 03 00 01 ff", rule: "MQTT-1.5.3-1" },
    { why: "PUBLISH topic with byte F5", hex: "30 06 00 04 f5 80 80 80", rule: "MQTT-1.5.3-1" },
    { why: "PUBLISH QoS 1 packet id 0", hex: "32 05 00 01 61 00 00", rule: "MQTT-2.3.1-1" },
    { why: "PUBLISH topic longer than the packet", hex: "30 03 00 05 61", rule: "MQTT-2.2.3" },
    { why: "PUBLISH QoS 1 without packet id", hex: "32 03 00 01 61", rule: "MQTT-2.2.3" },
    { why: "PUBLISH without a topic length", hex: "30 01 00", rule: "MQTT-2.2.3" },
    // 3.4 - 3.7, 3.11 - 3.14 fixed sizes
    { why: "PUBACK remaining length 3", hex: "40 03 00 01 00", rule: "MQTT-3.4.1" },
    { why: "PUBACK packet id 0", hex: "40 02 00 00", rule: "MQTT-2.3.1-1" },
    { why: "PUBREC remaining length 1", hex: "50 01 00", rule: "MQTT-3.5.1" },
    { why: "PUBREL remaining length 0", hex: "62 00", rule: "MQTT-3.6.1" },
    { why: "PUBCOMP remaining length 4", hex: "70 04 00 01 00 02", rule: "MQTT-3.7.1" },
    { why: "UNSUBACK remaining length 3", hex: "b0 03 00 01 00", rule: "MQTT-3.11.1" },
    { why: "UNSUBACK packet id 0", hex: "b0 02 00 00", rule: "MQTT-2.3.1-1" },
    { why: "PINGREQ with a body", hex: "c0 01 00", rule: "MQTT-3.12.1" },
    { why: "PINGRESP with a body", hex: "d0 01 00", rule: "MQTT-3.13.1" },
    { why: "DISCONNECT with a body", hex: "e0 01 00", rule: "MQTT-3.14.1" },
    // 3.8 SUBSCRIBE
    { why: "SUBSCRIBE without a filter", hex: "82 02 00 01", rule: "MQTT-3.8.3-3" },
    { why: "SUBSCRIBE requested QoS 3", hex: "82 06 00 01 00 01 61 03", rule: "MQTT-3.8.3-4" },
    { why: "SUBSCRIBE reserved bits in the QoS byte", hex: "82 06 00 01 00 01 61 41", rule: "MQTT-3.8.3-4" },
    { why: "SUBSCRIBE filter a#", hex: "82 07 00 01 00 02 61 23 00", rule: "MQTT-4.7.1-2" },
    { why: "SUBSCRIBE filter a/#/b", hex: "82 0a 00 01 00 05 61 2f 23 2f 62 00", rule: "MQTT-4.7.1-2" },
    { why: "SUBSCRIBE filter a+", hex: "82 07 00 01 00 02 61 2b 00", rule: "MQTT-4.7.1-3" },
    { why: "SUBSCRIBE filter +a", hex: "82 07 00 01 00 02 2b 61 00", rule: "MQTT-4.7.1-3" },
    { why: "SUBSCRIBE empty filter", hex: "82 05 00 01 00 00 00", rule: "MQTT-4.7.3-1" },
    { why: "SUBSCRIBE filter with U+0000", hex: "82 06 00 01 00 01 00 00", rule: "MQTT-1.5.3-2" },
    { why: "SUBSCRIBE missing the QoS byte", hex: "82 05 00 01 00 01 61", rule: "MQTT-2.2.3" },
    { why: "SUBSCRIBE packet id 0", hex: "82 06 00 00 00 01 61 00", rule: "MQTT-2.3.1-1" },
    { why: "SUBSCRIBE without packet id", hex: "82 01 00", rule: "MQTT-2.2.3" },
    // 3.9 SUBACK
    { why: "SUBACK without a return code", hex: "90 02 00 01", rule: "MQTT-3.9.3" },
    { why: "SUBACK return code 3", hex: "90 03 00 01 03", rule: "MQTT-3.9.3-2" },
    { why: "SUBACK return code 0x81", hex: "90 04 00 01 00 81", rule: "MQTT-3.9.3-2" },
    { why: "SUBACK packet id 0", hex: "90 03 00 00 00", rule: "MQTT-2.3.1-1" },
    // 3.10 UNSUBSCRIBE
    { why: "UNSUBSCRIBE without a filter", hex: "a2 02 00 01", rule: "MQTT-3.10.3-2" },
    { why: "UNSUBSCRIBE filter #/a", hex: "a2 07 00 01 00 03 23 2f 61", rule: "MQTT-4.7.1-2" },
    { why: "UNSUBSCRIBE truncated filter", hex: "a2 06 00 01 00 05 61 62", rule: "MQTT-2.2.3" },
    { why: "UNSUBSCRIBE packet id 0", hex: "a2 05 00 00 00 01 61", rule: "MQTT-2.3.1-1" },
]

function decodeRule(frameHex: string): string {
    return ruleOf(() => decodeFrame(hex(frameHex)))
}

// Several cases per test keeps the DeviceScript heap small; the case is named in the compared text.
const PER_TEST = 8

function addBad(first: number) {
    test("malformed cases " + first + ".." + (Math.min(first + PER_TEST, BAD_FRAMES.length) - 1), () => {
        for (let i = first; i < first + PER_TEST && i < BAD_FRAMES.length; i++) {
            const b = BAD_FRAMES[i]
            expect(b.why + " -> " + decodeRule(b.hex)).toBe(b.why + " -> " + b.rule)
        }
    })
}

describe("mqtt decode: malformed frames name the broken rule", () => {
    for (let i = 0; i < BAD_FRAMES.length; i += PER_TEST) addBad(i)
})

function pub(topic: string, qos: number, dup: boolean, id: number): Packet {
    return { type: PacketType.PUBLISH, topic, payload: Buffer.alloc(0), qos: qos as QoS, retain: false, dup, packetId: id }
}

function sub(filter: string, qos: number): Packet {
    return { type: PacketType.SUBSCRIBE, packetId: 1, subscriptions: [{ filter, qos: qos as QoS }] }
}

describe("mqtt encode: refuses packets that break a rule", () => {
    test("PUBLISH topics", () => {
        expect(ruleOf(() => encodePacket(pub("a/+", 0, false, 0)))).toBe("MQTT-3.3.2-2")
        expect(ruleOf(() => encodePacket(pub("#", 0, false, 0)))).toBe("MQTT-3.3.2-2")
        expect(ruleOf(() => encodePacket(pub("", 0, false, 0)))).toBe("MQTT-4.7.3-1")
        expect(ruleOf(() => encodePublish("a\u0000b", Buffer.alloc(0), 0, false, false, 0))).toBe("MQTT-1.5.3-2")
    })
    test("PUBLISH QoS, DUP and packet id", () => {
        expect(ruleOf(() => encodePacket(pub("t", 3, false, 1)))).toBe("MQTT-3.3.1-4")
        expect(ruleOf(() => encodePacket(pub("t", 0, true, 0)))).toBe("MQTT-3.3.1-2")
        expect(ruleOf(() => encodePacket(pub("t", 1, false, 0)))).toBe("MQTT-2.3.1-1")
        expect(ruleOf(() => encodePacket(pub("t", 2, false, 65536)))).toBe("MQTT-2.3.1-1")
        expect(ruleOf(() => encodePacket(pub("t", 1, false, 65535)))).toBe("no error")
    })
    test("acks need a packet id 1..65535", () => {
        expect(ruleOf(() => encodeAck(PacketType.PUBACK, 0))).toBe("MQTT-2.3.1-1")
        expect(ruleOf(() => encodePacket({ type: PacketType.PUBCOMP, packetId: 70000 }))).toBe("MQTT-2.3.1-1")
    })
    test("SUBSCRIBE filters and QoS", () => {
        expect(ruleOf(() => encodePacket({ type: PacketType.SUBSCRIBE, packetId: 1, subscriptions: [] }))).toBe("MQTT-3.8.3-3")
        expect(ruleOf(() => encodePacket(sub("a/#/b", 0)))).toBe("MQTT-4.7.1-2")
        expect(ruleOf(() => encodePacket(sub("a#", 0)))).toBe("MQTT-4.7.1-2")
        expect(ruleOf(() => encodePacket(sub("a/b+", 0)))).toBe("MQTT-4.7.1-3")
        expect(ruleOf(() => encodePacket(sub("", 0)))).toBe("MQTT-4.7.3-1")
        expect(ruleOf(() => encodePacket(sub("a", 3)))).toBe("MQTT-3.8.3-4")
        expect(ruleOf(() => encodePacket(sub("+/+/#", 2)))).toBe("no error")
    })
    test("UNSUBSCRIBE needs a filter", () => {
        expect(ruleOf(() => encodePacket({ type: PacketType.UNSUBSCRIBE, packetId: 1, filters: [] }))).toBe("MQTT-3.10.3-2")
        expect(ruleOf(() => encodePacket({ type: PacketType.UNSUBSCRIBE, packetId: 1, filters: ["a+"] }))).toBe("MQTT-4.7.1-3")
    })
    test("SUBACK return codes", () => {
        expect(ruleOf(() => encodePacket({ type: PacketType.SUBACK, packetId: 1, returnCodes: [] }))).toBe("MQTT-3.9.3")
        expect(ruleOf(() => encodePacket({ type: PacketType.SUBACK, packetId: 1, returnCodes: [3] }))).toBe("MQTT-3.9.3-2")
    })
    test("CONNACK return code and session present", () => {
        expect(ruleOf(() => encodePacket({ type: PacketType.CONNACK, sessionPresent: false, returnCode: 6 }))).toBe("MQTT-3.2.2.3")
        expect(ruleOf(() => encodePacket({ type: PacketType.CONNACK, sessionPresent: true, returnCode: 1 }))).toBe("MQTT-3.2.2-4")
    })
    test("CONNECT fields", () => {
        expect(
            ruleOf(() =>
                encodePacket({ type: PacketType.CONNECT, clientId: "c", cleanSession: true, keepalive: 1, password: Buffer.from("p") })
            )
        ).toBe("MQTT-3.1.2-22")
        expect(ruleOf(() => encodePacket({ type: PacketType.CONNECT, clientId: "", cleanSession: false, keepalive: 1 }))).toBe(
            "MQTT-3.1.3-7"
        )
        expect(ruleOf(() => encodePacket({ type: PacketType.CONNECT, clientId: "c", cleanSession: true, keepalive: 65536 }))).toBe(
            "MQTT-3.1.2.10"
        )
        expect(
            ruleOf(() =>
                encodePacket({
                    type: PacketType.CONNECT,
                    clientId: "c",
                    cleanSession: true,
                    keepalive: 1,
                    will: { topic: "a/#", payload: Buffer.alloc(0), qos: 0, retain: false },
                })
            )
        ).toBe("MQTT-3.3.2-2")
        expect(
            ruleOf(() =>
                encodePacket({
                    type: PacketType.CONNECT,
                    clientId: "c",
                    cleanSession: true,
                    keepalive: 1,
                    will: { topic: "a", payload: Buffer.alloc(0), qos: 3 as QoS, retain: false },
                })
            )
        ).toBe("MQTT-3.1.2-14")
        expect(ruleOf(() => encodePacket({ type: PacketType.CONNECT, clientId: "c\u0000", cleanSession: true, keepalive: 1 }))).toBe(
            "MQTT-1.5.3-2"
        )
    })
    test("remaining length above 268,435,455", () => {
        expect(ruleOf(() => remainingLengthSize(268435456))).toBe("MQTT-2.2.3")
        expect(ruleOf(() => remainingLengthSize(-1))).toBe("MQTT-2.2.3")
    })
})
