// RFC 7252 section 4 message layer over an in-memory pipe with a fake clock.
import { describe, test, expect } from "@devicescript/test"
import { CoapCode, CoapMessage, CoapType, newMessage } from "../../../src/coap/codec/message"
import { OptionNumber } from "../../../src/coap/codec/options"
import { Outcome } from "../../../src/coap/transport/exchange"
import { CoapRequest, Reply } from "../../../src/coap/server/resources"
import { Harness, ack, get, request, rst, text, withOption, withPayload, pause } from "./harness"

function helloServer(h: Harness): number[] {
    const calls: number[] = [0]
    h.server.add({
        path: "/test",
        get: (req: CoapRequest, reply: Reply) => {
            calls[0]++
            reply({ code: CoapCode.Content, contentFormat: 0, payload: Buffer.from("hello") })
        },
    })
    return calls
}

describe("coap message layer: responses (RFC 7252 5.2)", () => {
    test("a CON request gets a piggybacked ACK with its Message ID and token", async () => {
        await pause()
        const h = new Harness({})
        helloServer(h)
        h.deliver(get(0x1234, "a1b2", "/test"))
        expect(h.count()).toBe(1)
        const m = h.last()
        expect(m.type).toBe(CoapType.ACK)
        expect(m.messageId).toBe(0x1234)
        expect(m.token.toString("hex")).toBe("a1b2")
        expect(m.code).toBe(CoapCode.Content)
        expect(text(m)).toBe("hello")
    })

    test("a NON request gets a NON response with a fresh Message ID and the same token", async () => {
        await pause()
        const h = new Harness({ random: [0.5] })
        helloServer(h)
        h.deliver(request(CoapType.NON, CoapCode.GET, 77, "0c", "/test"))
        const m = h.last()
        expect(m.type).toBe(CoapType.NON)
        expect(m.messageId).toBe(32768)
        expect(m.token.toString("hex")).toBe("0c")
        expect(text(m)).toBe("hello")
    })

    test("an empty CON (CoAP ping) is answered with a 4-byte RST echoing the Message ID", async () => {
        await pause()
        const h = new Harness({})
        h.deliver(newMessage(CoapType.CON, CoapCode.Empty, 4242))
        expect(h.count()).toBe(1)
        expect(h.sent[0].bytes.toString("hex")).toBe("70001092")
    })

    test("an empty NON is ignored", async () => {
        await pause()
        const h = new Harness({})
        h.deliver(newMessage(CoapType.NON, CoapCode.Empty, 1))
        expect(h.count()).toBe(0)
    })

    test("a malformed CON gets RST, a malformed NON and a wrong version are dropped", async () => {
        await pause()
        const h = new Harness({})
        // TKL 9 is reserved (RFC 7252 3)
        h.ml.receive(Buffer.from("49010007", "hex"), "c")
        expect(h.count()).toBe(1)
        expect(h.sent[0].bytes.toString("hex")).toBe("70000007")
        h.ml.receive(Buffer.from("59010008", "hex"), "c")
        h.ml.receive(Buffer.from("80010009", "hex"), "c")
        h.ml.receive(Buffer.from("40", "hex"), "c")
        h.ml.receive(Buffer.alloc(0), "c")
        // option nibble 15 that is not a payload marker
        h.ml.receive(Buffer.from("5001000af1", "hex"), "c")
        expect(h.count()).toBe(1)
    })

    test("a response code arriving in a CON is rejected with RST (no context)", async () => {
        await pause()
        const h = new Harness({})
        h.deliver(newMessage(CoapType.CON, CoapCode.Content, 500))
        expect(h.last().type).toBe(CoapType.RST)
        expect(h.last().messageId).toBe(500)
    })

    test("an unrecognised critical option in a request gets 4.02 Bad Option", async () => {
        await pause()
        const h = new Harness({})
        const calls = helloServer(h)
        h.deliver(withOption(get(5, "01", "/test"), 9, Buffer.from("x")))
        expect(h.last().code).toBe(CoapCode.BadOption)
        expect(calls[0]).toBe(0)
        // an unrecognised elective option (even number) is ignored
        h.deliver(withOption(get(6, "01", "/test"), 1000, Buffer.from("x")))
        expect(h.last().code).toBe(CoapCode.Content)
    })

    test("a handler that throws gives 5.00", async () => {
        await pause()
        const h = new Harness({})
        h.server.add({
            path: "/boom",
            get: (req: CoapRequest, reply: Reply) => {
                throw new Error("bug")
            },
        })
        h.deliver(get(9, "", "/boom"))
        expect(h.last().code).toBe(CoapCode.InternalServerError)
        expect(h.last().type).toBe(CoapType.ACK)
    })
})

