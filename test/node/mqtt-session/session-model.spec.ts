// Property test: random interleavings of publishes, broker acknowledgements in any order,
// duplicate inbound QoS 2, link drops and reconnects with or without a session. Invariants:
// - no two unacknowledged PUBLISH on the wire share a packet id; ids are 1..65535;
// - after a final clean run every publish completes exactly once, without error;
// - a QoS 2 PUBLISH is never sent again once PUBREC came back (only PUBREL, 4.3.3);
// - an inbound QoS 2 id is delivered once until its PUBREL, however often it is resent;
// - each write holds exactly one packet (decodeFrame throws otherwise), nothing else throws.
import fc from "fast-check"
import { describe, expect, test } from "vitest"
import { PacketType, PublishPacket, QoS } from "../../../src/mqtt/codec/packets"
import { bringUp, feed, options, Rig, rig } from "../../core/mqtt-session/harness"

type Step =
    | { k: "pub"; qos: QoS }
    | { k: "ack"; pick: number }
    | { k: "drop"; present: boolean }
    | { k: "in2"; id: number; dup: number }
    | { k: "rel"; id: number }
    | { k: "time"; ms: number }

const step: fc.Arbitrary<Step> = fc.oneof(
    { weight: 5, arbitrary: fc.record({ k: fc.constant("pub" as const), qos: fc.constantFrom<QoS>(0, 1, 2) }) },
    { weight: 5, arbitrary: fc.record({ k: fc.constant("ack" as const), pick: fc.nat(1000) }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant("drop" as const), present: fc.boolean() }) },
    {
        weight: 2,
        arbitrary: fc.record({ k: fc.constant("in2" as const), id: fc.integer({ min: 1, max: 4 }), dup: fc.integer({ min: 0, max: 2 }) }),
    },
    { weight: 1, arbitrary: fc.record({ k: fc.constant("rel" as const), id: fc.integer({ min: 1, max: 4 }) }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant("time" as const), ms: fc.nat(30000) }) }
) as fc.Arbitrary<Step> // (with strictNullChecks off, fc.record's fields type as optional)

/** The broker's view of what the client put on the wire and has not had acknowledged yet. */
interface Wire {
    awaitingAck: Map<number, PublishPacket> // QoS 1 PUBLISH / QoS 2 PUBLISH (before PUBREC)
    awaitingComp: Set<number> // QoS 2 after PUBREL
    /** QoS 2 ids the broker answered with PUBREC (until PUBCOMP); survives link drops. */
    pubrecSent: Set<number>
}

function absorb(r: Rig, wire: Wire): void {
    for (const p of r.peer.take()) {
        if (p.type === PacketType.PUBLISH) {
            const q = p as PublishPacket
            if (q.qos === 0) continue
            expect(q.packetId).toBeGreaterThanOrEqual(1)
            expect(q.packetId).toBeLessThanOrEqual(65535)
            // 4.3.3: once PUBREC arrived the sender must never send that PUBLISH again, only PUBREL
            expect(wire.pubrecSent.has(q.packetId)).toBe(false)
            const prev = wire.awaitingAck.get(q.packetId)
            // a resend must be the same message with DUP; a fresh id must not be in flight
            if (prev) {
                expect(q.dup).toBe(true)
                expect(q.topic).toBe(prev.topic)
            } else expect(wire.awaitingComp.has(q.packetId)).toBe(false)
            wire.awaitingAck.set(q.packetId, q)
        } else if (p.type === PacketType.PUBREL) {
            const id = (p as { packetId: number }).packetId
            wire.awaitingAck.delete(id)
            wire.awaitingComp.add(id)
        }
    }
}

