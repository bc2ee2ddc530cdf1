// Helpers for the portable MQTT codec specs (run by vitest and by the DeviceScript simulator).
// DeviceScript has only toBe/toThrow, so packets are compared through a canonical string.

import { protocolRuleOf } from "../../../src/mqtt/codec/errors"
import {
    ConnackPacket,
    ConnectPacket,
    Packet,
    PacketIdOnlyPacket,
    PacketType,
    PublishPacket,
    SubackPacket,
    SubscribePacket,
    UnsubscribePacket,
} from "../../../src/mqtt/codec/packets"

/** Hex with optional spaces -> bytes (no String.replace in DeviceScript). */
export function hex(s: string): Buffer {
    return Buffer.from(s.split(" ").join(""), "hex")
}

export function toHex(b: Buffer): string {
    return b.toString("hex")
}

function str(s: string): string {
    return "'" + Buffer.from(s).toString("hex")
}

function bool(b: boolean): string {
    return b ? "1" : "0"
}

function bin(b: Buffer): string {
    return b === undefined ? "-" : "#" + b.toString("hex")
}

/** A canonical text form of a packet: equal strings mean equal packets. */
export function show(p: Packet): string {
    const parts: string[] = ["T" + p.type]
    switch (p.type) {
        case PacketType.CONNECT: {
            const c = p as ConnectPacket
            parts.push(str(c.clientId), bool(c.cleanSession), "" + c.keepalive)
            parts.push(c.username === undefined ? "-" : str(c.username), bin(c.password))
            if (c.will) parts.push(str(c.will.topic), bin(c.will.payload), "" + c.will.qos, bool(c.will.retain))
            else parts.push("nowill")
            break
        }
        case PacketType.CONNACK: {
            const c = p as ConnackPacket
            parts.push(bool(c.sessionPresent), "" + c.returnCode)
            break
        }
        case PacketType.PUBLISH: {
            const c = p as PublishPacket
            parts.push(str(c.topic), bin(c.payload), "" + c.qos, bool(c.retain), bool(c.dup))
            parts.push(c.qos > 0 ? "" + c.packetId : c.packetId === undefined ? "-" : "unexpected-id")
            break
        }
        case PacketType.SUBSCRIBE: {
            const c = p as SubscribePacket
            parts.push("" + c.packetId)
            for (const s of c.subscriptions) parts.push(str(s.filter), "" + s.qos)
            break
        }
        case PacketType.SUBACK: {
            const c = p as SubackPacket
            parts.push("" + c.packetId)
            for (const r of c.returnCodes) parts.push("" + r)
            break
        }
        case PacketType.UNSUBSCRIBE: {
            const c = p as UnsubscribePacket
            parts.push("" + c.packetId)
            for (const f of c.filters) parts.push(str(f))
            break
        }
        case PacketType.PUBACK:
        case PacketType.PUBREC:
        case PacketType.PUBREL:
        case PacketType.PUBCOMP:
        case PacketType.UNSUBACK:
            parts.push("" + (p as PacketIdOnlyPacket).packetId)
            break
        default:
            break
    }
    return parts.join("|")
}

/** The rule fn breaks: the MqttProtocolError's rule, "no error" if it returns, "other: ..." for any other error. */
export function ruleOf(fn: () => void): string {
    try {
        fn()
    } catch (e) {
        const r = protocolRuleOf(e)
        if (r === "") return "other: " + (e as Error).message
        return r
    }
    return "no error"
}
