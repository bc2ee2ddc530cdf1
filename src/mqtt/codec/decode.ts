// MQTT 3.1.1 parser: one complete packet's bytes -> Packet, strict per sections 1.5, 2 and 3.
// Decodes all 14 types in both directions (tests and fuzzers play the server role too).
// Any violation throws MqttProtocolError naming the rule; the caller closes the connection.
// Strings are validated as UTF-8 (see utf8.ts); byte fields (payload, will message, password)
// are copied natively (sliceBytes: a byte loop in the VM trips its watchdog at about 8 KB, so a
// peer could crash the firmware) so the caller may reuse its receive buffer.

import { fail } from "./errors"
import { ConnectPacket, Packet, PacketType, PublishPacket, QoS, Subscription } from "./packets"
import { checkTopicFilterChars, checkTopicNameChars } from "./topics"
import { utf8String } from "./utf8"
import { sliceBytes, u16be } from "../../util/bytes"

// Per packet type 0..15, as strings (a table of numbers or strings is built by code in `main` on
// the board; a string literal is not code). FLAGS: the flag nibble the type must carry (2.2.2
// Table 2.2), "p" for PUBLISH (DUP/QoS/RETAIN), "r" for the reserved types 0 and 15 (2.2.1).
// LENGTHS: the exact Remaining Length of the fixed-size packets, "-" for variable.
const FLAGS = "r00p00202020000r"
const LENGTHS = "--2-2222---2000-"

/**
 * Checks the first byte of a packet (type and flags, 2.2.1 / 2.2.2) and, unless length is -1,
 * the Remaining Length of the fixed-size types (3.x.1), so a receiver can refuse a stream from
 * its header before buffering the body (FrameAssembler passes -1: a bad length is found once the
 * body is consumed). The decoders make both checks.
 */
export function checkFixedHeader(header: number, length: number): void {
    const type = header >> 4
    const want = FLAGS.charCodeAt(type)
    // 2.2.1: types 0 and 15 are reserved
    if (want === 0x72) fail("MQTT-2.2.1", "reserved packet type")
    const flags = header & 0x0f
    if (want === 0x70) {
        // 3.3.1-4: QoS 3 is invalid; 3.3.1-2: DUP is 0 for QoS 0
        const qos = (flags >> 1) & 3
        if (qos === 3) fail("MQTT-3.3.1-4", "PUBLISH with QoS 3")
        if (flags > 7 && qos === 0) fail("MQTT-3.3.1-2", "DUP set on a QoS 0 PUBLISH")
    } else if (flags !== want - 0x30)
        // PUBREL, SUBSCRIBE and UNSUBSCRIBE (flags 0010) have their own rules: 3.6.1-1, 3.8.1-1, 3.10.1-1
        fail(want === 0x32 ? "MQTT-3." + type + ".1-1" : "MQTT-2.2.2-1", "invalid fixed header flags")
    const fixed = LENGTHS.charCodeAt(type) - 0x30
    // 3.x.1: PUBACK, PUBREC, PUBREL, PUBCOMP, UNSUBACK and CONNACK have 2 bytes, PINGREQ, PINGRESP and DISCONNECT none
    if (fixed >= 0 && length >= 0 && length !== fixed) fail("MQTT-3." + type + ".1", "remaining length must be " + fixed)
}

function short(what: string): never {
    fail("MQTT-2.2.3", "remaining length too short for " + what)
}

/** Length of the 1.5.3 string (or 1.5.6 binary field) at p, checked against end. */
function fieldLength(b: Buffer, p: number, end: number, what: string): number {
    if (p + 2 > end) short(what)
    const n = u16be(b, p)
    if (p + 2 + n > end) short(what)
    return n
}

/** The packet id at p (2 bytes before end at most), non-zero (2.3.1-1). */
function packetIdAt(b: Buffer, p: number, end: number): number {
    if (p + 2 > end) short("packet id")
    const id = u16be(b, p)
    if (id === 0) fail("MQTT-2.3.1-1", "packet id 0")
    return id
}

