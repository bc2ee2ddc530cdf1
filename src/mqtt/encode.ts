// MQTT 3.1.1 serializer: Packet -> bytes. Pure; the session never touches bytes.
// Every packet is sized first and written into one Buffer, so it goes to the socket in one
// write. Strings are converted by the runtime (utf8Bytes: one small temporary per string,
// far cheaper in the DeviceScript VM than a bytecode loop per character); topicNameBytes keeps
// the last topic's bytes, so publishing to the same topic again allocates only the packet.
// Everything is validated here too, so the client cannot send an invalid packet.

import { MqttProtocolError } from "./errors"
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
} from "./packets"
import { checkTopicFilterChars, topicNameBytes } from "./topics"
import { utf8Bytes } from "./utf8"
import { putU16be } from "../util/bytes"

/** 2.2.3: the largest Remaining Length four varint bytes can carry. */
export const MAX_REMAINING_LENGTH = 268435455

/** Bytes the 2.2.3 Remaining Length varint takes for n. */
export function remainingLengthSize(n: number): number {
    if (n < 0 || n > MAX_REMAINING_LENGTH || n !== Math.floor(n))
        throw new MqttProtocolError("MQTT-2.2.3", "remaining length out of range")
    return n < 128 ? 1 : n < 16384 ? 2 : n < 2097152 ? 3 : 4
}

/** Writes the 2.2.3 varint for n at b[o..]; returns the offset after it. */
export function writeRemainingLength(b: Buffer, o: number, n: number): number {
    // n <= 268,435,455 < 2^31, so int32 shifts are exact in both runtimes
    while (n >= 128) {
        b[o++] = (n & 0x7f) | 0x80
        n = n >> 7
    }
    b[o++] = n
    return o
}

function checkPacketId(id: number): void {
    // 2.3.1-1: non-zero 16-bit packet identifier
    if (!(id >= 1 && id <= 65535 && id === Math.floor(id)))
        throw new MqttProtocolError("MQTT-2.3.1-1", "packet id must be 1..65535")
}

function checkQos(qos: number, rule: string): void {
    if (!(qos === 0 || qos === 1 || qos === 2)) throw new MqttProtocolError(rule, "QoS must be 0, 1 or 2")
}

/** The UTF-8 bytes of a string field, checked per 1.5.3 (well-formed, no U+0000, <= 65535 bytes). */
function stringBytes(s: string): Buffer {
    const b = utf8Bytes(s)
    if (b.length > 65535) throw new MqttProtocolError("MQTT-1.5.3", "string longer than 65535 bytes")
    return b
}

function checkBinaryLength(b: Buffer): void {
    if (b.length > 65535) throw new MqttProtocolError("MQTT-1.5.3", "binary field longer than 65535 bytes")
}

/** Allocates the one buffer of a packet and writes its fixed header; the body starts at bodyOffset(remaining). */
function allocFrame(firstByte: number, remaining: number): Buffer {
    const b = Buffer.alloc(1 + remainingLengthSize(remaining) + remaining)
    b[0] = firstByte
    writeRemainingLength(b, 1, remaining)
    return b
}

function bodyOffset(remaining: number): number {
    return 1 + remainingLengthSize(remaining)
}

function putBinary(b: Buffer, o: number, v: Buffer): number {
    putU16be(b, o, v.length)
    b.set(v, o + 2)
    return o + 2 + v.length
}

