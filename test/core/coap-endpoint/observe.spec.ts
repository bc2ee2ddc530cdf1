// RFC 7641 Observe on the server, through the UDP message layer with a fake clock.
import { describe, test, expect } from "@devicescript/test"
import { CoapCode, CoapType } from "../../../src/coap/codec/message"
import { OptionNumber } from "../../../src/coap/codec/options"
import { CoapRequest, Reply } from "../../../src/coap/server/resources"
import { Harness, HarnessOptions, ack, get, observeOf, request, rst, text, uintOf, withUint, pause } from "./harness"

/** /obs with a counter value; returns a setter that changes it and notifies. */
function obsServer(h: Harness, confirmable: boolean): (v: number) => void {
    const value = [0]
    h.server.add({
        path: "/obs",
        observable: true,
        notifyConfirmable: confirmable,
        maxAge: 30,
        formats: [0],
        get: (req: CoapRequest, reply: Reply) => {
            reply({ code: CoapCode.Content, contentFormat: 0, payload: Buffer.from("v" + value[0]) })
        },
        delete: (req: CoapRequest, reply: Reply) => {
            reply({ code: CoapCode.Deleted })
        },
    })
    return (v: number) => {
        value[0] = v
        h.server.changed("/obs")
    }
}

function register(h: Harness, mid: number, token: string, peer?: string): void {
    h.deliver(withUint(get(mid, token, "/obs"), OptionNumber.Observe, 0), peer)
}

function make(o: HarnessOptions, confirmable: boolean): { h: Harness; set: (v: number) => void } {
    const h = new Harness(o)
    return { h: h, set: obsServer(h, confirmable) }
}