function decodeConnect(b: Buffer, p: number, end: number): ConnectPacket {
    // 3.1.2.1: protocol name "MQTT"
    if (p + 10 > end) short("CONNECT variable header")
    if (b[p] !== 0 || b[p + 1] !== 4 || b[p + 2] !== 0x4d || b[p + 3] !== 0x51 || b[p + 4] !== 0x54 || b[p + 5] !== 0x54)
        fail("MQTT-3.1.2-1", "protocol name is not MQTT")
    // 3.1.2-2: protocol level 4; a server answers CONNACK 0x01 to this rule
    if (b[p + 6] !== 4) fail("MQTT-3.1.2-2", "protocol level is not 4")
    const flags = b[p + 7]
    // 3.1.2-3: reserved connect flag is 0
    if ((flags & 1) !== 0) fail("MQTT-3.1.2-3", "reserved connect flag set")
    const hasWill = (flags & 0x04) !== 0
    const willQos = (flags >> 3) & 3
    const willRetain = (flags & 0x20) !== 0
    const hasPassword = (flags & 0x40) !== 0
    const hasUser = (flags & 0x80) !== 0
    if (hasWill) {
        // 3.1.2-14: will QoS is not 3
        if (willQos === 3) fail("MQTT-3.1.2-14", "will QoS 3")
    } else {
        // 3.1.2-13 / 3.1.2-15: without a will, will QoS and will retain are 0
        if (willQos !== 0) fail("MQTT-3.1.2-13", "will QoS without will flag")
        if (willRetain) fail("MQTT-3.1.2-15", "will retain without will flag")
    }
    // 3.1.2-22: no password without a user name
    if (hasPassword && !hasUser) fail("MQTT-3.1.2-22", "password flag without user name flag")
    const cleanSession = (flags & 0x02) !== 0
    const keepalive = u16be(b, p + 8)
    p += 10
    // 3.1.3-3: the client id comes first
    let n = fieldLength(b, p, end, "client id")
    const clientId = utf8String(b, p + 2, p + 2 + n)
    p += 2 + n
    // 3.1.3-8: a zero-length client id needs clean session (server answers CONNACK 0x02)
    if (n === 0 && !cleanSession) fail("MQTT-3.1.3-8", "empty client id without clean session")
    const pkt: ConnectPacket = { type: PacketType.CONNECT, clientId, cleanSession, keepalive }
    if (hasWill) {
        // 3.1.2-9: will topic and will message follow
        n = fieldLength(b, p, end, "will topic")
        const topic = utf8String(b, p + 2, p + 2 + n)
        checkTopicNameChars(topic)
        p += 2 + n
        n = fieldLength(b, p, end, "will message")
        const payload = sliceBytes(b, p + 2, p + 2 + n)
        p += 2 + n
        pkt.will = { topic, payload, qos: willQos as QoS, retain: willRetain }
    }
    if (hasUser) {
        // 3.1.2-19
        n = fieldLength(b, p, end, "user name")
        pkt.username = utf8String(b, p + 2, p + 2 + n)
        p += 2 + n
    }
    if (hasPassword) {
        // 3.1.2-21
        n = fieldLength(b, p, end, "password")
        pkt.password = sliceBytes(b, p + 2, p + 2 + n)
        p += 2 + n
    }
    // 3.1.2-11 / -18 / -20: no fields beyond those the flags announce
    if (p !== end) fail("MQTT-3.1.3", "bytes after the last CONNECT field")
    return pkt
}

/**
 * PUBLISH's variable header (3.3.2) in b[p..end): the packet without its payload, which starts
 * after the topic and, for QoS 1/2, the packet id. FrameAssembler calls it alone for a PUBLISH it
 * collects into its own buffer or counts through unstored (over maxPacketSize).
 */
