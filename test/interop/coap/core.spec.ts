// ETSI CoAP plugtest TD_COAP_CORE_* (td-coap4 base.yml) against libcoap's coap-client-notls,
// talking to the UDP host binding on a free loopback port. Each check reads the datagrams the
// server really received and sent.
import { describe, test, expect, beforeAll, afterAll } from "vitest"
import { CoapCode, CoapMessage, CoapType, getContentFormat, getStringOptions } from "../../../src/coap/codec/message"
import { OptionNumber } from "../../../src/coap/codec/options"
import { encodeMessage } from "../../../src/coap/codec/codec"
import { newMessage, setUriPath } from "../../../src/coap/codec/message"
import { startPlugtestServer, Plugtest, Datagram } from "./plugtest-server"
import { coapClient, rawExchange, requireCoapClient, spawnClient } from "./client"

let p: Plugtest
let base: string

beforeAll(async () => {
    requireCoapClient()
    p = await startPlugtestServer({ obsPeriod: 0 })
    base = `coap://127.0.0.1:${p.port}`
})
afterAll(async () => {
    await p.close()
})

/** The datagrams after `mark`, split by direction. */
function since(mark: number): { inn: CoapMessage[]; out: CoapMessage[]; all: Datagram[] } {
    const all = p.log.slice(mark)
    return {
        all,
        inn: all.filter((d) => d.dir === "in" && d.msg).map((d) => d.msg!),
        out: all.filter((d) => d.dir === "out" && d.msg).map((d) => d.msg!),
    }
}

function requests(msgs: CoapMessage[]): CoapMessage[] {
    return msgs.filter((m) => m.code >= 1 && m.code <= 31)
}

/** Steps shared by the piggybacked CON cases: CMID/CTOK echoed in an ACK carrying `code`. */
async function piggybacked(args: string[], method: number, codes: number[]): Promise<CoapMessage> {
    const mark = p.log.length
    const r = await coapClient(["-B", "5", ...args])
    expect(r.code).toBe(0)
    const { inn, out } = since(mark)
    const req = requests(inn)[0]
    expect(req.type).toBe(CoapType.CON)
    expect(req.code).toBe(method)
    const resp = out[0]
    expect(resp.type).toBe(CoapType.ACK)
    expect(resp.messageId).toBe(req.messageId)
    expect(resp.token.toString("hex")).toBe(req.token.toString("hex"))
    expect(codes).toContain(resp.code)
    return resp
}

/** Steps shared by the NON cases: NON response, server MID, same token. */
async function nonConfirmable(args: string[], method: number, codes: number[]): Promise<CoapMessage> {
    const mark = p.log.length
    const r = await coapClient(["-B", "3", "-N", ...args])
    expect(r.code).toBe(0)
    const { inn, out } = since(mark)
    const req = requests(inn)[0]
    expect(req.type).toBe(CoapType.NON)
    expect(req.code).toBe(method)
    const resp = out.filter((m) => m.code !== 0)[0]
    expect(resp.type).toBe(CoapType.NON)
    expect(resp.token.toString("hex")).toBe(req.token.toString("hex"))
    expect(codes).toContain(resp.code)
    // no ACK for a NON request
    expect(out.filter((m) => m.type === CoapType.ACK).length).toBe(0)
    return resp
}

