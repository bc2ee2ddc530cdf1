import { describe, expect, test } from "@devicescript/test"
import { PacketIdOnlyPacket, PacketType, PublishPacket, SubscribePacket } from "../../../src/mqtt/codec/packets"
import { SessionState } from "../../../src/mqtt/session/session"
import { ack, bringUp, Done, feed, options, rig } from "./harness"

describe("session: reconnect", () => {
    test("after a drop, resends unacknowledged PUBLISH with DUP=1 and pending PUBREL in original order (4.4)", () => {
        const o = options()
        o.clean = false
        const r = rig(o)
        bringUp(r, false)
        const d = new Done()
        r.session.publish("a", Buffer.from("1"), 1, false, d.cb())
        r.session.publish("b", Buffer.from("2"), 2, false, d.cb())
        r.session.publish("c", Buffer.from("3"), 2, false, d.cb())
        r.session.publish("d", Buffer.from("4"), 1, false, d.cb())
        const first = r.peer.take() as PublishPacket[]
        ack(r, PacketType.PUBREC, first[1].packetId) // b now waits for PUBCOMP
        ack(r, PacketType.PUBACK, first[3].packetId) // d done
        expect(d.ok).toBe(1)
        r.session.onClose("link lost")
        expect(r.session.getState()).toBe(SessionState.WAITING)
        r.session.publish("e", Buffer.from("5"), 1, false, d.cb()) // queued offline
        bringUp(r, true)
        const again = r.peer.take()
        // a (PUBLISH dup), b (PUBREL), c (PUBLISH dup), then the queued e (new, DUP=0)
        expect(again.length).toBe(4)
        const a = again[0] as PublishPacket
        expect(a.type).toBe(PacketType.PUBLISH)
        expect(a.topic).toBe("a")
        expect(a.dup).toBe(true)
        expect(a.packetId).toBe(first[0].packetId)
        expect(again[1].type).toBe(PacketType.PUBREL)
        expect((again[1] as PacketIdOnlyPacket).packetId).toBe(first[1].packetId)
        const c = again[2] as PublishPacket
        expect(c.topic).toBe("c")
        expect(c.dup).toBe(true)
        expect(c.packetId).toBe(first[2].packetId)
        const e = again[3] as PublishPacket
        expect(e.topic).toBe("e")
        expect(e.dup).toBe(false)
        expect(r.session.stats().messagesResent).toBe(2)
        ack(r, PacketType.PUBCOMP, first[1].packetId)
        ack(r, PacketType.PUBACK, a.packetId)
        ack(r, PacketType.PUBREC, c.packetId)
        ack(r, PacketType.PUBCOMP, c.packetId)
        ack(r, PacketType.PUBACK, e.packetId)
        expect(d.ok).toBe(5)
        expect(r.session.isIdle()).toBe(true)
    })

    test("QoS 0 queued offline is flushed on connect; reconnects follow the backoff", () => {
        const r = rig(options()) // reconnectMin 1000, random 0.5
        bringUp(r, false)
        r.session.onClose("gone")
        const d = new Done()
        r.session.publish("q0", Buffer.from("x"), 0, false, d.cb())
        expect(d.ok).toBe(0)
        const t0 = r.clock.t
        expect(r.session.nextDeadline()).toBe(t0 + 500) // 0.5 * 1000
        r.clock.t = t0 + 499
        r.session.tick()
        expect(r.peer.opens).toBe(1)
        r.clock.t = t0 + 500
        r.session.tick()
        expect(r.peer.opens).toBe(2)
        // refused: the next delay draws from a doubled ceiling
        r.session.onOpen()
        feed(r, { type: PacketType.CONNACK, sessionPresent: false, returnCode: 3 })
        expect(r.session.nextDeadline()).toBe(r.clock.t + 1000) // 0.5 * 2000
        r.session.onClose("x") // ignored: already closed by the session
        expect(r.peer.disconnects.length).toBe(2)
        bringUp(r, false)
        expect(d.ok).toBe(1) // written on connect
        expect(r.session.stats().messagesSent).toBe(1)
        expect(r.session.stats().reconnects).toBe(2)
        // a connection that lasted 20 s resets the backoff
        r.clock.t += 20000
        r.session.onClose("again")
        expect(r.session.nextDeadline()).toBe(r.clock.t + 500)
    })

    test("connections lost within 20 s of CONNACK do not reset the backoff: the delays keep growing", () => {
        const r = rig(options()) // reconnectMin 1000, reconnectMax 8000, random 0.5
        bringUp(r, false)
        const delays: number[] = []
        for (let i = 0; i < 5; i++) {
            r.clock.t += 19999
            r.session.onClose("dropped soon after CONNACK")
            delays.push(r.session.nextDeadline() - r.clock.t)
            bringUp(r, false)
        }
        expect(delays.join(",")).toBe("500,1000,2000,4000,4000")
        expect(r.session.stats().connects).toBe(6)
        // then one that lasts: back to the floor
        r.clock.t += 20000
        r.session.onClose("after a while")
        expect(r.session.nextDeadline() - r.clock.t).toBe(500)
    })

    test("reconnectMin 0 turns automatic reconnect off; reconnect() connects on demand", () => {
        const o = options()
        o.reconnectMin = 0
        const r = rig(o)
        bringUp(r, false)
        r.session.onClose("gone")
        expect(r.session.nextDeadline()).toBe(-1)
        r.session.reconnect()
        expect(r.peer.opens).toBe(2)
    })

    test("resubscribes when the broker reports no session, not when it has one", () => {
        const o = options()
        o.clean = false
        const r = rig(o)
        bringUp(r, false)
        const got: number[][] = []
        r.session.subscribe(
            [
                { filter: "a/#", qos: 1 },
                { filter: "b", qos: 2 },
            ],
            function (err: Error, granted: number[]) {
                got.push(granted)
            }
        )
        const s = r.peer.take()[0] as SubscribePacket
        feed(r, { type: PacketType.SUBACK, packetId: s.packetId, returnCodes: [1, 2] })
        expect(got.length).toBe(1)
        r.session.onClose("gone")
        bringUp(r, true)
        expect(r.peer.take().length).toBe(0)
        r.session.onClose("gone")
        r.peer.take()
        r.clock.t = r.session.nextDeadline()
        r.session.tick()
        r.session.onOpen()
        r.peer.take()
        feed(r, { type: PacketType.CONNACK, sessionPresent: false, returnCode: 0 })
        const w = r.peer.take()
        expect(w.length).toBe(1)
        const re = w[0] as SubscribePacket
        expect(re.type).toBe(PacketType.SUBSCRIBE)
        expect(re.subscriptions.length).toBe(2)
        expect(re.subscriptions[0].filter).toBe("a/#")
        expect(re.subscriptions[1].qos).toBe(2)
        feed(r, { type: PacketType.SUBACK, packetId: re.packetId, returnCodes: [1, 2] })
        expect(r.peer.errors.length).toBe(0)
        expect(r.session.isIdle()).toBe(true)
    })

    test("a subscribe made offline is sent on connect and completes on SUBACK", () => {
        const r = rig(options())
        const got: number[][] = []
        r.session.subscribe([{ filter: "x", qos: 0 }], function (err: Error, granted: number[]) {
            got.push(granted)
        })
        bringUp(r, false)
        // no duplicate: the pending subscribe covers the filter, no separate restore
        expect(r.peer.written.length).toBe(1)
        const s = r.peer.take()[0] as SubscribePacket
        feed(r, { type: PacketType.SUBACK, packetId: s.packetId, returnCodes: [0] })
        expect(got.length).toBe(1)
        expect(got[0][0]).toBe(0)
    })
})