export function decodePublishHeader(header: number, b: Buffer, p: number, end: number): PublishPacket {
    const qos = (header >> 1) & 3
    const n = fieldLength(b, p, end, "topic name")
    // 3.3.2-1: topic is a UTF-8 string; 3.3.2-2 / 4.7.3-1: no wildcards, not empty
    const topic = utf8String(b, p + 2, p + 2 + n)
    checkTopicNameChars(topic)
    const pkt: PublishPacket = {
        type: PacketType.PUBLISH,
        topic,
        payload: undefined as any, // set below, after the packet id
        qos: qos as QoS,
        retain: (header & 1) !== 0,
        dup: (header & 8) !== 0,
    }
    if (qos > 0) pkt.packetId = packetIdAt(b, p + 2 + n, end)
    return pkt
}

function decodePublish(header: number, b: Buffer, p: number, end: number): PublishPacket {
    const pkt = decodePublishHeader(header, b, p, end)
    pkt.payload = sliceBytes(b, p + 2 + u16be(b, p) + (pkt.qos > 0 ? 2 : 0), end)
    return pkt
}

function decodeSubscribe(b: Buffer, p: number, end: number): Packet {
    const packetId = packetIdAt(b, p, end)
    p += 2
    // 3.8.3-3: at least one filter
    if (p === end) fail("MQTT-3.8.3-3", "SUBSCRIBE without a filter")
    const subscriptions: Subscription[] = []
    while (p < end) {
        const n = fieldLength(b, p, end, "topic filter")
        const filter = utf8String(b, p + 2, p + 2 + n)
        checkTopicFilterChars(filter)
        p += 2 + n
        if (p >= end) short("requested QoS")
        const q = b[p++]
        // 3.8.3-4: requested QoS is 0..2 and the upper six bits are 0
        if (q > 2) fail("MQTT-3.8.3-4", "invalid requested QoS byte")
        subscriptions.push({ filter, qos: q as QoS })
    }
    return { type: PacketType.SUBSCRIBE, packetId, subscriptions }
}

function decodeSuback(b: Buffer, p: number, end: number): Packet {
    const packetId = packetIdAt(b, p, end)
    p += 2
    if (p === end) fail("MQTT-3.9.3", "SUBACK without a return code")
    const returnCodes: number[] = []
    while (p < end) {
        const c = b[p++]
        // 3.9.3-2: 0x00, 0x01, 0x02 or 0x80 only
        if (!(c <= 2 || c === 0x80)) fail("MQTT-3.9.3-2", "reserved SUBACK return code")
        returnCodes.push(c)
    }
    return { type: PacketType.SUBACK, packetId, returnCodes }
}

function decodeUnsubscribe(b: Buffer, p: number, end: number): Packet {
    const packetId = packetIdAt(b, p, end)
    p += 2
    // 3.10.3-2: at least one filter
    if (p === end) fail("MQTT-3.10.3-2", "UNSUBSCRIBE without a filter")
    const filters: string[] = []
    while (p < end) {
        const n = fieldLength(b, p, end, "topic filter")
        const filter = utf8String(b, p + 2, p + 2 + n)
        checkTopicFilterChars(filter)
        filters.push(filter)
        p += 2 + n
    }
    return { type: PacketType.UNSUBSCRIBE, packetId, filters }
}

/** Decodes one packet from its first byte and its body b[offset..offset+length). */
export type PacketDecoder = (header: number, b: Buffer, offset: number, length: number) => Packet

function decodeConnack(b: Buffer, offset: number): Packet {
    const ack = b[offset]
    // 3.2.2.1: bits 7-1 of the acknowledge flags are reserved
    if (ack > 1) fail("MQTT-3.2.2.1", "reserved CONNACK flags set")
    const rc = b[offset + 1]
    // 3.2.2.3: return codes 6..255 are reserved
    if (rc > 5) fail("MQTT-3.2.2.3", "reserved CONNACK return code")
    // 3.2.2-4: session present is 0 with a non-zero return code (both are bytes: the product is 0 unless both are set)
    if (rc * ack !== 0) fail("MQTT-3.2.2-4", "session present with a refusal")
    return { type: PacketType.CONNACK, sessionPresent: ack === 1, returnCode: rc }
}

