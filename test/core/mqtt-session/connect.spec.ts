import { describe, expect, test } from "@devicescript/test"
import { ClientErrorCode } from "../../../src/mqtt/session/session-errors"
import { ConnectPacket, PacketType } from "../../../src/mqtt/codec/packets"
import { SessionState } from "../../../src/mqtt/session/session"
import { bringUp, connack, feed, options, rig, thrownCode } from "./harness"

describe("session: CONNECT / CONNACK", () => {
    test("start opens a stream; open writes one CONNECT with the options", () => {
        const o = options()
        o.clean = false
        o.keepalive = 65535
        o.username = "u"
        o.password = Buffer.from("p")
        o.will = { topic: "will/t", payload: Buffer.from("gone"), qos: 1, retain: true }
        const r = rig(o)
        r.session.start()
        expect(r.peer.opens).toBe(1)
        expect(r.session.getState()).toBe(SessionState.OPENING)
        r.session.onOpen()
        const w = r.peer.take()
        expect(w.length).toBe(1)
        const c = w[0] as ConnectPacket
        expect(c.type).toBe(PacketType.CONNECT)
        expect(c.clientId).toBe("unit")
        expect(c.cleanSession).toBe(false)
        expect(c.keepalive).toBe(65535)
        expect(c.username).toBe("u")
        expect(c.password.toString()).toBe("p")
        expect(c.will.topic).toBe("will/t")
        expect(c.will.qos).toBe(1)
        expect(c.will.retain).toBe(true)
        connack(r, false, 0)
        expect(r.session.isConnected()).toBe(true)
        expect(r.peer.connects.length).toBe(1)
        expect(r.peer.connects[0]).toBe(false)
    })

    test("each refusal code (3.2.2.3) becomes CONNECTION_REFUSED with that code, closes, schedules a reconnect", () => {
        const words = ["", "protocol version", "identifier rejected", "server unavailable", "bad user name or password", "not authorized"]
        for (let rc = 1; rc <= 5; rc++) {
            const r = rig(options())
            r.session.start()
            r.session.onOpen()
            connack(r, false, rc)
            const e = r.peer.lastError()
            expect(e.code).toBe(ClientErrorCode.CONNECTION_REFUSED)
            expect(e.returnCode).toBe(rc)
            expect(e.message.indexOf(words[rc]) >= 0).toBe(true)
            expect(r.peer.closes).toBe(1)
            expect(r.session.getState()).toBe(SessionState.WAITING)
            expect(r.session.nextDeadline() > r.clock.t).toBe(true)
        }
    })

    test("a first packet other than CONNACK is a protocol violation", () => {
        const r = rig(options())
        r.session.start()
        r.session.onOpen()
        feed(r, { type: PacketType.PINGRESP })
        expect(r.peer.lastError().code).toBe(ClientErrorCode.PROTOCOL_VIOLATION)
        expect(r.peer.closes).toBe(1)
        expect(r.session.stats().protocolErrors).toBe(1)
    })

    test("session present with CleanSession=1 is a protocol violation (3.2.2-1)", () => {
        const r = rig(options())
        r.session.start()
        r.session.onOpen()
        connack(r, true, 0)
        expect(r.peer.lastError().code).toBe(ClientErrorCode.PROTOCOL_VIOLATION)
    })

    test("no CONNACK within connectTimeout closes with CONNECT_TIMEOUT", () => {
        const r = rig(options())
        r.session.start()
        r.session.onOpen()
        r.peer.take()
        expect(r.session.nextDeadline()).toBe(r.clock.t + 5000)
        r.clock.t += 4999
        r.session.tick()
        expect(r.peer.closes).toBe(0)
        r.clock.t += 1
        r.session.tick()
        expect(r.peer.closes).toBe(1)
        expect(r.peer.lastError().code).toBe(ClientErrorCode.CONNECT_TIMEOUT)
    })

    test("malformed bytes from the broker close the connection with PROTOCOL_VIOLATION", () => {
        const r = rig(options())
        bringUp(r, false)
        r.session.onData(Buffer.from([0x40, 0x03, 0, 1, 9])) // PUBACK with remaining length 3
        expect(r.peer.lastError().code).toBe(ClientErrorCode.PROTOCOL_VIOLATION)
        expect(r.session.isConnected()).toBe(false)
        expect(r.peer.closes).toBe(1)
    })

    test("a server-only packet direction violation (SUBSCRIBE from the broker) closes", () => {
        const r = rig(options())
        bringUp(r, false)
        feed(r, { type: PacketType.SUBSCRIBE, packetId: 1, subscriptions: [{ filter: "a", qos: 0 }] })
        expect(r.peer.lastError().code).toBe(ClientErrorCode.PROTOCOL_VIOLATION)
    })

    test("configurations the broker would refuse are refused at construction", () => {
        const a = options()
        a.clientId = ""
        a.clean = false
        expect(thrownCode(() => rig(a))).toBe("INVALID_ARGUMENT")
        const b = options()
        b.password = Buffer.from("p")
        expect(thrownCode(() => rig(b))).toBe("INVALID_ARGUMENT")
        const c = options()
        c.keepalive = 65536
        expect(thrownCode(() => rig(c))).toBe("INVALID_ARGUMENT")
        // a fraction cannot be encoded (16-bit field, 3.1.2.10)
        c.keepalive = 1.5
        expect(thrownCode(() => rig(c))).toBe("INVALID_ARGUMENT")
        const d = options()
        d.clientId = ""
        expect(rig(d).session.getState()).toBe(SessionState.NEW)
    })

    test("end() sends DISCONNECT, closes, and is terminal", () => {
        const r = rig(options())
        bringUp(r, false)
        r.session.end()
        const w = r.peer.take()
        expect(w.length).toBe(1)
        expect(w[0].type).toBe(PacketType.DISCONNECT)
        expect(r.peer.closes).toBe(1)
        expect(r.session.getState()).toBe(SessionState.ENDED)
        expect(r.session.nextDeadline()).toBe(-1)
    })
})
