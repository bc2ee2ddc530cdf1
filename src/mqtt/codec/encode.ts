// MQTT 3.1.1 serializer: Packet -> bytes. Pure; the session never touches bytes.
// Every packet is sized first and written into one Buffer, so it goes to the socket in one
// write. Strings are converted by the runtime (utf8Bytes: one small temporary per string,
// far cheaper in the DeviceScript VM than a bytecode loop per character); topicNameBytes keeps
// the last topic's bytes, so publishing to the same topic again allocates only the packet.
// encodePacket refuses any packet that breaks a rule. The per-type encoders the client session
// calls check what shapes the bytes (strings, lengths, packet ids but PUBLISH's) and leave the
// rules the session enforces on its own inputs (QoS, DUP, topic filters, CONNECT's flag rules)
// to it: on a board every check is bytecode, and publish runs per message. encodePacket checks
// those too, so its callers (server role, tests, fuzzers) get the strict encoder.

import { fail } from "./errors"
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
import { putU16be, utf8Length } from "../../util/bytes"
import { Payload } from "../../io"

/** 2.2.3: the largest Remaining Length four varint bytes can carry. */
export const MAX_REMAINING_LENGTH = 268435455

/** Bytes the 2.2.3 Remaining Length varint takes for n. */
export function remainingLengthSize(n: number): number {
    if (n < 0 || n > MAX_REMAINING_LENGTH || n !== Math.floor(n)) fail("MQTT-2.2.3", "remaining length out of range")
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

/**
 * Allocates the one buffer of a packet and writes its fixed header (2.2): the first byte and the
 * Remaining Length varint. The body starts at b.length - remaining. `remaining` is a sum of
 * lengths, so only its upper bound needs checking. `omit`: the buffer leaves out that many bytes
 * at the end (a payload written separately), so the body starts at b.length + omit - remaining.
 */
function allocFrame(firstByte: number, remaining: number, omit?: number): Buffer {
    if (remaining > 268435455) fail("MQTT-2.2.3", "remaining length out of range")
    let size = 2 + remaining
    for (let v = remaining >> 7; v > 0; v = v >> 7) size++
    const b = Buffer.alloc(size - (omit || 0))
    b[0] = firstByte
    writeRemainingLength(b, 1, remaining)
    return b
}

/** allocFrame for packets whose body starts with a packet id, written here after its 2.3.1-1 check. */
function allocWithId(firstByte: number, remaining: number, id: number): Buffer {
    // 2.3.1-1: non-zero 16-bit packet identifier (the mask also refuses fractions, NaN, undefined)
    if (id === 0 || (id & 0xffff) !== id) fail("MQTT-2.3.1-1", "packet id must be 1..65535")
    const b = allocFrame(firstByte, remaining)
    putU16be(b, b.length - remaining, id)
    return b
}

/** Writes a 1.5.3 string's or a 1.5.6 binary field's bytes with their 2-byte length; returns the offset after. */
function putBinary(b: Buffer, o: number, v: Buffer): number {
    const n = v.length
    if (n > 65535) fail("MQTT-1.5.3", "field longer than 65535 bytes")
    putU16be(b, o, n)
    b.set(v, o + 2)
    return o + 2 + n
}

function checkQos(qos: number, rule: string): void {
    if (!(qos === 0 || qos === 1 || qos === 2)) fail(rule, "QoS must be 0, 1 or 2")
}

/**
 * 3.3 PUBLISH, the hot path: no intermediate objects; packetId is ignored for QoS 0. The topic is
 * checked here (topicNameBytes, cached per topic); QoS, DUP and the packet id are the caller's:
 * the session checks QoS on publish() and takes ids from its allocator, and encodePacket checks
 * all three (3.3.1-4, 3.3.1-2, 2.3.1-1) for any other caller. A string payload is sent as its
 * UTF-8 bytes; a text in parts (src/io.ts) only with headOnly. headOnly: only the packet's bytes before the payload, which the caller writes
 * right after them (SessionSink.write), so a long text needs no block of the whole packet: in the
 * board's heap, which never moves anything, each copy of a large reply needs a free block of its
 * whole size.
 */
export function encodePublish(
    topic: string,
    payload: Payload,
    qos: number,
    retain: boolean,
    dup: boolean,
    packetId: number,
    headOnly?: boolean
): Buffer {
    const tb = topicNameBytes(topic)
    const tl = tb.length
    const bytes = payload instanceof Buffer
    const pl = bytes ? (payload as Buffer).length : utf8Length(payload as string[])
    const remaining = 2 + tl + (qos > 0 ? 2 : 0) + pl
    const omit = headOnly ? pl : 0
    const first = 0x30 | (dup ? 8 : 0) | (qos << 1) | (retain ? 1 : 0)
    const b = allocFrame(first, remaining, omit)
    let o = b.length + omit - remaining
    // (a byte store keeps the value mod 256 in both runtimes)
    b[o] = tl >> 8
    b[o + 1] = tl
    b.set(tb, o + 2)
    o += 2 + tl
    if (qos > 0) {
        b[o] = packetId >> 8
        b[o + 1] = packetId
        o += 2
    }
    if (omit) return b
    b.set(bytes ? (payload as Buffer) : Buffer.from(payload as string), o)
    return b
}

// 3.1.2.1 protocol name "MQTT", 3.1.2.2 protocol level 4
const PROTOCOL = "00044d51545404"

/**
 * 3.1 CONNECT. Checks what shapes the bytes (1.5.3 strings, the will topic, field lengths); what
 * the SessionCore constructor refuses for its options (keepalive 3.1.2.10, 3.1.3-7, 3.1.2-22,
 * will QoS 3.1.2-14) is checked by encodePacket for any other caller.
 */
export function encodeConnect(p: ConnectPacket): Buffer {
    // 3.1.3: the payload's fields in order: client id, will topic and message, user name, password
    const fields = [utf8Bytes(p.clientId)]
    let flags = p.cleanSession ? 0x02 : 0
    const w = p.will
    if (w) {
        fields.push(topicNameBytes(w.topic), w.payload)
        flags |= 0x04 | (w.qos << 3) | (w.retain ? 0x20 : 0)
    }
    if (p.username !== undefined) {
        fields.push(utf8Bytes(p.username))
        flags |= 0x80
    }
    if (p.password !== undefined) {
        fields.push(p.password)
        flags |= 0x40
    }
    let remaining = 10
    for (const f of fields) remaining += 2 + f.length
    const b = allocFrame(0x10, remaining)
    let o = b.length - remaining
    b.set(Buffer.from(PROTOCOL, "hex"), o)
    b[o + 7] = flags
    putU16be(b, o + 8, p.keepalive)
    o += 10
    for (const f of fields) o = putBinary(b, o, f)
    return b
}

export function encodeConnack(p: ConnackPacket): Buffer {
    const rc = p.returnCode
    // 3.2.2.3: return codes 6..255 are reserved
    if (!(rc >= 0 && rc <= 5 && rc === Math.floor(rc))) fail("MQTT-3.2.2.3", "CONNACK return code must be 0..5")
    // 3.2.2-4: session present is 0 with a non-zero return code
    if (rc !== 0 && p.sessionPresent) fail("MQTT-3.2.2-4", "session present with a refusal")
    const b = allocFrame(0x20, 2)
    b[2] = p.sessionPresent ? 1 : 0
    b[3] = rc
    return b
}

/** PUBACK, PUBREC, PUBREL, PUBCOMP, UNSUBACK: fixed header + packet id. */
export function encodeAck(type: number, packetId: number): Buffer {
    // 3.6.1-1: PUBREL flags are 0010
    return allocWithId((type << 4) | (type === PacketType.PUBREL ? 2 : 0), 2, packetId)
}

/**
 * 3.8 SUBSCRIBE. The filters (4.7.1 wildcards, 4.7.3-1) and requested QoS are the caller's: the
 * session checks them in subscribe(), encodePacket for any other caller.
 */
export function encodeSubscribe(p: SubscribePacket): Buffer {
    const subs = p.subscriptions
    const filters: Buffer[] = []
    let remaining = 2
    for (const s of subs) {
        const f = utf8Bytes(s.filter)
        filters.push(f)
        remaining += 3 + f.length
    }
    // 3.8.1-1: SUBSCRIBE flags are 0010
    const b = allocWithId(0x82, remaining, p.packetId)
    let o = b.length - remaining + 2
    for (let i = 0; i < subs.length; i++) {
        o = putBinary(b, o, filters[i])
        b[o++] = subs[i].qos
    }
    return b
}

export function encodeSuback(p: SubackPacket): Buffer {
    const codes = p.returnCodes
    if (codes.length === 0) fail("MQTT-3.9.3", "SUBACK without a return code")
    for (const c of codes)
        if (!(c === 0 || c === 1 || c === 2 || c === 0x80)) fail("MQTT-3.9.3-2", "SUBACK return code must be 0, 1, 2 or 0x80")
    const remaining = 2 + codes.length
    const b = allocWithId(0x90, remaining, p.packetId)
    let o = b.length - remaining + 2
    for (const c of codes) b[o++] = c
    return b
}

/** 3.10 UNSUBSCRIBE. Like encodeSubscribe, the filters are checked by the session or by encodePacket. */
export function encodeUnsubscribe(p: UnsubscribePacket): Buffer {
    const encoded: Buffer[] = []
    let remaining = 2
    for (const f of p.filters) {
        const e = utf8Bytes(f)
        encoded.push(e)
        remaining += 2 + e.length
    }
    // 3.10.1-1: UNSUBSCRIBE flags are 0010
    const b = allocWithId(0xa2, remaining, p.packetId)
    let o = b.length - remaining + 2
    for (const e of encoded) o = putBinary(b, o, e)
    return b
}

/** PINGREQ, PINGRESP, DISCONNECT: a fixed header with Remaining Length 0. */
export function encodeHeaderOnly(type: number): Buffer {
    return allocFrame(type << 4, 0)
}

/**
 * Serializes any packet; throws MqttProtocolError if the packet would break a rule.
 * Besides what each per-type encoder checks, it checks what the client session checks on its own
 * inputs before it calls those encoders (QoS, DUP, the PUBLISH packet id, CONNECT's flag rules,
 * topic filters), so this is the strict entry for every other caller.
 * Firmware that calls the per-type encoders instead lets the tree shaker drop the server-side ones.
 */
export function encodePacket(p: Packet): Buffer {
    switch (p.type) {
        case PacketType.PUBLISH: {
            const q = p as PublishPacket
            // 3.3.1-4: QoS 3 is invalid
            checkQos(q.qos, "MQTT-3.3.1-4")
            // 3.3.1-2: DUP is 0 for QoS 0
            if (q.qos === 0 && q.dup) fail("MQTT-3.3.1-2", "DUP set on a QoS 0 PUBLISH")
            // 2.3.1-1: the packet id of a QoS 1/2 PUBLISH
            if (q.qos > 0 && (q.packetId === 0 || ((q.packetId as number) & 0xffff) !== q.packetId))
                fail("MQTT-2.3.1-1", "packet id must be 1..65535")
            return encodePublish(q.topic, q.payload, q.qos, q.retain, q.dup, q.packetId as number)
        }
        case PacketType.CONNECT: {
            const c = p as ConnectPacket
            // 3.1.2.10: a 16-bit number of seconds (the mask also refuses fractions and negatives)
            if ((c.keepalive & 0xffff) !== c.keepalive) fail("MQTT-3.1.2.10", "keepalive must be 0..65535 seconds")
            // 3.1.3-7: a zero-length client id needs a clean session
            if (c.clientId.length === 0 && !c.cleanSession) fail("MQTT-3.1.3-7", "empty client id without clean session")
            // 3.1.2-22: no password without a user name
            if (c.password !== undefined && c.username === undefined) fail("MQTT-3.1.2-22", "password without user name")
            // 3.1.2-14: will QoS is 0, 1 or 2
            if (c.will) checkQos(c.will.qos, "MQTT-3.1.2-14")
            return encodeConnect(c)
        }
        case PacketType.CONNACK:
            return encodeConnack(p as ConnackPacket)
        case PacketType.PUBACK:
        case PacketType.PUBREC:
        case PacketType.PUBREL:
        case PacketType.PUBCOMP:
        case PacketType.UNSUBACK:
            return encodeAck(p.type, (p as PacketIdOnlyPacket).packetId)
        case PacketType.SUBSCRIBE: {
            const subs = (p as SubscribePacket).subscriptions
            // 3.8.3-3: at least one filter
            if (subs.length === 0) fail("MQTT-3.8.3-3", "SUBSCRIBE without a filter")
            for (const s of subs) {
                checkTopicFilterChars(s.filter)
                // 3.8.3-4: requested QoS is 0, 1 or 2
                checkQos(s.qos, "MQTT-3.8.3-4")
            }
            return encodeSubscribe(p as SubscribePacket)
        }
        case PacketType.SUBACK:
            return encodeSuback(p as SubackPacket)
        case PacketType.UNSUBSCRIBE: {
            const filters = (p as UnsubscribePacket).filters
            // 3.10.3-2: at least one filter
            if (filters.length === 0) fail("MQTT-3.10.3-2", "UNSUBSCRIBE without a filter")
            for (const f of filters) checkTopicFilterChars(f)
            return encodeUnsubscribe(p as UnsubscribePacket)
        }
        case PacketType.PINGREQ:
        case PacketType.PINGRESP:
        case PacketType.DISCONNECT:
            return encodeHeaderOnly(p.type)
        default:
            fail("MQTT-2.2.1", "unknown packet type")
    }
}