describe("TD_COAP_CORE (libcoap coap-client-notls)", () => {
    test("TD_COAP_CORE_01 GET transaction (CON mode)", async () => {
        const resp = await piggybacked(["-m", "get", `${base}/test`], CoapCode.GET, [CoapCode.Content])
        expect(getContentFormat(resp)).toBe(0)
        expect(resp.payload.length > 0).toBe(true)
    })

    test("TD_COAP_CORE_02 DELETE transaction (CON mode)", async () => {
        await piggybacked(["-m", "delete", `${base}/test`], CoapCode.DELETE, [CoapCode.Deleted])
    })

    test("TD_COAP_CORE_03 PUT transaction (CON mode)", async () => {
        await piggybacked(["-m", "put", "-t", "0", "-e", "core03", `${base}/test`], CoapCode.PUT, [CoapCode.Changed, CoapCode.Created])
        expect(p.stored["/test"]).toBe("core03")
    })

    test("TD_COAP_CORE_04 POST transaction (CON mode)", async () => {
        await piggybacked(["-m", "post", "-t", "0", "-e", "core04", `${base}/test`], CoapCode.POST, [CoapCode.Created, CoapCode.Changed])
        expect(p.stored["/test"]).toBe("core04")
    })

    test("TD_COAP_CORE_05 GET transaction (NON mode)", async () => {
        const resp = await nonConfirmable(["-m", "get", `${base}/test`], CoapCode.GET, [CoapCode.Content])
        expect(getContentFormat(resp)).toBe(0)
    })

    test("TD_COAP_CORE_06 DELETE transaction (NON mode)", async () => {
        await nonConfirmable(["-m", "delete", `${base}/test`], CoapCode.DELETE, [CoapCode.Deleted])
    })

    test("TD_COAP_CORE_07 PUT transaction (NON mode)", async () => {
        await nonConfirmable(["-m", "put", "-t", "0", "-e", "core07", `${base}/test`], CoapCode.PUT, [CoapCode.Changed, CoapCode.Created])
        expect(p.stored["/test"]).toBe("core07")
    })

    test("TD_COAP_CORE_08 POST transaction (NON mode)", async () => {
        await nonConfirmable(["-m", "post", "-t", "0", "-e", "core08", `${base}/test`], CoapCode.POST, [CoapCode.Created, CoapCode.Changed])
        expect(p.stored["/test"]).toBe("core08")
    })

    test("TD_COAP_CORE_09 GET with separate response (CON mode, no piggyback)", async () => {
        const mark = p.log.length
        const r = await coapClient(["-B", "8", `${base}/separate`])
        expect(r.code).toBe(0)
        expect(r.stdout).toContain("separate after")
        const { inn, out } = since(mark)
        const req = requests(inn)[0]
        // empty ACK with the request's MID
        expect(out[0].type).toBe(CoapType.ACK)
        expect(out[0].code).toBe(CoapCode.Empty)
        expect(out[0].messageId).toBe(req.messageId)
        // then the response as a CON with a server MID and the request's token
        const resp = out.filter((m) => m.code === CoapCode.Content)[0]
        expect(resp.type).toBe(CoapType.CON)
        expect(resp.messageId === req.messageId).toBe(false)
        expect(resp.token.toString("hex")).toBe(req.token.toString("hex"))
        expect(getContentFormat(resp)).toBe(0)
        // the client acknowledges it with the server's MID
        expect(inn.some((m) => m.type === CoapType.ACK && m.messageId === resp.messageId)).toBe(true)
    })

    test("TD_COAP_CORE_10 GET with a non-empty Token (CON mode)", async () => {
        const resp = await piggybacked(["-T", "a1b2c3d4", `${base}/test`], CoapCode.GET, [CoapCode.Content])
        expect(resp.token.length >= 1 && resp.token.length <= 8).toBe(true)
    })

    test("TD_COAP_CORE_11 GET with a non-empty Token and a separate response (CON mode)", async () => {
        const mark = p.log.length
        const r = await coapClient(["-B", "8", "-T", "tok11", `${base}/separate`])
        expect(r.code).toBe(0)
        const { inn, out } = since(mark)
        const req = requests(inn)[0]
        expect(req.token.length > 0).toBe(true)
        expect(out[0].code).toBe(CoapCode.Empty)
        expect(out[0].token.length).toBe(0)
        const resp = out.filter((m) => m.code === CoapCode.Content)[0]
        expect(resp.token.toString("hex")).toBe(req.token.toString("hex"))
    })

    // coap-client cannot send a zero-length token (-T "" still sends one byte), so this case is
    // driven by a raw UDP client: the request is exactly the plugtest's.
    test("TD_COAP_CORE_12 GET with an empty Token (CON mode; raw UDP client, coap-client cannot)", async () => {
        const req = newMessage(CoapType.CON, CoapCode.GET, 0x2e12)
        setUriPath(req, "/test")
        const got = await rawExchange(p.port, encodeMessage(req))
        expect(got.length).toBe(1)
        // ACK, 2.05, same MID, zero-length token
        expect(got[0][0]).toBe(0x60)
        expect(got[0][1]).toBe(CoapCode.Content)
        expect(got[0].readUInt16BE(2)).toBe(0x2e12)
    })

    test("TD_COAP_CORE_13 GET with several Uri-Path options (CON mode)", async () => {
        const mark = p.log.length
        const r = await coapClient(["-B", "5", `${base}/seg1/seg2/seg3`])
        expect(r.stdout).toContain("segments seg1|seg2|seg3")
        const req = requests(since(mark).inn)[0]
        expect(getStringOptions(req, OptionNumber.UriPath).join(",")).toBe("seg1,seg2,seg3")
        expect(since(mark).out[0].code).toBe(CoapCode.Content)
    })

    test("TD_COAP_CORE_14 GET with several Uri-Query options (CON mode)", async () => {
        const mark = p.log.length
        const r = await coapClient(["-B", "5", `${base}/query?first=1&second=2&third=3`])
        expect(r.stdout).toContain("query first=1&second=2&third=3")
        const req = requests(since(mark).inn)[0]
        expect(getStringOptions(req, OptionNumber.UriQuery).length).toBe(3)
    })

    test("TD_COAP_CORE_17 GET with a separate response (NON mode)", async () => {
        const mark = p.log.length
        const r = await coapClient(["-B", "8", "-N", `${base}/separate`])
        expect(r.code).toBe(0)
        expect(r.stdout).toContain("separate after")
        const { inn, out } = since(mark)
        const req = requests(inn)[0]
        expect(req.type).toBe(CoapType.NON)
        // no empty ACK, one NON 2.05 with a server MID
        expect(out.filter((m) => m.type === CoapType.ACK).length).toBe(0)
        expect(out.length).toBe(1)
        expect(out[0].type).toBe(CoapType.NON)
        expect(out[0].code).toBe(CoapCode.Content)
        expect(getContentFormat(out[0])).toBe(0)
    })

    test("TD_COAP_CORE_18 POST with several Location-Path options", async () => {
        const resp = await piggybacked(["-m", "post", "-t", "0", "-e", "core18", `${base}/test`], CoapCode.POST, [CoapCode.Created])
        expect(getStringOptions(resp, OptionNumber.LocationPath).join(",")).toBe("location1,location2,location3")
    })

    test("TD_COAP_CORE_19 POST with Location-Query options", async () => {
        const resp = await piggybacked(["-m", "post", "-t", "0", "-e", "x", `${base}/location-query`], CoapCode.POST, [CoapCode.Created])
        expect(getStringOptions(resp, OptionNumber.LocationQuery).join("&")).toBe("first=1&second=2")
    })

    test("TD_COAP_CORE_20 GET with Accept (text/plain, then application/xml)", async () => {
        const a = await piggybacked(["-A", "0", `${base}/multi-format`], CoapCode.GET, [CoapCode.Content])
        expect(getContentFormat(a)).toBe(0)
        const b = await piggybacked(["-A", "41", `${base}/multi-format`], CoapCode.GET, [CoapCode.Content])
        expect(getContentFormat(b)).toBe(41)
        expect(b.payload.toString()).toBe("<value>1</value>")
        // and a format the resource cannot produce: 4.06
        await piggybacked(["-A", "50", `${base}/multi-format`], CoapCode.GET, [CoapCode.NotAcceptable])
    })

    test("TD_COAP_CORE_21 GET with ETag validation (2.03 Valid)", async () => {
        const first = await piggybacked([`${base}/validate`], CoapCode.GET, [CoapCode.Content])
        const etag = first.options.find((o) => o.number === OptionNumber.ETag)!.value.toString("hex")
        const valid = await piggybacked(["-O", `4,0x${etag}`, `${base}/validate`], CoapCode.GET, [CoapCode.Valid])
        expect(valid.payload.length).toBe(0)
        await piggybacked(["-m", "put", "-e", "validate v2", `${base}/validate`], CoapCode.PUT, [CoapCode.Changed])
        const changed = await piggybacked(["-O", `4,0x${etag}`, `${base}/validate`], CoapCode.GET, [CoapCode.Content])
        expect(changed.payload.toString()).toBe("validate v2")
    })

    test("TD_COAP_CORE_22 PUT with If-Match (4.12 on a stale ETag)", async () => {
        const first = await piggybacked([`${base}/validate`], CoapCode.GET, [CoapCode.Content])
        const etag1 = first.options.find((o) => o.number === OptionNumber.ETag)!.value.toString("hex")
        await piggybacked(["-m", "put", "-O", `1,0x${etag1}`, "-e", "atomic", `${base}/validate`], CoapCode.PUT, [CoapCode.Changed])
        await piggybacked(["-m", "put", "-e", "other", `${base}/validate`], CoapCode.PUT, [CoapCode.Changed])
        await piggybacked(["-m", "put", "-O", `1,0x${etag1}`, "-e", "stale", `${base}/validate`], CoapCode.PUT, [
            CoapCode.PreconditionFailed,
        ])
        const now = await piggybacked([`${base}/validate`], CoapCode.GET, [CoapCode.Content])
        expect(now.payload.toString()).toBe("other")
    })

    test("TD_COAP_CORE_23 PUT with If-None-Match (create once, then 4.12)", async () => {
        await piggybacked(["-m", "put", "-O", "5", "-e", "first", `${base}/create1`], CoapCode.PUT, [CoapCode.Created])
        await piggybacked(["-m", "put", "-O", "5", "-e", "second", `${base}/create1`], CoapCode.PUT, [CoapCode.PreconditionFailed])
    })

    test("TD_COAP_CORE_31 CoAP ping (coap-client -K sends empty CONs while idle)", async () => {
        const mark = p.log.length
        const c = spawnClient(["-K", "1", "-s", "3", "-B", "4", `${base}/test`])
        await c.exited
        const { all } = since(mark)
        const pings = all.filter((d) => d.dir === "in" && d.bytes.length === 4 && d.msg?.type === CoapType.CON && d.msg.code === 0)
        expect(pings.length >= 1).toBe(true)
        for (const ping of pings) {
            // a four-byte RST echoing the ping's MID
            const rst = all.find(
                (d) => d.dir === "out" && d.bytes.length === 4 && d.msg?.type === CoapType.RST && d.msg.messageId === ping.msg!.messageId
            )
            expect(rst).toBeDefined()
        }
    })
})

