import { describe, test, expect } from "@devicescript/test"
import { CoapCode, CoapMessage, CoapType, newMessage, setUintOption } from "../../../src/coap/codec/message"
import { SignalingOption } from "../../../src/coap/codec/options"
import { CoapReply } from "../../../src/coap/transport/tcp-connection"
import { CoapTcpSession, tcpSessionUp } from "../../../src/coap/transport/tcp-session"
import { FakeClock, FakeConnector, FixedRandom, signal } from "./fakes"

interface SRig {
    s: CoapTcpSession
    net: FakeConnector
    clock: FakeClock
    log: string[]
}

function srig(random: number): SRig {
    const clock = new FakeClock()
    const net = new FakeConnector()
    const log: string[] = []
    const s = new CoapTcpSession(
        net,
        { host: "head-end", port: 5683, tls: false },
        clock,
        new FixedRandom(random),
        {
            onRequest: (req: CoapMessage, reply: CoapReply) => log.push("req"),
            onUp: () => log.push("up"),
            onDown: (reason: string, retry: number) => log.push("down:" + retry),
        },
        { backoffMinMs: 1000, backoffMaxMs: 8000, csmTimeoutMs: 5000 }
    )
    return { s: s, net: net, clock: clock, log: log }
}

function openAndCsm(r: SRig): void {
    const p = r.net.last()
    p.events.onOpen()
    p.sendMsg(signal(CoapCode.CSM))
}

describe("RFC 8323 session: dial, up, reconnect", () => {
    test("dials the target, sends CSM on open, is up after the peer's CSM", () => {
        const r = srig(0.5)
        r.s.start()
        expect(r.net.peers.length).toBe(1)
        expect(r.net.last().target.host).toBe("head-end")
        expect(r.net.last().messages().length).toBe(0)
        r.net.last().events.onOpen()
        expect(r.net.last().messages()[0].code).toBe(CoapCode.CSM)
        expect(tcpSessionUp(r.s)).toBe(false)
        r.net.last().sendMsg(signal(CoapCode.CSM))
        expect(tcpSessionUp(r.s)).toBe(true)
        expect(r.log.join(",")).toBe("up")
    })
    test("a request while down fails at once with offline", () => {
        const r = srig(0.5)
        r.s.start()
        let err = ""
        r.s.request(newMessage(CoapType.CON, CoapCode.GET, 0), (m: CoapMessage, e: string) => (err = e))
        expect(err).toBe("offline")
    })
    test("a dropped link reconnects after a growing, jittered delay; success resets it", () => {
        const r = srig(0.5)
        r.s.start()
        openAndCsm(r)
        r.net.last().drop("reset by peer")
        expect(r.log[r.log.length - 1]).toBe("down:500")
        r.clock.advance(499)
        r.s.tick()
        expect(r.net.peers.length).toBe(1)
        r.clock.advance(1)
        r.s.tick()
        expect(r.net.peers.length).toBe(2)
        // the second dial fails before any CSM: next delay is drawn from a doubled window
        r.net.last().drop("refused")
        expect(r.log[r.log.length - 1]).toBe("down:1000")
        r.clock.advance(1000)
        r.s.tick()
        expect(r.net.peers.length).toBe(3)
        r.net.last().drop("refused")
        expect(r.log[r.log.length - 1]).toBe("down:2000")
        r.clock.advance(2000)
        r.s.tick()
        openAndCsm(r)
        expect(tcpSessionUp(r.s)).toBe(true)
        r.net.last().drop("reset")
        expect(r.log[r.log.length - 1]).toBe("down:500")
    })
    test("a Release with Hold-Off delays the reconnect at least that long", () => {
        const r = srig(0.5)
        r.s.start()
        openAndCsm(r)
        const rel = signal(CoapCode.Release)
        setUintOption(rel, SignalingOption.HoldOff, 20)
        r.net.last().sendMsg(rel)
        expect(r.log[r.log.length - 1]).toBe("down:20000")
        r.clock.advance(19999)
        r.s.tick()
        expect(r.net.peers.length).toBe(1)
        r.clock.advance(1)
        r.s.tick()
        expect(r.net.peers.length).toBe(2)
    })
    test("a head-end that never sends its CSM is abandoned and redialled", () => {
        const r = srig(0.5)
        r.s.start()
        r.net.last().events.onOpen()
        r.clock.advance(5000)
        r.s.tick()
        expect(r.net.last().closedByClient).toBe(true)
        expect(r.net.last().messages()[1].code).toBe(CoapCode.Abort)
        r.clock.advance(500)
        r.s.tick()
        expect(r.net.peers.length).toBe(2)
    })
    test("stop() sends Release, closes, and does not reconnect", () => {
        const r = srig(0.5)
        r.s.start()
        openAndCsm(r)
        r.s.stop()
        const p = r.net.last()
        expect(p.messages()[p.messages().length - 1].code).toBe(CoapCode.Release)
        expect(p.closedByClient).toBe(true)
        r.clock.advance(100000)
        r.s.tick()
        expect(r.net.peers.length).toBe(1)
    })
    test("events of an abandoned stream are ignored", () => {
        const r = srig(0.5)
        r.s.start()
        openAndCsm(r)
        const old = r.net.last()
        old.drop("reset")
        r.clock.advance(500)
        r.s.tick()
        openAndCsm(r)
        old.sendMsg(signal(CoapCode.Abort))
        old.drop("late")
        expect(tcpSessionUp(r.s)).toBe(true)
    })
    test("the head-end's requests reach the handler", () => {
        const r = srig(0.5)
        r.s.start()
        openAndCsm(r)
        const req = newMessage(CoapType.CON, CoapCode.GET, 0, Buffer.from([1]))
        r.net.last().sendMsg(req)
        expect(r.log.join(",")).toBe("up,req")
    })
})