describe("session: subscribe and unsubscribe", () => {
    test("SUBACK 0x80 fails the subscribe with SUBSCRIBE_FAILED and forgets that filter", () => {
        const r = rig(options())
        bringUp(r, false)
        let code = ""
        let granted: number[] = undefined
        r.session.subscribe(
            [
                { filter: "ok", qos: 1 },
                { filter: "denied", qos: 1 },
            ],
            function (err: Error, g: number[]) {
                code = err ? (err as any).code : "none"
                granted = g
            }
        )
        const s = r.peer.take()[0] as SubscribePacket
        feed(r, { type: PacketType.SUBACK, packetId: s.packetId, returnCodes: [1, 0x80] })
        expect(code).toBe("SUBSCRIBE_FAILED")
        expect(granted[1]).toBe(0x80)
        const subs = r.session.subscriptions()
        expect(subs.length).toBe(1)
        expect(subs[0].filter).toBe("ok")
    })

    test("unsubscribe sends UNSUBSCRIBE, completes on UNSUBACK, and the filter is not restored", () => {
        const r = rig(options())
        bringUp(r, false)
        r.session.subscribe([{ filter: "a", qos: 0 }], undefined)
        const s = r.peer.take()[0] as SubscribePacket
        feed(r, { type: PacketType.SUBACK, packetId: s.packetId, returnCodes: [0] })
        const d = new Done()
        r.session.unsubscribe(["a"], d.cb())
        const u = r.peer.take()[0] as any
        expect(u.type).toBe(PacketType.UNSUBSCRIBE)
        expect(u.filters[0]).toBe("a")
        feed(r, { type: PacketType.UNSUBACK, packetId: u.packetId })
        expect(d.ok).toBe(1)
        expect(r.session.subscriptions().length).toBe(0)
    })

    test("invalid filters throw", () => {
        const r = rig(options())
        expect(() => r.session.subscribe([{ filter: "a/#/b", qos: 0 }], undefined)).toThrow()
        expect(() => r.session.unsubscribe(["a+"], undefined)).toThrow()
    })

    test("end() fails pending operations with CLIENT_ENDED", () => {
        const r = rig(options())
        bringUp(r, false)
        const d = new Done()
        r.session.publish("a", Buffer.from("1"), 1, false, d.cb())
        r.session.end()
        expect(d.failed).toBe(1)
        expect(d.lastCode).toBe("CLIENT_ENDED")
    })
})
