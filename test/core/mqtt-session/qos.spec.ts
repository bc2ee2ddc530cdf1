import { describe, expect, test } from "@devicescript/test"
import { Packet, PacketType, PublishPacket } from "../../../src/mqtt/codec/packets"
import { encodePacket } from "../../../src/mqtt/codec/encode"
import { ack, bringUp, Done, feed, options, pub, rig, thrownCode } from "./harness"

function types(ps: Packet[]): string {
    return ps.map((p: Packet) => "" + p.type).join(",")
}

describe("session: outgoing QoS 1 and 2", () => {
    test("QoS 0 completes when written", () => {
        const r = rig(options())
        bringUp(r, false)
        const d = new Done()
        r.session.publish("t", Buffer.from("x"), 0, false, d.cb())
        const w = r.peer.take()
        expect(w.length).toBe(1)
        expect((w[0] as PublishPacket).qos).toBe(0)
        expect(d.ok).toBe(1)
    })

    test("QoS 1 completes on PUBACK only", () => {
        const r = rig(options())
        bringUp(r, false)
        const d = new Done()
        r.session.publish("t", Buffer.from("x"), 1, true, d.cb())
        const p = r.peer.take()[0] as PublishPacket
        expect(p.qos).toBe(1)
        expect(p.retain).toBe(true)
        expect(p.dup).toBe(false)
        expect(d.ok).toBe(0)
        ack(r, PacketType.PUBACK, p.packetId + 1) // not ours: ignored
        expect(d.ok).toBe(0)
        ack(r, PacketType.PUBACK, p.packetId)
        expect(d.ok).toBe(1)
        expect(r.session.isIdle()).toBe(true)
    })

    test("QoS 2: PUBLISH, PUBREC -> PUBREL, PUBCOMP completes; a repeated PUBREC gets PUBREL again", () => {
        const r = rig(options())
        bringUp(r, false)
        const d = new Done()
        r.session.publish("t", Buffer.from("x"), 2, false, d.cb())
        const p = r.peer.take()[0] as PublishPacket
        expect(p.qos).toBe(2)
        ack(r, PacketType.PUBREC, p.packetId)
        let w = r.peer.take()
        expect(types(w)).toBe("" + PacketType.PUBREL)
        ack(r, PacketType.PUBREC, p.packetId)
        w = r.peer.take()
        expect(types(w)).toBe("" + PacketType.PUBREL)
        expect(d.ok).toBe(0)
        ack(r, PacketType.PUBCOMP, p.packetId)
        expect(d.ok).toBe(1)
        expect(r.session.stats().messagesAcked).toBe(1)
    })

    test("the in-flight window pipelines 16 and sends the next one per ack, in order", () => {
        const r = rig(options())
        r.session.start()
        r.session.onOpen()
        r.peer.take()
        feed(r, { type: PacketType.CONNACK, sessionPresent: false, returnCode: 0 })
        const o = options()
        const d = new Done()
        // the harness outbox holds 8, so 16 in flight + 4 queued fit
        for (let i = 0; i < 20; i++) r.session.publish("t/" + i, Buffer.from("x"), 1, false, d.cb())
        let w = r.peer.take()
        expect(w.length).toBe(o.inflightWindow)
        expect(r.session.stats().inflight).toBe(16)
        expect(r.session.stats().queued).toBe(4)
        const ids: number[] = []
        for (const p of w) ids.push((p as PublishPacket).packetId)
        // all distinct
        let distinct = true
        for (let i = 0; i < ids.length; i++) for (let j = i + 1; j < ids.length; j++) if (ids[i] === ids[j]) distinct = false
        expect(distinct).toBe(true)
        ack(r, PacketType.PUBACK, ids[3])
        w = r.peer.take()
        expect(w.length).toBe(1)
        expect((w[0] as PublishPacket).topic).toBe("t/16")
        // the new id is not one still in flight
        expect(ids.indexOf((w[0] as PublishPacket).packetId) < 0).toBe(true)
        expect(d.ok).toBe(1)
    })

    test("QoS 1 publishing while the window and outbox are full throws OUTBOX_FULL", () => {
        const r = rig(options())
        bringUp(r, false)
        for (let i = 0; i < 16 + 8; i++) r.session.publish("t", Buffer.from("x"), 1, false, undefined)
        expect(thrownCode(() => r.session.publish("t", Buffer.from("x"), 2, false, undefined))).toBe("OUTBOX_FULL")
        expect(r.session.stats().queued).toBe(8)
    })

    test("a completion callback that throws becomes an error; the rest of the chunk is still processed", () => {
        const r = rig(options())
        bringUp(r, false)
        const d = new Done()
        r.session.publish("a", Buffer.from("1"), 1, false, function (err: Error) {
            throw new Error("app bug")
        })
        r.session.publish("b", Buffer.from("2"), 1, false, d.cb())
        const w = r.peer.take() as PublishPacket[]
        const both = Buffer.alloc(8)
        both.set(encodePacket({ type: PacketType.PUBACK, packetId: w[0].packetId }), 0)
        both.set(encodePacket({ type: PacketType.PUBACK, packetId: w[1].packetId }), 4)
        r.session.onData(both)
        expect(d.ok).toBe(1)
        expect(r.peer.lastError().message).toBe("app bug")
        expect(r.session.isIdle()).toBe(true)
    })

    test("bad topic or qos throws and queues nothing", () => {
        const r = rig(options())
        bringUp(r, false)
        expect(() => r.session.publish("a/+", Buffer.from("x"), 0, false, undefined)).toThrow()
        expect(thrownCode(() => r.session.publish("a", Buffer.from("x"), 3 as any, false, undefined))).toBe("INVALID_ARGUMENT")
        expect(r.peer.take().length).toBe(0)
    })
})