describe("coap observe: registration and notifications (RFC 7641 3, 4)", () => {
    test("registration answer and notifications carry increasing Observe values, the token and Max-Age", async () => {
        await pause()
        const s = make({ random: [0] }, true)
        register(s.h, 10, "0b5e", undefined)
        const first = s.h.last()
        expect(first.type).toBe(CoapType.ACK)
        expect(observeOf(first)).toBe(2)
        expect(uintOf(first, OptionNumber.MaxAge)).toBe(30)
        expect(s.h.server.observerCount("/obs")).toBe(1)
        s.set(1)
        const n1 = s.h.last()
        expect(n1.type).toBe(CoapType.CON)
        expect(n1.token.toString("hex")).toBe("0b5e")
        expect(observeOf(n1)).toBe(3)
        expect(text(n1)).toBe("v1")
        expect(uintOf(n1, OptionNumber.MaxAge)).toBe(30)
        s.h.deliver(ack(n1.messageId))
        s.set(2)
        expect(observeOf(s.h.last())).toBe(4)
        expect(text(s.h.last())).toBe("v2")
    })

    test("Observe values wrap at 2^24", async () => {
        await pause()
        const s = make({ initialObserveSeq: 0xffffff }, false)
        register(s.h, 1, "01", undefined)
        expect(observeOf(s.h.last())).toBe(0xffffff)
        s.set(1)
        expect(observeOf(s.h.last())).toBe(0)
    })

    test("NON notifications with a CON after every N (N = 3)", async () => {
        await pause()
        const s = make({ conEveryN: 3, random: [0] }, false)
        register(s.h, 1, "01", undefined)
        const types: number[] = []
        for (let i = 1; i <= 6; i++) {
            s.set(i)
            const m = s.h.last()
            types.push(m.type)
            if (m.type === CoapType.CON) s.h.deliver(ack(m.messageId))
        }
        expect(types.join(",")).toBe("1,1,0,1,1,0")
    })

    test("a CON at least every 24 hours even between N", async () => {
        await pause()
        const s = make({ conEveryN: 100, conInterval: 86400000, random: [0] }, false)
        register(s.h, 1, "01", undefined)
        s.set(1)
        expect(s.h.last().type).toBe(CoapType.NON)
        s.h.advance(86400000)
        s.set(2)
        expect(s.h.last().type).toBe(CoapType.CON)
        s.h.deliver(ack(s.h.last().messageId))
        s.h.advance(86400000 + 1000)
        s.set(3)
        expect(s.h.last().type).toBe(CoapType.NON)
    })

    test("a plain GET does not cancel; GET with Observe=1 and the same token does", async () => {
        await pause()
        const s = make({ random: [0] }, false)
        register(s.h, 1, "01", undefined)
        s.h.deliver(get(2, "02", "/obs"))
        expect(observeOf(s.h.last())).toBe(undefined)
        s.h.deliver(get(3, "01", "/obs"))
        expect(s.h.server.observerCount()).toBe(1)
        s.h.deliver(withUint(get(4, "01", "/obs"), OptionNumber.Observe, 1))
        expect(s.h.server.observerCount()).toBe(0)
        expect(s.h.last().code).toBe(CoapCode.Content)
        expect(observeOf(s.h.last())).toBe(undefined)
        const before = s.h.count()
        s.set(9)
        expect(s.h.count()).toBe(before)
    })

    test("re-registering with the same token replaces the entry", async () => {
        await pause()
        const s = make({}, false)
        register(s.h, 1, "01", undefined)
        register(s.h, 2, "01", undefined)
        expect(s.h.server.observerCount()).toBe(1)
        register(s.h, 3, "01", "other-peer")
        expect(s.h.server.observerCount()).toBe(2)
    })

    test("an RST to a notification deregisters (RFC 7641 3.6)", async () => {
        await pause()
        const s = make({ random: [0] }, false)
        register(s.h, 1, "01", undefined)
        s.set(1)
        const n = s.h.last()
        expect(n.type).toBe(CoapType.NON)
        s.h.deliver(rst(n.messageId))
        expect(s.h.server.observerCount()).toBe(0)
    })

    test("an RST to a CON notification deregisters", async () => {
        await pause()
        const s = make({ random: [0] }, true)
        register(s.h, 1, "01", undefined)
        s.set(1)
        s.h.deliver(rst(s.h.last().messageId))
        expect(s.h.server.observerCount()).toBe(0)
    })

    test("an unacknowledged CON notification removes the observer after the retransmissions", async () => {
        await pause()
        const s = make({ random: [0] }, true)
        register(s.h, 1, "01", undefined)
        s.set(1)
        for (let t = 0; t <= 62000; t += 1000) s.h.advance(t)
        expect(s.h.server.observerCount()).toBe(0)
        expect(s.h.count()).toBe(6)
    })

    test("a change while a CON is in flight replaces it: one notification outstanding", async () => {
        await pause()
        const s = make({ random: [0] }, true)
        register(s.h, 1, "01", undefined)
        s.set(1)
        s.set(2)
        s.set(3)
        expect(s.h.ml.pendingCount()).toBe(1)
        expect(text(s.h.last())).toBe("v3")
        s.h.deliver(ack(s.h.last().messageId))
        expect(s.h.ml.pendingCount()).toBe(0)
        expect(s.h.server.observerCount()).toBe(1)
    })

    test("removing the resource sends a final 4.04 without Observe and forgets the observers", async () => {
        await pause()
        const s = make({ random: [0] }, false)
        register(s.h, 1, "01", undefined)
        s.h.server.remove("/obs")
        const m = s.h.last()
        expect(m.code).toBe(CoapCode.NotFound)
        expect(m.type).toBe(CoapType.CON)
        expect(observeOf(m)).toBe(undefined)
        expect(m.token.toString("hex")).toBe("01")
        expect(s.h.server.observerCount()).toBe(0)
    })

    test("a notification in another Content-Format ends the observation with 4.06 (TD_COAP_OBS_08)", async () => {
        await pause()
        const h = new Harness({})
        const cf = [0]
        h.server.add({
            path: "/obs",
            observable: true,
            get: (req: CoapRequest, reply: Reply) => reply({ code: CoapCode.Content, contentFormat: cf[0], payload: Buffer.from("x") }),
        })
        register(h, 1, "01", undefined)
        cf[0] = 50
        h.server.changed("/obs")
        expect(h.last().code).toBe(CoapCode.NotAcceptable)
        expect(h.last().type).toBe(CoapType.CON)
        expect(observeOf(h.last())).toBe(undefined)
        expect(h.server.observerCount()).toBe(0)
    })

    test("the observer list is capped: a registration beyond it is served as a plain GET (RFC 7641 4.1)", async () => {
        await pause()
        const s = make({ maxObservers: 2 }, false)
        register(s.h, 1, "01", undefined)
        register(s.h, 2, "02", undefined)
        register(s.h, 3, "03", undefined)
        expect(s.h.last().code).toBe(CoapCode.Content)
        expect(observeOf(s.h.last())).toBe(undefined)
        expect(s.h.server.observerCount()).toBe(2)
        // an existing observer may still re-register
        register(s.h, 4, "01", undefined)
        expect(s.h.last().code).toBe(CoapCode.Content)
        expect(observeOf(s.h.last()) !== undefined).toBe(true)
    })

    test("an error answer does not register", async () => {
        await pause()
        const h = new Harness({})
        h.server.add({
            path: "/obs",
            observable: true,
            get: (req: CoapRequest, reply: Reply) => reply({ code: CoapCode.ServiceUnavailable }),
        })
        register(h, 1, "01", undefined)
        expect(observeOf(h.last())).toBe(undefined)
        expect(h.server.observerCount()).toBe(0)
    })

    test("Observe on a resource that is not observable is a plain GET", async () => {
        await pause()
        const h = new Harness({})
        h.server.add({ path: "/obs", get: (req: CoapRequest, reply: Reply) => reply({ code: CoapCode.Content }) })
        register(h, 1, "01", undefined)
        expect(observeOf(h.last())).toBe(undefined)
        expect(h.server.observerCount()).toBe(0)
    })

    test("a NON registration works the same (notifications NON)", async () => {
        await pause()
        const s = make({ conEveryN: 0 }, false)
        s.h.deliver(withUint(request(CoapType.NON, CoapCode.GET, 1, "aa", "/obs"), OptionNumber.Observe, 0))
        expect(s.h.last().type).toBe(CoapType.NON)
        expect(observeOf(s.h.last())).toBe(2)
        s.set(5)
        expect(s.h.last().type).toBe(CoapType.NON)
        expect(text(s.h.last())).toBe("v5")
    })
})
