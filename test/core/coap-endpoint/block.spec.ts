// RFC 7959 block-wise transfers through the server, and the pure block helpers.
import { describe, test, expect } from "@devicescript/test"
import { CoapCode, CoapMessage, CoapType } from "../../../src/coap/codec/message"
import { OptionNumber, decodeBlock, encodeBlock } from "../../../src/coap/codec/options"
import { Block1Assembler, Block1Status, sliceBlock2 } from "../../../src/coap/transport/block"
import { CoapRequest, Reply } from "../../../src/coap/server/resources"
import { Harness, get, observeOf, request, uintOf, withPayload, withUint, pause } from "./harness"

/** A representation whose bytes tell their offset: "0000 0001 ..." style, `n` bytes. */
function bigText(n: number): string {
    const parts: string[] = []
    let len = 0
    let i = 0
    while (len < n) {
        const s = "<" + i + ">"
        parts.push(s)
        len += s.length
        i++
    }
    return parts.join("").slice(0, n)
}

function largeServer(h: Harness, body: string): void {
    h.server.add({
        path: "/large",
        formats: [0],
        observable: true,
        get: (req: CoapRequest, reply: Reply) => reply({ code: CoapCode.Content, contentFormat: 0, payload: Buffer.from(body) }),
    })
}

function block2Of(m: CoapMessage): string {
    const v = uintOf(m, OptionNumber.Block2)
    if (v === undefined) return "none"
    const b = decodeBlock(v)
    return b.num + (b.more ? "+" : "") + "/" + b.szx
}