describe("coap message layer: duplicate detection (RFC 7252 4.5)", () => {
    test("a retransmitted CON is answered from the cache without running the handler again", async () => {
        await pause()
        const h = new Harness({})
        const calls = helloServer(h)
        // the first ACK is lost on the way back
        h.dropFromServer = 1
        h.deliver(get(100, "aa", "/test"))
        expect(h.count()).toBe(0)
        h.advance(2500)
        h.deliver(get(100, "aa", "/test"))
        expect(calls[0]).toBe(1)
        expect(h.count()).toBe(1)
        expect(h.last().messageId).toBe(100)
        expect(text(h.last())).toBe("hello")
    })

    test("the same Message ID from another peer is a different exchange", async () => {
        await pause()
        const h = new Harness({})
        const calls = helloServer(h)
        h.deliver(get(100, "aa", "/test"), "p1")
        h.deliver(get(100, "aa", "/test"), "p2")
        expect(calls[0]).toBe(2)
        expect(h.sent[1].peer).toBe("p2")
    })

    test("a duplicate NON is ignored", async () => {
        await pause()
        const h = new Harness({})
        const calls = helloServer(h)
        h.deliver(request(CoapType.NON, CoapCode.GET, 7, "01", "/test"))
        h.deliver(request(CoapType.NON, CoapCode.GET, 7, "01", "/test"))
        expect(calls[0]).toBe(1)
        expect(h.count()).toBe(1)
    })

    test("the cache is bounded: the oldest pair is forgotten first", async () => {
        await pause()
        const h = new Harness({ dedupCapacity: 2 })
        const calls = helloServer(h)
        h.deliver(get(1, "", "/test"))
        h.deliver(get(2, "", "/test"))
        h.deliver(get(3, "", "/test"))
        expect(h.ml.dedupSize()).toBe(2)
        h.deliver(get(3, "", "/test"))
        expect(calls[0]).toBe(3)
        h.deliver(get(1, "", "/test"))
        expect(calls[0]).toBe(4)
    })

    test("entries expire after EXCHANGE_LIFETIME (247 s)", async () => {
        await pause()
        const h = new Harness({})
        const calls = helloServer(h)
        h.deliver(get(1, "", "/test"))
        h.advance(246000)
        h.deliver(get(1, "", "/test"))
        expect(calls[0]).toBe(1)
        h.advance(247001)
        h.deliver(get(1, "", "/test"))
        expect(calls[0]).toBe(2)
    })
})

