import { describe, expect, test } from "@devicescript/test"
import { ClientErrorCode } from "../../../src/mqtt/session/session-errors"
import { PacketType } from "../../../src/mqtt/codec/packets"
import { bringUp, feed, options, rig } from "./harness"

describe("session: keepalive (3.1.2.10)", () => {
    test("PINGREQ after keepalive seconds of silence; PINGRESP keeps the link", () => {
        const o = options()
        o.keepalive = 10
        const r = rig(o)
        bringUp(r, false)
        const t0 = r.clock.t
        expect(r.session.nextDeadline()).toBe(t0 + 10000)
        r.clock.t = t0 + 9999
        r.session.tick()
        expect(r.peer.take().length).toBe(0)
        r.clock.t = t0 + 10000
        r.session.tick()
        const w = r.peer.take()
        expect(w.length).toBe(1)
        expect(w[0].type).toBe(PacketType.PINGREQ)
        expect(r.session.nextDeadline()).toBe(t0 + 15000)
        r.clock.t += 100
        feed(r, { type: PacketType.PINGRESP })
        r.clock.t = t0 + 15000
        r.session.tick()
        expect(r.session.isConnected()).toBe(true)
        expect(r.session.stats().pingsSent).toBe(1)
    })

    test("missing PINGRESP closes with PING_TIMEOUT within 1.5 x keepalive and reconnects", () => {
        const o = options()
        o.keepalive = 10
        const r = rig(o)
        bringUp(r, false)
        const t0 = r.clock.t
        // drive the session by its own deadlines, as the client's timer does
        let guard = 0
        while (r.session.isConnected() && guard < 100) {
            r.clock.t = r.session.nextDeadline()
            r.session.tick()
            guard++
        }
        expect(r.peer.lastError().code).toBe(ClientErrorCode.PING_TIMEOUT)
        expect(r.clock.t - t0 <= 15000).toBe(true)
        expect(r.peer.closes).toBe(1)
        expect(r.session.stats().pingTimeouts).toBe(1)
        r.clock.t = r.session.nextDeadline()
        r.session.tick()
        expect(r.peer.opens).toBe(2)
    })

    test("a half-open link is found within 1.5 x keepalive even while QoS 0 keeps the client sending", () => {
        const o = options()
        o.keepalive = 4
        const r = rig(o)
        bringUp(r, false)
        const lastHeard = r.clock.t
        let guard = 0
        // publish every 100 ms; the broker never answers (half-open)
        while (r.session.isConnected() && guard < 1000) {
            r.clock.t += 100
            r.session.tick()
            if (r.session.isConnected()) r.session.publish("t", Buffer.from("x"), 0, false, undefined)
            guard++
        }
        expect(r.peer.lastError().code).toBe(ClientErrorCode.PING_TIMEOUT)
        expect(r.clock.t - lastHeard <= 6000).toBe(true)
    })

    test("incoming traffic alone does not stop PINGREQ: the client must send within keepalive", () => {
        const o = options()
        o.keepalive = 2
        const r = rig(o)
        bringUp(r, false)
        let pings = 0
        for (let i = 0; i < 50; i++) {
            r.clock.t += 100
            feed(r, { type: PacketType.PUBLISH, topic: "in", payload: Buffer.from("x"), qos: 0, retain: false, dup: false })
            r.session.tick()
            for (const p of r.peer.take()) if (p.type === PacketType.PINGREQ) pings++
        }
        expect(pings >= 2).toBe(true)
        expect(r.session.isConnected()).toBe(true)
    })

    test("keepalive 0 turns pings off", () => {
        const o = options()
        o.keepalive = 0
        const r = rig(o)
        bringUp(r, false)
        expect(r.session.nextDeadline()).toBe(-1)
    })
})