describe("coap block2 (RFC 7959 2.4)", () => {
    test("early negotiation: 64-byte blocks from block 0 to the last, reassembled exactly", async () => {
        await pause()
        const h = new Harness({})
        const body = bigText(300)
        largeServer(h, body)
        const parts: string[] = []
        const seen: string[] = []
        for (let num = 0; num < 10; num++) {
            h.deliver(withUint(get(100 + num, "01", "/large"), OptionNumber.Block2, encodeBlock({ num: num, more: false, szx: 2 })))
            const m = h.last()
            seen.push(block2Of(m))
            parts.push(m.payload.toString("utf-8"))
            if (!decodeBlock(uintOf(m, OptionNumber.Block2)).more) break
        }
        expect(seen.join(" ")).toBe("0+/2 1+/2 2+/2 3+/2 4/2")
        expect(parts.join("")).toBe(body)
        expect(parts[4].length).toBe(44)
    })

    test("late negotiation: no Block2 in the request, the server splits at its size, Size2 on block 0", async () => {
        await pause()
        const h = new Harness({ maxBlockSzx: 6 })
        const body = bigText(2500)
        largeServer(h, body)
        h.deliver(get(1, "01", "/large"))
        const m = h.last()
        expect(block2Of(m)).toBe("0+/6")
        expect(m.payload.length).toBe(1024)
        expect(uintOf(m, OptionNumber.Size2)).toBe(2500)
        await pause()
        // the client continues with a smaller size: block 1 of 1024 is blocks 4.. of 256
        h.deliver(withUint(get(2, "01", "/large"), OptionNumber.Block2, encodeBlock({ num: 4, more: false, szx: 4 })))
        expect(block2Of(h.last())).toBe("4+/4")
        expect(h.last().payload.toString("utf-8")).toBe(body.slice(1024, 1280))
    })

    test("a client asking for more than the server's size gets the server's size at the same offset", async () => {
        await pause()
        const h = new Harness({ maxBlockSzx: 2 })
        const body = bigText(500)
        largeServer(h, body)
        h.deliver(withUint(get(1, "", "/large"), OptionNumber.Block2, encodeBlock({ num: 1, more: false, szx: 4 })))
        expect(block2Of(h.last())).toBe("4+/2")
        expect(h.last().payload.toString("utf-8")).toBe(body.slice(256, 320))
    })

    test("a block beyond the end gets 4.02; a small body with Block2 gets one block with M=0", async () => {
        await pause()
        const h = new Harness({})
        largeServer(h, "short")
        h.deliver(withUint(get(1, "", "/large"), OptionNumber.Block2, encodeBlock({ num: 3, more: false, szx: 0 })))
        expect(h.last().code).toBe(CoapCode.BadOption)
        h.deliver(withUint(get(2, "", "/large"), OptionNumber.Block2, encodeBlock({ num: 0, more: false, szx: 0 })))
        expect(block2Of(h.last())).toBe("0/0")
        expect(h.last().payload.toString("utf-8")).toBe("short")
    })

    test("16-byte blocks (szx 0) and Size2 when asked", async () => {
        await pause()
        const h = new Harness({})
        const body = bigText(40)
        largeServer(h, body)
        const m = withUint(get(1, "", "/large"), OptionNumber.Block2, encodeBlock({ num: 2, more: false, szx: 0 }))
        withUint(m, OptionNumber.Size2, 0)
        h.deliver(m)
        expect(block2Of(h.last())).toBe("2/0")
        expect(uintOf(h.last(), OptionNumber.Size2)).toBe(40)
        expect(h.last().payload.toString("utf-8")).toBe(body.slice(32))
    })

    test("notifications of a large resource carry block 0 at the observer's size", async () => {
        await pause()
        const h = new Harness({ conEveryN: 0 })
        const body = bigText(200)
        largeServer(h, body)
        const reg = withUint(get(1, "0a", "/large"), OptionNumber.Observe, 0)
        withUint(reg, OptionNumber.Block2, encodeBlock({ num: 0, more: false, szx: 1 }))
        h.deliver(reg)
        expect(block2Of(h.last())).toBe("0+/1")
        expect(observeOf(h.last())).toBe(2)
        h.server.changed("/large")
        const n = h.last()
        expect(n.type).toBe(CoapType.NON)
        expect(block2Of(n)).toBe("0+/1")
        expect(observeOf(n)).toBe(3)
        expect(n.payload.length).toBe(32)
    })

    test("a GET's later blocks come from the body block 0 was cut from; a new block 0 gets the new body and ETag", async () => {
        await pause()
        const h = new Harness({ maxBlockSzx: 2 })
        const body = [bigText(200)]
        h.server.add({
            path: "/var",
            get: (req: CoapRequest, reply: Reply) => reply({ code: CoapCode.Content, payload: Buffer.from(body[0]) }),
        })
        const etag = () =>
            h
                .last()
                .options.filter((o) => o.number === OptionNumber.ETag)[0]
                .value.toString("hex")
        h.deliver(get(1, "", "/var"))
        const t0 = etag()
        const first = body[0]
        // the representation changes while the client fetches the rest (a reading, an uptime)
        body[0] = "changed:" + bigText(201)
        h.deliver(withUint(get(2, "", "/var"), OptionNumber.Block2, encodeBlock({ num: 1, more: false, szx: 2 })))
        expect(etag()).toBe(t0)
        expect(h.last().payload.toString("utf-8")).toBe(first.slice(64, 128))
        h.deliver(withUint(get(3, "", "/var"), OptionNumber.Block2, encodeBlock({ num: 0, more: false, szx: 2 })))
        expect(etag() === t0).toBe(false)
        expect(h.last().payload.toString("utf-8")).toBe(body[0].slice(0, 64))
    })

    test("after a notification, the next blocks come from the notified body, without Observe", async () => {
        await pause()
        const h = new Harness({ conEveryN: 0 })
        const body = [bigText(200)]
        h.server.add({
            path: "/large",
            formats: [0],
            observable: true,
            get: (req: CoapRequest, reply: Reply) => reply({ code: CoapCode.Content, contentFormat: 0, payload: Buffer.from(body[0]) }),
        })
        const reg = withUint(get(1, "0a", "/large"), OptionNumber.Observe, 0)
        withUint(reg, OptionNumber.Block2, encodeBlock({ num: 0, more: false, szx: 1 }))
        h.deliver(reg)
        body[0] = "changed:" + bigText(201)
        h.server.changed("/large")
        expect(h.last().payload.toString("utf-8")).toBe(body[0].slice(0, 32))
        // RFC 7959 3.4 / RFC 7641 3.4: the client fetches the rest with plain GETs
        h.deliver(withUint(get(2, "0b", "/large"), OptionNumber.Block2, encodeBlock({ num: 1, more: false, szx: 1 })))
        expect(h.last().payload.toString("utf-8")).toBe(body[0].slice(32, 64))
        expect(observeOf(h.last())).toBe(undefined)
    })

    test("sliceBlock2 without a request block uses the server's size", async () => {
        await pause()
        const s = sliceBlock2(Buffer.alloc(100), undefined, 2)
        expect(s.ok).toBe(true)
        expect(s.block.more).toBe(true)
        expect(s.payload.length).toBe(64)
    })
})