describe("TD_COAP_CORE lossy context (libcoap -l and server-side loss)", () => {
    test("TD_COAP_CORE_15 GET (CON, piggybacked) with the request and the response each lost once", async () => {
        const lossy = await startPlugtestServer({ obsPeriod: 0, dropOutgoing: dropFirst(1) })
        try {
            const mark = lossy.log.length
            // -l 1: the client's first datagram (the request) is lost; the server's first answer is lost too
            const r = await coapClient(["-B", "20", "-l", "1", `coap://127.0.0.1:${lossy.port}/test`], 30000)
            expect(r.code).toBe(0)
            expect(r.stdout).toContain("hello from /test")
            const inn = lossy.log
                .slice(mark)
                .filter((d) => d.dir === "in")
                .map((d) => d.msg!)
            // two copies of the same CON arrived; the handler ran once; the cached answer was replayed
            expect(inn.length).toBe(2)
            expect(inn[0].messageId).toBe(inn[1].messageId)
            expect(lossy.calls["/test"]).toBe(1)
            const out = lossy.log.slice(mark).filter((d) => d.dir === "out")
            expect(out.length).toBe(1)
            expect(out[0].msg!.messageId).toBe(inn[0].messageId)
        } finally {
            await lossy.close()
        }
    }, 40000)

    test("TD_COAP_CORE_16 GET (CON, separate response) with the separate response lost once", async () => {
        // datagram 1 from the server is the empty ACK, 2 the separate CON response: lose the CON once
        let n = 0
        const lossy = await startPlugtestServer({ obsPeriod: 0, dropOutgoing: () => ++n === 2 })
        try {
            const mark = lossy.log.length
            const r = await coapClient(["-B", "20", `coap://127.0.0.1:${lossy.port}/separate`], 30000)
            expect(r.code).toBe(0)
            expect(r.stdout).toContain("separate after")
            const out = lossy.log
                .slice(mark)
                .filter((d) => d.dir === "out")
                .map((d) => d.msg!)
            const resp = out.filter((m) => m.code === CoapCode.Content)
            // only the retransmission got through (the tap sees what left after loss), same MID as the lost one
            expect(resp.length).toBe(1)
            expect(resp[0].type).toBe(CoapType.CON)
            const inn = lossy.log
                .slice(mark)
                .filter((d) => d.dir === "in")
                .map((d) => d.msg!)
            expect(inn.some((m) => m.type === CoapType.ACK && m.messageId === resp[0].messageId)).toBe(true)
            expect(lossy.ep.messageLayer.pendingCount()).toBe(0)
            expect(lossy.calls["/separate"]).toBe(1)
        } finally {
            await lossy.close()
        }
    }, 40000)

    test("TD_COAP_CORE_16 with the request's empty ACK lost: the CON response also stops the client's retransmission", async () => {
        let n = 0
        const lossy = await startPlugtestServer({ obsPeriod: 0, separateDelay: 2500, dropOutgoing: () => ++n === 1 })
        try {
            const mark = lossy.log.length
            const r = await coapClient(["-B", "20", `coap://127.0.0.1:${lossy.port}/separate`], 30000)
            expect(r.code).toBe(0)
            expect(r.stdout).toContain("separate after")
            expect(lossy.calls["/separate"]).toBe(1)
            const inn = lossy.log
                .slice(mark)
                .filter((d) => d.dir === "in")
                .map((d) => d.msg!)
            expect(requests(inn).length >= 1).toBe(true)
        } finally {
            await lossy.close()
        }
    }, 40000)

    test("TD_COAP_CORE_15 with random loss (client -l 10%, server 5%), 2 GETs each answered once", async () => {
        // loss low enough that 5 attempts all failing (the client's limit) is ~1e-4 per run
        let seed = 7
        const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff
        const lossy = await startPlugtestServer({ obsPeriod: 0, dropOutgoing: () => rnd() < 0.05 })
        try {
            const runs = await Promise.all(
                [1, 2].map(() => coapClient(["-B", "80", "-l", "10%", `coap://127.0.0.1:${lossy.port}/test`], 90000))
            )
            for (const r of runs) expect(r.stdout).toContain("hello from /test")
            // duplicates were answered from the cache: one handler run per request
            expect(lossy.calls["/test"]).toBe(2)
        } finally {
            await lossy.close()
        }
    }, 100000)
})

function dropFirst(k: number): () => boolean {
    let n = 0
    return () => ++n <= k
}