describe("coap message layer: separate responses (RFC 7252 5.2.2)", () => {
    function slowServer(h: Harness): Reply[] {
        const pending: Reply[] = []
        h.server.add({
            path: "/separate",
            get: (req: CoapRequest, reply: Reply) => {
                pending.push(reply)
            },
        })
        return pending
    }

    test("empty ACK after the set time, then the response as a CON acknowledged by the client", async () => {
        await pause()
        const h = new Harness({ separateAfter: 1000, random: [0.25, 0] })
        const pending = slowServer(h)
        h.advance(10)
        h.deliver(get(0x0101, "beef", "/separate"))
        expect(h.count()).toBe(0)
        expect(h.ml.nextDeadline()).toBe(1010)
        h.advance(1009)
        expect(h.count()).toBe(0)
        h.advance(1010)
        expect(h.count()).toBe(1)
        expect(h.last().type).toBe(CoapType.ACK)
        expect(h.last().code).toBe(CoapCode.Empty)
        expect(h.last().messageId).toBe(0x0101)
        expect(h.last().token.length).toBe(0)
        // a retransmitted request meanwhile gets the empty ACK again
        h.deliver(get(0x0101, "beef", "/separate"))
        expect(h.count()).toBe(2)
        expect(h.last().code).toBe(CoapCode.Empty)
        h.advance(3000)
        pending[0]({ code: CoapCode.Content, payload: Buffer.from("late") })
        const resp = h.last()
        expect(resp.type).toBe(CoapType.CON)
        expect(resp.code).toBe(CoapCode.Content)
        expect(resp.token.toString("hex")).toBe("beef")
        expect(resp.messageId).toBe(16384)
        expect(h.ml.pendingCount()).toBe(1)
        h.deliver(ack(16384))
        expect(h.ml.pendingCount()).toBe(0)
        h.advance(60000)
        expect(h.count()).toBe(3)
    })

    test("a handler that answers in time gets no empty ACK", async () => {
        await pause()
        const h = new Harness({ separateAfter: 1000 })
        const pending = slowServer(h)
        h.deliver(get(5, "01", "/separate"))
        h.advance(999)
        pending[0]({ code: CoapCode.Content, payload: Buffer.from("x") })
        h.advance(5000)
        expect(h.count()).toBe(1)
        expect(h.last().type).toBe(CoapType.ACK)
        expect(h.last().code).toBe(CoapCode.Content)
        expect(h.ml.nextDeadline()).toBe(-1)
    })

    test("a NON request with a slow handler gets no empty ACK, then a NON response", async () => {
        await pause()
        const h = new Harness({ separateAfter: 1000 })
        const pending = slowServer(h)
        h.deliver(request(CoapType.NON, CoapCode.GET, 5, "01", "/separate"))
        h.advance(5000)
        expect(h.count()).toBe(0)
        pending[0]({ code: CoapCode.Content, payload: Buffer.from("x") })
        expect(h.last().type).toBe(CoapType.NON)
    })

    test("a lost separate response is retransmitted, and an RST cancels it", async () => {
        await pause()
        const h = new Harness({ separateAfter: 1000, random: [0] })
        const pending = slowServer(h)
        h.deliver(get(5, "01", "/separate"))
        h.advance(1000)
        pending[0]({ code: CoapCode.Content, payload: Buffer.from("x") })
        const mid = h.last().messageId
        h.advance(3000)
        expect(h.count()).toBe(3)
        expect(h.last().messageId).toBe(mid)
        h.deliver(rst(mid))
        expect(h.ml.pendingCount()).toBe(0)
    })
})