describe("coap block1 (RFC 7959 2.3, 2.5)", () => {
    function sink(h: Harness, received: string[]): void {
        h.server.add({
            path: "/large-update",
            put: (req: CoapRequest, reply: Reply) => {
                received.push(req.payload.toString("utf-8"))
                reply({ code: CoapCode.Changed })
            },
            post: (req: CoapRequest, reply: Reply) => {
                received.push(req.payload.toString("utf-8"))
                reply({ code: CoapCode.Created, locationPath: "/large-update/1" })
            },
        })
    }

    function put(mid: number, num: number, more: boolean, szx: number, body: string, method: number): CoapMessage {
        const m = request(CoapType.CON, method, mid, "b1", "/large-update")
        withUint(m, OptionNumber.Block1, encodeBlock({ num: num, more: more, szx: szx }))
        m.payload = Buffer.from(body)
        return m
    }

    function block1Of(m: CoapMessage): string {
        const b = decodeBlock(uintOf(m, OptionNumber.Block1))
        return b.num + (b.more ? "+" : "") + "/" + b.szx
    }

    test("2.31 Continue for each block, then the whole body to the handler and 2.04 with Block1", async () => {
        await pause()
        const h = new Harness({})
        const received: string[] = []
        sink(h, received)
        const body = bigText(100)
        const codes: string[] = []
        for (let i = 0; i < 4; i++) {
            const last = (i + 1) * 32 >= 100
            h.deliver(put(10 + i, i, !last, 1, body.slice(i * 32, (i + 1) * 32), CoapCode.PUT))
            codes.push(h.last().code + ":" + block1Of(h.last()))
        }
        expect(codes.join(" ")).toBe("95:0+/1 95:1+/1 95:2+/1 68:3/1")
        expect(received.length).toBe(1)
        expect(received[0]).toBe(body)
    })

    test("the server's smaller size is echoed in 2.31 and the client may continue at that size", async () => {
        await pause()
        const h = new Harness({ maxBlockSzx: 1 })
        const received: string[] = []
        sink(h, received)
        const body = bigText(100)
        h.deliver(put(1, 0, true, 2, body.slice(0, 64), CoapCode.POST))
        expect(block1Of(h.last())).toBe("0+/1")
        h.deliver(put(2, 2, false, 1, body.slice(64), CoapCode.POST))
        expect(h.last().code).toBe(CoapCode.Created)
        expect(received[0]).toBe(body)
    })

    test("a body over the limit gets 4.13 with Size1, also when Size1 announces it", async () => {
        await pause()
        const h = new Harness({ maxBodySize: 64 })
        const received: string[] = []
        sink(h, received)
        const body = bigText(96)
        h.deliver(put(1, 0, true, 1, body.slice(0, 32), CoapCode.PUT))
        h.deliver(put(2, 1, true, 1, body.slice(32, 64), CoapCode.PUT))
        h.deliver(put(3, 2, false, 1, body.slice(64), CoapCode.PUT))
        expect(h.last().code).toBe(CoapCode.RequestEntityTooLarge)
        expect(uintOf(h.last(), OptionNumber.Size1)).toBe(64)
        const m = put(4, 0, true, 1, body.slice(0, 32), CoapCode.PUT)
        withUint(m, OptionNumber.Size1, 96)
        h.deliver(m)
        expect(h.last().code).toBe(CoapCode.RequestEntityTooLarge)
        expect(received.length).toBe(0)
    })

    test("a block out of order gets 4.08 Request Entity Incomplete", async () => {
        await pause()
        const h = new Harness({})
        const received: string[] = []
        sink(h, received)
        const body = bigText(100)
        h.deliver(put(1, 0, true, 1, body.slice(0, 32), CoapCode.PUT))
        h.deliver(put(2, 2, true, 1, body.slice(64, 96), CoapCode.PUT))
        expect(h.last().code).toBe(CoapCode.RequestEntityIncomplete)
        h.deliver(put(3, 1, false, 1, body.slice(32, 40), CoapCode.PUT))
        expect(h.last().code).toBe(CoapCode.RequestEntityIncomplete)
        expect(received.length).toBe(0)
    })

    test("a retransmitted block is answered from the duplicate cache, not appended twice", async () => {
        await pause()
        const h = new Harness({})
        const received: string[] = []
        sink(h, received)
        const body = bigText(40)
        h.deliver(put(1, 0, true, 1, body.slice(0, 32), CoapCode.PUT))
        h.deliver(put(1, 0, true, 1, body.slice(0, 32), CoapCode.PUT))
        h.deliver(put(2, 1, false, 1, body.slice(32), CoapCode.PUT))
        expect(received[0]).toBe(body)
    })

    test("a block with M=1 but a short payload gets 4.00", async () => {
        await pause()
        const h = new Harness({})
        const received: string[] = []
        sink(h, received)
        h.deliver(put(1, 0, true, 1, "short", CoapCode.PUT))
        expect(h.last().code).toBe(CoapCode.BadRequest)
    })

    test("a large POST response is fetched block by block without running the handler again (2.6)", async () => {
        await pause()
        const h = new Harness({ maxBlockSzx: 2 })
        const runs = [0]
        const answer = bigText(150)
        h.server.add({
            path: "/large-post",
            post: (req: CoapRequest, reply: Reply) => {
                runs[0]++
                reply({ code: CoapCode.Changed, contentFormat: 0, payload: Buffer.from(answer) })
            },
        })
        h.deliver(withPayload(request(CoapType.CON, CoapCode.POST, 1, "01", "/large-post"), "go"))
        const parts: string[] = [h.last().payload.toString("utf-8")]
        expect(block2Of(h.last())).toBe("0+/2")
        for (let num = 1; num < 3; num++) {
            h.deliver(
                withUint(
                    request(CoapType.CON, CoapCode.POST, 1 + num, "02", "/large-post"),
                    OptionNumber.Block2,
                    encodeBlock({ num: num, more: false, szx: 2 })
                )
            )
            expect(h.last().code).toBe(CoapCode.Changed)
            parts.push(h.last().payload.toString("utf-8"))
        }
        expect(block2Of(h.last())).toBe("2/2")
        expect(parts.join("")).toBe(answer)
        expect(runs[0]).toBe(1)
        // an unknown path is still 4.04, before any cache lookup
        h.deliver(
            withUint(
                request(CoapType.CON, CoapCode.POST, 9, "03", "/nothing-here"),
                OptionNumber.Block2,
                encodeBlock({ num: 1, more: false, szx: 2 })
            )
        )
        expect(h.last().code).toBe(CoapCode.NotFound)
    })

    test("the assembler is bounded in transfers and time", async () => {
        await pause()
        const a = new Block1Assembler(2, 1000)
        const blk = { num: 0, more: true, szx: 0 }
        const payload = Buffer.alloc(16)
        expect(a.add("a", blk, payload, 0, 100).status).toBe(Block1Status.Continue)
        expect(a.add("b", blk, payload, 0, 100).status).toBe(Block1Status.Continue)
        expect(a.add("c", blk, payload, 0, 100).status).toBe(Block1Status.Continue)
        expect(a.count()).toBe(2)
        expect(a.add("a", { num: 1, more: true, szx: 0 }, payload, 10, 100).status).toBe(Block1Status.Incomplete)
        expect(a.add("b", { num: 1, more: true, szx: 0 }, payload, 2000, 100).status).toBe(Block1Status.Incomplete)
        expect(a.count()).toBe(0)
    })
})