/** 3.3 PUBLISH, the hot path: no intermediate objects. packetId is ignored for QoS 0. */
export function encodePublish(
    topic: string,
    payload: Buffer,
    qos: number,
    retain: boolean,
    dup: boolean,
    packetId: number
): Buffer {
    const tb = topicNameBytes(topic)
    // 3.3.1-4: QoS 3 is invalid
    if (!(qos === 0 || qos === 1 || qos === 2)) throw new MqttProtocolError("MQTT-3.3.1-4", "QoS must be 0, 1 or 2")
    // 3.3.1-2: DUP is 0 for QoS 0
    if (qos === 0 && dup) throw new MqttProtocolError("MQTT-3.3.1-2", "DUP set on a QoS 0 PUBLISH")
    // 2.3.1-1: non-zero 16-bit packet identifier
    if (qos > 0 && !(packetId >= 1 && packetId <= 65535 && (packetId | 0) === packetId))
        throw new MqttProtocolError("MQTT-2.3.1-1", "packet id must be 1..65535")
    const tl = tb.length
    const remaining = 2 + tl + (qos > 0 ? 2 : 0) + payload.length
    // written out inline (fewer calls): this runs once per message, and a call is not free in the VM
    if (remaining > MAX_REMAINING_LENGTH) throw new MqttProtocolError("MQTT-2.2.3", "remaining length out of range")
    const hl = remaining < 128 ? 2 : remaining < 16384 ? 3 : remaining < 2097152 ? 4 : 5
    const b = Buffer.alloc(hl + remaining)
    b[0] = 0x30 | (dup ? 8 : 0) | (qos << 1) | (retain ? 1 : 0)
    if (hl === 2) b[1] = remaining
    else writeRemainingLength(b, 1, remaining)
    b[hl] = tl >> 8
    b[hl + 1] = tl & 0xff
    b.set(tb, hl + 2)
    let o = hl + 2 + tl
    if (qos > 0) {
        b[o] = packetId >> 8
        b[o + 1] = packetId & 0xff
        o += 2
    }
    b.set(payload, o)
    return b
}

export function encodeConnect(p: ConnectPacket): Buffer {
    if (!(p.keepalive >= 0 && p.keepalive <= 65535 && p.keepalive === Math.floor(p.keepalive)))
        throw new MqttProtocolError("MQTT-3.1.2.10", "keepalive must be 0..65535 seconds")
    // 3.1.3-7: a zero-length client id needs a clean session
    if (p.clientId.length === 0 && !p.cleanSession)
        throw new MqttProtocolError("MQTT-3.1.3-7", "empty client id without clean session")
    // 3.1.2-22: no password without a user name
    if (p.password !== undefined && p.username === undefined)
        throw new MqttProtocolError("MQTT-3.1.2-22", "password without user name")
    const id = stringBytes(p.clientId)
    let remaining = 10 + 2 + id.length
    let flags = p.cleanSession ? 0x02 : 0
    const w = p.will
    let willTopic: Buffer = undefined
    if (w) {
        willTopic = topicNameBytes(w.topic)
        // 3.1.2-14: will QoS is 0, 1 or 2
        checkQos(w.qos, "MQTT-3.1.2-14")
        checkBinaryLength(w.payload)
        remaining += 2 + willTopic.length + 2 + w.payload.length
        flags |= 0x04 | (w.qos << 3) | (w.retain ? 0x20 : 0)
    }
    let user: Buffer = undefined
    if (p.username !== undefined) {
        user = stringBytes(p.username)
        remaining += 2 + user.length
        flags |= 0x80
    }
    if (p.password !== undefined) {
        checkBinaryLength(p.password)
        remaining += 2 + p.password.length
        flags |= 0x40
    }
    const b = allocFrame(0x10, remaining)
    let o = bodyOffset(remaining)
    // 3.1.2.1 protocol name "MQTT", 3.1.2.2 level 4
    b[o] = 0
    b[o + 1] = 4
    b[o + 2] = 0x4d
    b[o + 3] = 0x51
    b[o + 4] = 0x54
    b[o + 5] = 0x54
    b[o + 6] = 4
    b[o + 7] = flags
    putU16be(b, o + 8, p.keepalive)
    o = putBinary(b, o + 10, id)
    if (w) {
        o = putBinary(b, o, willTopic)
        o = putBinary(b, o, w.payload)
    }
    if (user) o = putBinary(b, o, user)
    if (p.password !== undefined) putBinary(b, o, p.password)
    return b
}

export function encodeConnack(p: ConnackPacket): Buffer {
    const rc = p.returnCode
    // 3.2.2.3: return codes 6..255 are reserved
    if (!(rc >= 0 && rc <= 5 && rc === Math.floor(rc)))
        throw new MqttProtocolError("MQTT-3.2.2.3", "CONNACK return code must be 0..5")
    // 3.2.2-4: session present is 0 with a non-zero return code
    if (rc !== 0 && p.sessionPresent)
        throw new MqttProtocolError("MQTT-3.2.2-4", "session present with a refusal")
    const b = allocFrame(0x20, 2)
    b[2] = p.sessionPresent ? 1 : 0
    b[3] = rc
    return b
}

/** PUBACK, PUBREC, PUBREL, PUBCOMP, UNSUBACK: fixed header + packet id. */
export function encodeAck(type: number, packetId: number): Buffer {
    checkPacketId(packetId)
    // 3.6.1-1: PUBREL flags are 0010
    const b = allocFrame((type << 4) | (type === PacketType.PUBREL ? 2 : 0), 2)
    putU16be(b, 2, packetId)
    return b
}

