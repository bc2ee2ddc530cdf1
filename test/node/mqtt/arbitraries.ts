// fast-check arbitraries for valid MQTT 3.1.1 packets (Node-only tests).
import fc from "fast-check"
import { Packet, PacketType, QoS } from "../../../src/mqtt/codec/packets"

/** Any code points (astral ones too), no U+0000, as the spec allows in strings (1.5.3). */
export const mqttString = (minLength = 0, maxLength = 12) =>
    fc.string({ unit: "binary", minLength, maxLength }).filter((s) => !s.includes("\u0000"))

const level = fc.string({ unit: "binary", minLength: 0, maxLength: 6 }).filter((s) => !/[\u0000/+#]/.test(s))
const asciiLevel = fc.constantFrom("a", "b", "sport", "", "$SYS", "x1")

export const topicName = fc
    .array(fc.oneof(level, asciiLevel), { minLength: 1, maxLength: 5 })
    .map((ls) => ls.join("/"))
    .filter((t) => t.length > 0)

export const topicFilter = fc
    .tuple(fc.array(fc.oneof(level, asciiLevel, fc.constant("+")), { minLength: 0, maxLength: 5 }), fc.boolean())
    .map(([ls, hash]) => (hash ? [...ls, "#"] : ls).join("/"))
    .filter((f) => f.length > 0)

export const qos = fc.constantFrom<QoS>(0, 1, 2)
export const packetId = fc.integer({ min: 1, max: 65535 })
export const bytes = (maxLength = 64) => fc.uint8Array({ maxLength }).map((a) => Buffer.from(a))

const will = fc.record({ topic: topicName, payload: bytes(), qos, retain: fc.boolean() })

const connect: fc.Arbitrary<Packet> = fc
    .record(
        {
            clientId: mqttString(0, 23),
            cleanSession: fc.boolean(),
            keepalive: fc.integer({ min: 0, max: 65535 }),
            username: mqttString(),
            password: bytes(),
            will,
        },
        { requiredKeys: ["clientId", "cleanSession", "keepalive"] }
    )
    .map((c) => {
        const p: any = { type: PacketType.CONNECT, ...c }
        if (p.clientId === "") p.cleanSession = true // 3.1.3-7
        if (p.username === undefined) delete p.password // 3.1.2-22
        return p as Packet
    })

const publish: fc.Arbitrary<Packet> = fc
    .record({ topic: topicName, payload: bytes(300), qos, retain: fc.boolean(), dup: fc.boolean(), packetId })
    .map((r) => {
        if (r.qos === 0) {
            const { packetId: _id, ...rest } = r
            return { type: PacketType.PUBLISH, ...rest, dup: false } as Packet
        }
        return { type: PacketType.PUBLISH, ...r } as Packet
    })

const idOnly: fc.Arbitrary<Packet> = fc
    .record({
        type: fc.constantFrom(PacketType.PUBACK, PacketType.PUBREC, PacketType.PUBREL, PacketType.PUBCOMP, PacketType.UNSUBACK),
        packetId,
    })
    .map((r) => r as Packet)

/** fc.record builds null-prototype objects; packets from the decoder are plain objects. */
function plain(v: any): any {
    if (Buffer.isBuffer(v) || v === null || typeof v !== "object") return v
    if (Array.isArray(v)) return v.map(plain)
    const o: any = {}
    for (const k of Object.keys(v)) o[k] = plain(v[k])
    return o
}

export const anyPacket: fc.Arbitrary<Packet> = fc
    .oneof(
        connect,
        fc.record({ sessionPresent: fc.boolean(), returnCode: fc.integer({ min: 0, max: 5 }) }).map(
            (r) =>
                ({
                    type: PacketType.CONNACK,
                    sessionPresent: r.returnCode === 0 && r.sessionPresent,
                    returnCode: r.returnCode,
                }) as Packet
        ),
        publish,
        publish,
        idOnly,
        fc
            .record({ packetId, subscriptions: fc.array(fc.record({ filter: topicFilter, qos }), { minLength: 1, maxLength: 4 }) })
            .map((r) => ({ type: PacketType.SUBSCRIBE, ...r }) as Packet),
        fc
            .record({ packetId, returnCodes: fc.array(fc.constantFrom(0, 1, 2, 0x80), { minLength: 1, maxLength: 4 }) })
            .map((r) => ({ type: PacketType.SUBACK, ...r }) as Packet),
        fc
            .record({ packetId, filters: fc.array(topicFilter, { minLength: 1, maxLength: 4 }) })
            .map((r) => ({ type: PacketType.UNSUBSCRIBE, ...r }) as Packet),
        fc.constantFrom(PacketType.PINGREQ, PacketType.PINGRESP, PacketType.DISCONNECT).map((t) => ({ type: t }) as Packet)
    )
    .map(plain)
