// Cross-check against an independent implementation: mqtt-packet (MQTT.js's codec, installed
// with mqtt 5.16). For arbitrary valid packets both produce the same bytes, and each parses
// what the other wrote into the same packet.
import { describe, expect, test } from "vitest"
import fc from "fast-check"
import * as mp from "mqtt-packet"
import { encodePacket } from "../../../src/mqtt/codec/encode"
import { decodeFrame } from "../../../src/mqtt/codec/decode"
import { Packet, PacketType } from "../../../src/mqtt/codec/packets"
import { anyPacket } from "./arbitraries"

const CMDS = [
    "",
    "connect",
    "connack",
    "publish",
    "puback",
    "pubrec",
    "pubrel",
    "pubcomp",
    "subscribe",
    "suback",
    "unsubscribe",
    "unsuback",
    "pingreq",
    "pingresp",
    "disconnect",
]

function toMp(p: Packet): mp.Packet {
    const q = p as any
    const cmd = CMDS[p.type]
    switch (p.type) {
        case PacketType.CONNECT: {
            const o: any = {
                cmd,
                protocolId: "MQTT",
                protocolVersion: 4,
                clean: q.cleanSession,
                keepalive: q.keepalive,
                clientId: q.clientId,
            }
            if (q.will) o.will = { ...q.will }
            if (q.username !== undefined) o.username = q.username
            if (q.password !== undefined) o.password = q.password
            return o
        }
        case PacketType.CONNACK:
            return { cmd, sessionPresent: q.sessionPresent, returnCode: q.returnCode } as any
        case PacketType.PUBLISH:
            return { cmd, topic: q.topic, payload: q.payload, qos: q.qos, retain: q.retain, dup: q.dup, messageId: q.packetId } as any
        case PacketType.SUBSCRIBE:
            return { cmd, messageId: q.packetId, subscriptions: q.subscriptions.map((s: any) => ({ topic: s.filter, qos: s.qos })) } as any
        case PacketType.SUBACK:
            return { cmd, messageId: q.packetId, granted: q.returnCodes } as any
        case PacketType.UNSUBSCRIBE:
            return { cmd, messageId: q.packetId, unsubscriptions: q.filters } as any
        case PacketType.PINGREQ:
        case PacketType.PINGRESP:
        case PacketType.DISCONNECT:
            return { cmd } as any
        default:
            return { cmd, messageId: q.packetId } as any
    }
}

function fromMp(m: any): Packet {
    const type = CMDS.indexOf(m.cmd)
    switch (type) {
        case PacketType.CONNECT: {
            const o: any = { type, clientId: m.clientId, cleanSession: m.clean, keepalive: m.keepalive }
            if (m.username !== undefined) o.username = m.username
            if (m.password !== undefined) o.password = m.password
            if (m.will) o.will = { topic: m.will.topic, payload: m.will.payload, qos: m.will.qos, retain: m.will.retain }
            return o
        }
        case PacketType.CONNACK:
            return { type, sessionPresent: m.sessionPresent, returnCode: m.returnCode }
        case PacketType.PUBLISH: {
            const o: any = { type, topic: m.topic, payload: m.payload, qos: m.qos, retain: m.retain, dup: m.dup }
            if (m.qos > 0) o.packetId = m.messageId
            return o
        }
        case PacketType.SUBSCRIBE:
            return { type, packetId: m.messageId, subscriptions: m.subscriptions.map((s: any) => ({ filter: s.topic, qos: s.qos })) }
        case PacketType.SUBACK:
            return { type, packetId: m.messageId, returnCodes: m.granted }
        case PacketType.UNSUBSCRIBE:
            return { type, packetId: m.messageId, filters: m.unsubscriptions }
        case PacketType.PINGREQ:
        case PacketType.PINGRESP:
        case PacketType.DISCONNECT:
            return { type } as Packet
        default:
            return { type, packetId: m.messageId } as Packet
    }
}

function mpParse(b: Buffer): any[] {
    const parser = mp.parser({ protocolVersion: 4 })
    const out: any[] = []
    let err: Error | undefined
    parser.on("packet", (x: any) => out.push(x))
    parser.on("error", (e: Error) => (err = e))
    parser.parse(b)
    if (err) throw err
    return out
}

describe("mqtt codec vs mqtt-packet 9", () => {
    test("same bytes for the same packet", () => {
        fc.assert(
            fc.property(anyPacket, (p) => {
                expect(encodePacket(p).toString("hex")).toBe(mp.generate(toMp(p), { protocolVersion: 4 }).toString("hex"))
            }),
            { numRuns: 2000 }
        )
    })
    test("mqtt-packet parses our bytes into the same packet", () => {
        fc.assert(
            fc.property(anyPacket, (p) => {
                const got = mpParse(encodePacket(p))
                expect(got.length).toBe(1)
                expect(fromMp(got[0])).toStrictEqual(p)
            }),
            { numRuns: 2000 }
        )
    })
    test("we parse mqtt-packet's bytes into the same packet", () => {
        fc.assert(
            fc.property(anyPacket, (p) => {
                expect(decodeFrame(mp.generate(toMp(p), { protocolVersion: 4 }))).toStrictEqual(p)
            }),
            { numRuns: 2000 }
        )
    })
})