export function encodeSubscribe(p: SubscribePacket): Buffer {
    checkPacketId(p.packetId)
    const subs = p.subscriptions
    // 3.8.3-3: at least one filter
    if (subs.length === 0) throw new MqttProtocolError("MQTT-3.8.3-3", "SUBSCRIBE without a filter")
    const filters: Buffer[] = []
    let remaining = 2
    for (const s of subs) {
        checkTopicFilterChars(s.filter)
        checkQos(s.qos, "MQTT-3.8.3-4")
        const f = stringBytes(s.filter)
        filters.push(f)
        remaining += 2 + f.length + 1
    }
    // 3.8.1-1: SUBSCRIBE flags are 0010
    const b = allocFrame(0x82, remaining)
    let o = bodyOffset(remaining)
    putU16be(b, o, p.packetId)
    o += 2
    for (let i = 0; i < subs.length; i++) {
        o = putBinary(b, o, filters[i])
        b[o++] = subs[i].qos
    }
    return b
}

export function encodeSuback(p: SubackPacket): Buffer {
    checkPacketId(p.packetId)
    const codes = p.returnCodes
    if (codes.length === 0) throw new MqttProtocolError("MQTT-3.9.3", "SUBACK without a return code")
    for (const c of codes)
        if (!(c === 0 || c === 1 || c === 2 || c === 0x80))
            throw new MqttProtocolError("MQTT-3.9.3-2", "SUBACK return code must be 0, 1, 2 or 0x80")
    const remaining = 2 + codes.length
    const b = allocFrame(0x90, remaining)
    let o = bodyOffset(remaining)
    putU16be(b, o, p.packetId)
    o += 2
    for (const c of codes) b[o++] = c
    return b
}

export function encodeUnsubscribe(p: UnsubscribePacket): Buffer {
    checkPacketId(p.packetId)
    const filters = p.filters
    // 3.10.3-2: at least one filter
    if (filters.length === 0) throw new MqttProtocolError("MQTT-3.10.3-2", "UNSUBSCRIBE without a filter")
    const encoded: Buffer[] = []
    let remaining = 2
    for (const f of filters) {
        checkTopicFilterChars(f)
        const e = stringBytes(f)
        encoded.push(e)
        remaining += 2 + e.length
    }
    // 3.10.1-1: UNSUBSCRIBE flags are 0010
    const b = allocFrame(0xa2, remaining)
    let o = bodyOffset(remaining)
    putU16be(b, o, p.packetId)
    o += 2
    for (const e of encoded) o = putBinary(b, o, e)
    return b
}

/** PINGREQ, PINGRESP, DISCONNECT: a fixed header with Remaining Length 0. */
export function encodeHeaderOnly(type: number): Buffer {
    return allocFrame(type << 4, 0)
}

/**
 * Serializes any packet; throws MqttProtocolError if the packet would break a rule.
 * Firmware that calls the per-type encoders instead lets the tree shaker drop the server-side ones.
 */
export function encodePacket(p: Packet): Buffer {
    switch (p.type) {
        case PacketType.PUBLISH: {
            const q = p as PublishPacket
            return encodePublish(q.topic, q.payload, q.qos, q.retain, q.dup, q.packetId)
        }
        case PacketType.CONNECT:
            return encodeConnect(p as ConnectPacket)
        case PacketType.CONNACK:
            return encodeConnack(p as ConnackPacket)
        case PacketType.PUBACK:
        case PacketType.PUBREC:
        case PacketType.PUBREL:
        case PacketType.PUBCOMP:
        case PacketType.UNSUBACK:
            return encodeAck(p.type, (p as PacketIdOnlyPacket).packetId)
        case PacketType.SUBSCRIBE:
            return encodeSubscribe(p as SubscribePacket)
        case PacketType.SUBACK:
            return encodeSuback(p as SubackPacket)
        case PacketType.UNSUBSCRIBE:
            return encodeUnsubscribe(p as UnsubscribePacket)
        case PacketType.PINGREQ:
        case PacketType.PINGRESP:
        case PacketType.DISCONNECT:
            return encodeHeaderOnly(p.type)
        default:
            throw new MqttProtocolError("MQTT-2.2.1", "unknown packet type")
    }
}