describe("session: incoming QoS", () => {
    test("QoS 1 is delivered and acknowledged with PUBACK", () => {
        const r = rig(options())
        bringUp(r, false)
        feed(r, pub("in", 1, 7, false))
        expect(r.peer.messages.length).toBe(1)
        const w = r.peer.take()
        expect(types(w)).toBe("" + PacketType.PUBACK)
        expect((w[0] as any).packetId).toBe(7)
    })

    test("QoS 2 is delivered exactly once: a DUP PUBLISH before PUBREL is acknowledged, not delivered", () => {
        const r = rig(options())
        bringUp(r, false)
        feed(r, pub("in", 2, 9, false))
        feed(r, pub("in", 2, 9, true))
        feed(r, pub("in", 2, 9, true))
        expect(r.peer.messages.length).toBe(1)
        expect(r.session.stats().duplicatesIgnored).toBe(2)
        let w = r.peer.take()
        expect(types(w)).toBe([PacketType.PUBREC, PacketType.PUBREC, PacketType.PUBREC].join(","))
        feed(r, { type: PacketType.PUBREL, packetId: 9 })
        w = r.peer.take()
        expect(types(w)).toBe("" + PacketType.PUBCOMP)
        // after PUBREL the id is free: a new message with id 9 is a new message
        feed(r, pub("in", 2, 9, false))
        expect(r.peer.messages.length).toBe(2)
    })

    test("the held id survives a reconnect with session present (clean=false)", () => {
        const o = options()
        o.clean = false
        const r = rig(o)
        bringUp(r, false)
        feed(r, pub("in", 2, 5, false))
        r.session.onClose("link lost")
        bringUp(r, true)
        feed(r, pub("in", 2, 5, true))
        expect(r.peer.messages.length).toBe(1)
        // but a broker without our session starts afresh
        r.session.onClose("link lost")
        bringUp(r, false)
        feed(r, pub("in", 2, 5, false))
        expect(r.peer.messages.length).toBe(2)
    })

    test("PUBREL for an unknown id still gets PUBCOMP", () => {
        const r = rig(options())
        bringUp(r, false)
        feed(r, { type: PacketType.PUBREL, packetId: 77 })
        const w = r.peer.take()
        expect(types(w)).toBe("" + PacketType.PUBCOMP)
    })
})

describe("session: incoming PUBLISH over maxPacketSize", () => {
    function big(qos: number, id: number): Buffer {
        const p: PublishPacket = {
            type: PacketType.PUBLISH,
            topic: "big/t",
            payload: Buffer.alloc(300),
            qos: qos as 0,
            retain: false,
            dup: false,
        }
        if (qos > 0) p.packetId = id
        return encodePacket(p)
    }

    test("QoS 1: acknowledged, not delivered, reported once with its size and the limit; the session carries on", () => {
        const o = options()
        o.maxPacketSize = 200
        const r = rig(o)
        bringUp(r, false)
        r.session.onData(big(1, 7))
        expect(r.peer.messages.length).toBe(0)
        expect(r.peer.oversized.join(";")).toBe("big/t 312 200")
        const w = r.peer.take()
        expect(types(w)).toBe("" + PacketType.PUBACK)
        expect((w[0] as PublishPacket).packetId).toBe(7)
        expect(r.session.isConnected()).toBe(true)
        expect(r.peer.errors.length).toBe(0)
        feed(r, pub("small", 1, 8, false))
        expect(r.peer.messages.length).toBe(1)
        expect(r.session.stats().messagesReceived).toBe(1)
    })

    test("QoS 2: PUBREC, then PUBCOMP for its PUBREL, never delivered; a DUP resend is not reported again", () => {
        const o = options()
        o.maxPacketSize = 200
        const r = rig(o)
        bringUp(r, false)
        r.session.onData(big(2, 9))
        expect(types(r.peer.take())).toBe("" + PacketType.PUBREC)
        r.session.onData(big(2, 9))
        expect(types(r.peer.take())).toBe("" + PacketType.PUBREC)
        ack(r, PacketType.PUBREL, 9)
        expect(types(r.peer.take())).toBe("" + PacketType.PUBCOMP)
        expect(r.peer.messages.length).toBe(0)
        expect(r.peer.oversized.length).toBe(1)
        expect(r.session.isConnected()).toBe(true)
    })

    test("QoS 0 over the limit, in 50-byte chunks: reported, nothing written", () => {
        const o = options()
        o.maxPacketSize = 200
        const r = rig(o)
        bringUp(r, false)
        const b = big(0, 0)
        for (let i = 0; i < b.length; i += 50) r.session.onData(b.slice(i, Math.min(i + 50, b.length)))
        expect(r.peer.oversized.join(";")).toBe("big/t 310 200")
        expect(r.peer.take().length).toBe(0)
        expect(r.session.isConnected()).toBe(true)
    })
})
