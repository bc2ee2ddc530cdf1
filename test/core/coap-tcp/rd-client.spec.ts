import { describe, test, expect } from "@devicescript/test"
import {
    CoapCode,
    CoapMessage,
    CoapType,
    getContentFormat,
    getUriPath,
    getUriQuery,
    newMessage,
    setLocationPath,
} from "../../../src/coap/codec/message"
import { CoapResponseCallback } from "../../../src/coap/transport/token-matcher"
import { RdClient, RdState, rdStatus } from "../../../src/coap/rd/rd-client"
import { FakeClock } from "./fakes"

interface Sent {
    req: CoapMessage
    cb: CoapResponseCallback
}

interface RdRig {
    rd: RdClient
    clock: FakeClock
    sent: Sent[]
}

const LINKS = '</sensors/temperature>;rt="temperature";obs,</actuators/led>'

function rdrig(): RdRig {
    const clock = new FakeClock()
    const sent: Sent[] = []
    const rd = new RdClient(
        (req: CoapMessage, cb: CoapResponseCallback) => sent.push({ req: req, cb: cb }),
        clock,
        () => LINKS,
        { endpoint: "board1", lifetimeS: 100, retryMs: 3000 }
    )
    return { rd: rd, clock: clock, sent: sent }
}

function created(loc: string): CoapMessage {
    const m = newMessage(CoapType.CON, CoapCode.Created, 0)
    setLocationPath(m, loc)
    return m
}

function code(c: number): CoapMessage {
    return newMessage(CoapType.CON, c, 0)
}

function last(r: RdRig): Sent {
    return r.sent[r.sent.length - 1]
}

describe("RFC 9176 registration client", () => {
    test("registers with POST /rd?ep=&lt= and the link-format payload", () => {
        const r = rdrig()
        r.rd.start()
        const s = last(r)
        expect(s.req.code).toBe(CoapCode.POST)
        expect(getUriPath(s.req)).toBe("/rd")
        expect(getUriQuery(s.req).join("&")).toBe("ep=board1&lt=100")
        expect(getContentFormat(s.req)).toBe(40)
        expect(s.req.payload.toString()).toBe(LINKS)
        expect(rdStatus(r.rd).state).toBe(RdState.Registering)
    })
    test("keeps the Location and refreshes it by POST before the lifetime ends", () => {
        const r = rdrig()
        r.rd.start()
        last(r).cb(created("/rd/4521"), undefined)
        expect(rdStatus(r.rd).location).toBe("/rd/4521")
        expect(rdStatus(r.rd).state).toBe(RdState.Registered)
        r.clock.advance(74999)
        r.rd.tick()
        expect(r.sent.length).toBe(1)
        r.clock.advance(1)
        r.rd.tick()
        const s = last(r)
        expect(r.sent.length).toBe(2)
        expect(s.req.code).toBe(CoapCode.POST)
        expect(getUriPath(s.req)).toBe("/rd/4521")
        expect(s.req.payload.length).toBe(0)
        s.cb(code(CoapCode.Changed), undefined)
        expect(rdStatus(r.rd).refreshes).toBe(1)
        r.clock.advance(75000)
        r.rd.tick()
        expect(r.sent.length).toBe(3)
    })
    test("a refused refresh (4.04 or 4.05) falls back to a full registration", () => {
        const r = rdrig()
        r.rd.start()
        last(r).cb(created("/rd/1"), undefined)
        r.clock.advance(75000)
        r.rd.tick()
        last(r).cb(code(CoapCode.MethodNotAllowed), undefined)
        expect(getUriPath(last(r).req)).toBe("/rd")
        expect(getUriQuery(last(r).req).join("&")).toBe("ep=board1&lt=100")
        last(r).cb(created("/rd/2"), undefined)
        expect(rdStatus(r.rd).location).toBe("/rd/2")
        expect(rdStatus(r.rd).registrations).toBe(2)
    })
    test("a failed registration is retried after retryMs", () => {
        const r = rdrig()
        r.rd.start()
        last(r).cb(undefined, "timeout")
        expect(rdStatus(r.rd).state).toBe(RdState.WaitingRetry)
        expect(rdStatus(r.rd).lastError).toBe("registration: timeout")
        r.clock.advance(2999)
        r.rd.tick()
        expect(r.sent.length).toBe(1)
        r.clock.advance(1)
        r.rd.tick()
        expect(r.sent.length).toBe(2)
        expect(getUriPath(last(r).req)).toBe("/rd")
        last(r).cb(code(CoapCode.BadRequest), undefined)
        expect(rdStatus(r.rd).lastError).toBe("registration refused: 4.00")
    })
    test("a refresh lost to a timeout retries the refresh, not a new registration", () => {
        const r = rdrig()
        r.rd.start()
        last(r).cb(created("/rd/7"), undefined)
        r.clock.advance(75000)
        r.rd.tick()
        last(r).cb(undefined, "timeout")
        r.clock.advance(3000)
        r.rd.tick()
        expect(getUriPath(last(r).req)).toBe("/rd/7")
    })
    test("after the link drops and comes back it registers again; old answers are ignored", () => {
        const r = rdrig()
        r.rd.start()
        const first = last(r)
        r.rd.stop()
        expect(rdStatus(r.rd).state).toBe(RdState.Idle)
        r.clock.advance(100000)
        r.rd.tick()
        expect(r.sent.length).toBe(1)
        r.rd.start()
        expect(r.sent.length).toBe(2)
        first.cb(created("/rd/old"), undefined)
        expect(rdStatus(r.rd).location).toBe(undefined)
        last(r).cb(created("/rd/new"), undefined)
        expect(rdStatus(r.rd).location).toBe("/rd/new")
    })
})