describe("coap message layer: CON retransmission (RFC 7252 4.2, 4.8)", () => {
    function con(h: Harness, outcomes: number[]): void {
        const m = newMessage(CoapType.CON, CoapCode.Content, 0, Buffer.from("01", "hex"))
        m.payload = Buffer.from("n")
        h.ml.notify("client", m, true, "k", (o: Outcome) => {
            outcomes.push(o)
        })
    }

    test("initial timeout 2 s with random 0, then doubling, give up after 4 retransmissions", async () => {
        await pause()
        const h = new Harness({ random: [0, 0] })
        const outcomes: number[] = []
        con(h, outcomes)
        expect(h.count()).toBe(1)
        const times: number[] = []
        let t = 0
        while (t <= 70000) {
            h.advance(t)
            t += 100
        }
        for (const s of h.sent) times.push(s.at)
        expect(times.join(",")).toBe("0,2000,6000,14000,30000")
        expect(outcomes.length).toBe(1)
        expect(outcomes[0]).toBe(Outcome.TimedOut)
        // the give-up comes one doubled timeout after the last retransmission: 30 s + 32 s
        expect(h.ml.pendingCount()).toBe(0)
    })

    test("the give-up happens exactly at 62 s with ACK_TIMEOUT 2 s", async () => {
        await pause()
        const h = new Harness({ random: [0, 0] })
        const outcomes: number[] = []
        con(h, outcomes)
        h.advance(2000)
        h.advance(6000)
        h.advance(14000)
        h.advance(30000)
        h.advance(61999)
        expect(outcomes.length).toBe(0)
        h.advance(62000)
        expect(outcomes[0]).toBe(Outcome.TimedOut)
    })

    test("random 0.999 stretches the first timeout to just under 3 s (ACK_RANDOM_FACTOR 1.5)", async () => {
        await pause()
        const h = new Harness({ random: [0, 0.999] })
        const outcomes: number[] = []
        con(h, outcomes)
        const first = h.ml.nextDeadline()
        expect(first > 2990 && first < 3000).toBe(true)
        h.advance(first)
        expect(h.count()).toBe(2)
        const second = h.ml.nextDeadline()
        expect(Math.round(second - first)).toBe(Math.round(2 * first))
    })

    test("an ACK stops retransmission and reports delivery", async () => {
        await pause()
        const h = new Harness({ random: [0] })
        const outcomes: number[] = []
        con(h, outcomes)
        h.advance(2000)
        h.deliver(ack(h.last().messageId))
        h.advance(100000)
        expect(h.count()).toBe(2)
        expect(outcomes[0]).toBe(Outcome.Delivered)
    })

    test("an ACK from another peer does not match", async () => {
        await pause()
        const h = new Harness({ random: [0] })
        const outcomes: number[] = []
        con(h, outcomes)
        h.deliver(ack(h.last().messageId), "someone-else")
        expect(h.ml.pendingCount()).toBe(1)
    })

    test("an RST reports Reset", async () => {
        await pause()
        const h = new Harness({ random: [0] })
        const outcomes: number[] = []
        con(h, outcomes)
        h.deliver(rst(h.last().messageId))
        expect(outcomes[0]).toBe(Outcome.Reset)
    })

    test("replacements do not postpone giving up on a dead peer", async () => {
        await pause()
        const h = new Harness({ random: [0] })
        const outcomes: number[] = []
        let gaveUpAt = -1
        for (let t = 0; t <= 70000; t += 1000) {
            h.advance(t)
            if (gaveUpAt < 0 && outcomes.indexOf(Outcome.TimedOut) >= 0) gaveUpAt = t
            // a new state every second, each replacing the one still being retransmitted
            if (gaveUpAt < 0) con(h, outcomes)
        }
        expect(gaveUpAt).toBe(62000)
        expect(h.ml.pendingCount()).toBe(0)
    })

    test("a newer message with the same key replaces the one in flight (one CON at a time)", async () => {
        await pause()
        const h = new Harness({ random: [0] })
        const outcomes: number[] = []
        con(h, outcomes)
        const first = h.last().messageId
        h.advance(2000)
        con(h, outcomes)
        expect(h.ml.pendingCount()).toBe(1)
        const second = h.last().messageId
        expect(second === first).toBe(false)
        h.deliver(ack(second))
        expect(h.ml.pendingCount()).toBe(0)
    })
})

describe("coap message layer: lossy pipe end to end", () => {
    test("a client retransmitting through 50% loss gets exactly one handler run and the answer", async () => {
        await pause()
        const h = new Harness({ random: [0] })
        const calls = [0]
        h.server.add({
            path: "/test",
            put: (req: CoapRequest, reply: Reply) => {
                calls[0]++
                reply({ code: CoapCode.Changed })
            },
        })
        // the client's CON and the server's ACK are each lost once
        const req: CoapMessage = withPayload(request(CoapType.CON, CoapCode.PUT, 900, "77", "/test"), "v=1")
        let received = 0
        // attempt 1: request lost (not delivered); attempt 2: delivered, ACK lost; attempt 3: delivered
        h.advance(2000)
        h.dropFromServer = 1
        h.deliver(req)
        received = h.count()
        h.advance(6000)
        h.deliver(req)
        expect(calls[0]).toBe(1)
        expect(received).toBe(0)
        expect(h.count()).toBe(1)
        expect(h.last().code).toBe(CoapCode.Changed)
        expect(h.last().messageId).toBe(900)
        expect(h.dropped).toBe(1)
    })

    test("an unknown path gets 4.04 and a bad option still goes through duplicate detection", async () => {
        await pause()
        const h = new Harness({})
        h.deliver(get(1, "", "/nothing"))
        expect(h.last().code).toBe(CoapCode.NotFound)
        h.deliver(withOption(get(2, "", "/nothing"), OptionNumber.UriHost, Buffer.alloc(0)))
        expect(h.last().code).toBe(CoapCode.BadOption)
        h.deliver(withOption(get(2, "", "/nothing"), OptionNumber.UriHost, Buffer.alloc(0)))
        expect(h.last().code).toBe(CoapCode.BadOption)
        expect(h.count()).toBe(3)
    })
})