/**
 * The client role: decodes only what a server sends (Table 2.1 direction of flow). CONNECT,
 * SUBSCRIBE, UNSUBSCRIBE, PINGREQ and DISCONNECT are refused with MQTT-2.2.1. Keeping the
 * server-bound decoders out of this path lets DeviceScript's tree shaker drop them from firmware.
 */
export function decodeFromServer(header: number, b: Buffer, offset: number, length: number): Packet {
    checkFixedHeader(header, length)
    const type = header >> 4
    if (type === PacketType.PUBLISH) return decodePublish(header, b, offset, offset + length)
    if (type === PacketType.CONNACK) return decodeConnack(b, offset)
    if (type === PacketType.SUBACK) return decodeSuback(b, offset, offset + length)
    if (type === PacketType.PINGRESP) return { type: type } as Packet
    // PUBACK, PUBREC, PUBREL, PUBCOMP, UNSUBACK: the two bytes checkFixedHeader asked for are the packet id
    if (LENGTHS.charCodeAt(type) === 0x32) return { type: type, packetId: packetIdAt(b, offset, offset + 2) } as Packet
    // CONNECT, SUBSCRIBE, UNSUBSCRIBE (variable length), PINGREQ, DISCONNECT (length 0)
    fail("MQTT-2.2.1", "a server does not send packet type " + type)
}

/**
 * Both directions (the server role, tests, fuzzers): decodes any of the 14 types. `header` is
 * the packet's first byte, b[offset..offset+length) its body (variable header + payload).
 */
export function decodePacket(header: number, b: Buffer, offset: number, length: number): Packet {
    const type = header >> 4
    switch (type) {
        case PacketType.CONNECT:
        case PacketType.SUBSCRIBE:
        case PacketType.UNSUBSCRIBE:
        case PacketType.PINGREQ:
        case PacketType.DISCONNECT:
            break
        default:
            return decodeFromServer(header, b, offset, length)
    }
    checkFixedHeader(header, length)
    const end = offset + length
    if (type === PacketType.CONNECT) return decodeConnect(b, offset, end)
    if (type === PacketType.SUBSCRIBE) return decodeSubscribe(b, offset, end)
    if (type === PacketType.UNSUBSCRIBE) return decodeUnsubscribe(b, offset, end)
    // PINGREQ, DISCONNECT: the fixed header is all there is
    return { type: type } as Packet
}

/**
 * Reads the 2.2.3 Remaining Length varint at b[o..end). Returns the value, or -1 when the bytes
 * end before the varint does; throws when a fourth byte still has the continuation bit.
 * The number of bytes it took is remainingLengthSize(value) only for minimal encodings, so
 * callers that need it use readRemainingLengthBytes.
 */
export function readRemainingLength(b: Buffer, o: number, end: number): number {
    const k = readRemainingLengthBytes(b, o, end)
    if (k < 0) return -1
    let v = 0
    let mul = 1
    for (let i = 0; i < k; i++) {
        v += (b[o + i] & 0x7f) * mul
        mul *= 128
    }
    return v
}

/** How many bytes the Remaining Length varint at b[o..end) takes (1..4), -1 if incomplete. */
export function readRemainingLengthBytes(b: Buffer, o: number, end: number): number {
    for (let i = 0; i < 4; i++) {
        if (o + i >= end) return -1
        if ((b[o + i] & 0x80) === 0) return i + 1
    }
    fail("MQTT-2.2.3", "remaining length longer than 4 bytes")
}

/** Decodes exactly one complete frame (fixed header included; both directions); no missing or extra bytes. */
export function decodeFrame(frame: Buffer): Packet {
    const len = frame.length
    if (len < 2) short("fixed header")
    checkFixedHeader(frame[0], -1)
    const k = readRemainingLengthBytes(frame, 1, len)
    if (k < 0) short("remaining length")
    const rl = readRemainingLength(frame, 1, len)
    if (1 + k + rl !== len) fail("MQTT-2.2.3", "remaining length does not match the frame")
    return decodePacket(frame[0], frame, 1 + k, rl)
}