function ackOne(r: Rig, wire: Wire, pick: number): void {
    const pending: Array<[number, number]> = []
    for (const [id, p] of wire.awaitingAck) pending.push([id, p.qos === 1 ? PacketType.PUBACK : PacketType.PUBREC])
    for (const id of wire.awaitingComp) pending.push([id, PacketType.PUBCOMP])
    if (pending.length === 0) return
    const [id, type] = pending[pick % pending.length]
    if (type === PacketType.PUBACK) wire.awaitingAck.delete(id)
    if (type === PacketType.PUBREC) wire.pubrecSent.add(id)
    if (type === PacketType.PUBCOMP) {
        wire.awaitingComp.delete(id)
        wire.pubrecSent.delete(id)
    }
    feed(r, { type: type as PacketType.PUBACK, packetId: id })
}

describe("session model", () => {
    test("random interleavings keep the invariants", () => {
        fc.assert(
            fc.property(fc.array(step, { maxLength: 120 }), fc.integer({ min: 1, max: 8 }), (steps, window) => {
                const o = options()
                o.clean = false
                o.inflightWindow = window
                o.outboxMaxMessages = 1000
                o.outboxMaxBytes = 100000
                const r = rig(o)
                bringUp(r, false)
                const wire: Wire = { awaitingAck: new Map(), awaitingComp: new Set(), pubrecSent: new Set() }
                const completions: number[] = []
                const errors: string[] = []
                let published = 0
                const held = new Set<number>()
                const deliveredWhileHeld = new Map<number, number>()
                for (const s of steps) {
                    const live = r.session.isConnected()
                    switch (s.k) {
                        case "pub": {
                            const n = published++
                            completions.push(0)
                            r.session.publish("t/" + n, Buffer.from([n & 255]), s.qos, false, (err) => {
                                if (err) errors.push((err as Error).message)
                                completions[n]++
                            })
                            break
                        }
                        case "ack":
                            if (live) ackOne(r, wire, s.pick)
                            break
                        case "drop":
                            if (live) r.session.onClose("cut")
                            r.peer.take()
                            // what was on the wire is only known to the client now; the broker keeps
                            // (present) or loses its half, and the client resends all of it anyway
                            wire.awaitingAck.clear()
                            wire.awaitingComp.clear()
                            if (!s.present) held.clear()
                            bringUp(r, s.present)
                            break
                        case "in2":
                            if (!live) break
                            for (let i = 0; i <= s.dup; i++) {
                                const before = r.peer.messages.length
                                feed(r, {
                                    type: PacketType.PUBLISH,
                                    topic: "in",
                                    payload: Buffer.from("x"),
                                    qos: 2,
                                    retain: false,
                                    dup: i > 0,
                                    packetId: s.id,
                                })
                                if (r.peer.messages.length > before) {
                                    // delivered: the id must not have been held
                                    expect(held.has(s.id)).toBe(false)
                                    held.add(s.id)
                                    deliveredWhileHeld.set(s.id, (deliveredWhileHeld.get(s.id) ?? 0) + 1)
                                } else expect(held.has(s.id)).toBe(true)
                            }
                            break
                        case "rel":
                            if (!live) break
                            feed(r, { type: PacketType.PUBREL, packetId: s.id })
                            held.delete(s.id)
                            break
                        case "time":
                            r.clock.t += s.ms
                            r.session.tick()
                            if (!r.session.isConnected()) {
                                wire.awaitingAck.clear()
                                wire.awaitingComp.clear()
                                bringUp(r, true)
                            }
                            break
                    }
                    absorb(r, wire)
                    // every answer the broker owes resets liveness; answer pings so time steps stay connected
                    if (r.session.isConnected()) feed(r, { type: PacketType.PINGRESP })
                }
                // finally the broker acknowledges everything
                for (let guard = 0; guard < 10000 && (wire.awaitingAck.size > 0 || wire.awaitingComp.size > 0); guard++) {
                    ackOne(r, wire, 0)
                    absorb(r, wire)
                }
                expect(errors).toEqual([])
                expect(completions.every((c) => c === 1)).toBe(true)
                expect(r.session.isIdle()).toBe(true)
            }),
            { numRuns: 300 }
        )
    })
})
