// Bad input never crashes the session: random bytes, and valid packets in random order, only ever
// produce a protocol-correct reply or a PROTOCOL_VIOLATION error followed by a reconnect.
import fc from "fast-check"
import { describe, expect, test } from "vitest"
import { encodePacket } from "../../../src/mqtt/codec/encode"
import { Packet, PacketType, QoS } from "../../../src/mqtt/codec/packets"
import { bringUp, options, rig } from "../../core/mqtt-session/harness"

const id = fc.integer({ min: 1, max: 65535 })
const serverPacket: fc.Arbitrary<Packet> = fc.oneof(
    fc
        .record({ type: fc.constant(PacketType.CONNACK), sessionPresent: fc.boolean(), returnCode: fc.integer({ min: 0, max: 5 }) })
        .map((p) => ({ ...p, sessionPresent: p.returnCode === 0 && p.sessionPresent }) as Packet),
    fc
        .record({
            type: fc.constant(PacketType.PUBLISH),
            topic: fc.constantFrom("a", "a/b", "$SYS/x", "ü/ß"),
            payload: fc.uint8Array({ maxLength: 20 }).map((u) => Buffer.from(u)),
            qos: fc.constantFrom<QoS>(0, 1, 2),
            retain: fc.boolean(),
            dup: fc.boolean(),
            packetId: id,
        })
        .map((p) => ({ ...p, dup: p.qos > 0 && p.dup, packetId: p.qos > 0 ? p.packetId : undefined }) as Packet),
    fc.record({
        type: fc.constantFrom(PacketType.PUBACK, PacketType.PUBREC, PacketType.PUBREL, PacketType.PUBCOMP, PacketType.UNSUBACK),
        packetId: id,
    }) as fc.Arbitrary<Packet>,
    fc.record({
        type: fc.constant(PacketType.SUBACK),
        packetId: id,
        returnCodes: fc.array(fc.constantFrom(0, 1, 2, 0x80), { minLength: 1, maxLength: 3 }),
    }) as fc.Arbitrary<Packet>,
    fc.record({ type: fc.constantFrom(PacketType.PINGRESP, PacketType.PINGREQ, PacketType.DISCONNECT) }) as fc.Arbitrary<Packet>,
    fc.record({
        type: fc.constant(PacketType.SUBSCRIBE),
        packetId: id,
        subscriptions: fc.constant([{ filter: "a/#", qos: 1 as QoS }]),
    }) as unknown as fc.Arbitrary<Packet>
)

describe("session input robustness", () => {
    test("random bytes: no exception escapes; any error is PROTOCOL_VIOLATION and the session goes offline", () => {
        fc.assert(
            fc.property(fc.array(fc.uint8Array({ minLength: 1, maxLength: 40 }), { maxLength: 10 }), (chunks) => {
                const r = rig(options())
                bringUp(r, false)
                r.session.publish("x", Buffer.from("1"), 2, false, undefined)
                r.session.subscribe([{ filter: "s/+", qos: 1 }], undefined)
                for (const c of chunks) r.session.onData(Buffer.from(c))
                for (const e of r.peer.errors) expect(["PROTOCOL_VIOLATION", "CONNECTION_REFUSED", "SUBSCRIBE_FAILED"]).toContain(e.code)
                if (r.peer.errors.some((e) => e.code === "PROTOCOL_VIOLATION")) expect(r.session.isConnected()).toBe(false)
            }),
            { numRuns: 2000 }
        )
    })

    test("valid server packets in any order and any chunking: replies are well-formed, nothing throws", () => {
        fc.assert(
            fc.property(fc.array(serverPacket, { maxLength: 30 }), fc.integer({ min: 1, max: 7 }), (packets, cut) => {
                const r = rig(options())
                bringUp(r, false)
                r.session.publish("x", Buffer.from("1"), 1, false, undefined)
                r.session.publish("y", Buffer.from("2"), 2, false, undefined)
                r.session.subscribe([{ filter: "s/+", qos: 1 }], undefined)
                const bytes = Buffer.concat(packets.map((p) => encodePacket(p)))
                for (let o = 0; o < bytes.length; o += cut) r.session.onData(bytes.subarray(o, Math.min(bytes.length, o + cut)))
                // every write was exactly one valid packet (the harness decodes each write strictly)
                for (const e of r.peer.errors) expect(["PROTOCOL_VIOLATION", "CONNECTION_REFUSED", "SUBSCRIBE_FAILED"]).toContain(e.code)
            }),
            { numRuns: 2000 }
        )
    })
})
