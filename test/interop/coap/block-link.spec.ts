// ETSI CoAP plugtest TD_COAP_BLOCK_* (td-coap4 block.yml) and TD_COAP_LINK_* (link.yml) against
// libcoap's coap-client-notls.
import { describe, test, expect, beforeAll, afterAll } from "vitest"
import { mkdtempSync, writeFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { CoapCode, CoapMessage, CoapType, getContentFormat, getStringOptions, getUintOption } from "../../../src/coap/codec/message"
import { OptionNumber, decodeBlock } from "../../../src/coap/codec/options"
import { parseLinks } from "../../../src/coap/formats/linkformat"
import { startPlugtestServer, Plugtest, LARGE_BODY, largeText } from "./plugtest-server"
import { coapClient, requireCoapClient } from "./client"

let p: Plugtest
let base: string
let dir: string

beforeAll(async () => {
    requireCoapClient()
    p = await startPlugtestServer({ obsPeriod: 0 })
    base = `coap://127.0.0.1:${p.port}`
    dir = mkdtempSync(join(tmpdir(), "coap-block-"))
})
afterAll(async () => {
    await p.close()
    rmSync(dir, { recursive: true, force: true })
})

/** coap-client's output without the newline it adds at the end. */
function printed(r: { stdout: string }): string {
    return r.stdout.endsWith("\n") ? r.stdout.slice(0, -1) : r.stdout
}

function since(mark: number): { inn: CoapMessage[]; out: CoapMessage[] } {
    const all = p.log.slice(mark)
    return {
        inn: all.filter((d) => d.dir === "in" && d.msg).map((d) => d.msg!),
        out: all.filter((d) => d.dir === "out" && d.msg).map((d) => d.msg!),
    }
}

function block(m: CoapMessage, num: number): { num: number; more: boolean; szx: number } | undefined {
    const v = getUintOption(m, num)
    return v === undefined ? undefined : decodeBlock(v)
}

/** Block2 responses: numbers in order, M set on all but the last, full size except the last. */
function checkBlock2Sequence(out: CoapMessage[], szx: number): void {
    const resp = out.filter((m) => m.code === CoapCode.Content)
    const size = 1 << (szx + 4)
    resp.forEach((m, i) => {
        const b = block(m, OptionNumber.Block2)!
        expect(b.num).toBe(i)
        expect(b.szx).toBe(szx)
        const last = i === resp.length - 1
        expect(b.more).toBe(!last)
        if (!last) expect(m.payload.length).toBe(size)
        else expect(m.payload.length <= size).toBe(true)
    })
    expect(resp.length).toBe(Math.ceil(LARGE_BODY.length / size))
}

describe("TD_COAP_BLOCK (libcoap coap-client-notls)", () => {
    test("TD_COAP_BLOCK_01 GET blockwise, early negotiation (-b 64)", async () => {
        const mark = p.log.length
        const r = await coapClient(["-B", "10", "-b", "64", `${base}/large`])
        expect(printed(r)).toBe(LARGE_BODY)
        const { inn, out } = since(mark)
        // the first request already carries Block2 NUM=0 M=0 SZX=2
        const b0 = block(inn[0], OptionNumber.Block2)!
        expect(b0.num).toBe(0)
        expect(b0.more).toBe(false)
        expect(b0.szx).toBe(2)
        checkBlock2Sequence(out, 2)
    })

    test("TD_COAP_BLOCK_02 GET blockwise, late negotiation (no Block2 in the first request)", async () => {
        const mark = p.log.length
        const r = await coapClient(["-B", "10", `${base}/large`])
        expect(printed(r)).toBe(LARGE_BODY)
        const { inn, out } = since(mark)
        expect(block(inn[0], OptionNumber.Block2)).toBe(undefined)
        expect(getUintOption(out[0], OptionNumber.Size2)).toBe(LARGE_BODY.length)
        checkBlock2Sequence(out, 6)
    })

    test("TD_COAP_BLOCK_03 PUT blockwise (Block1, 2.31 Continue then 2.04)", async () => {
        const body = largeText(1500)
        const file = join(dir, "put.txt")
        writeFileSync(file, body)
        const mark = p.log.length
        const r = await coapClient(["-B", "10", "-m", "put", "-b", "128", "-f", file, `${base}/large-update`])
        expect(r.code).toBe(0)
        expect(p.stored["/large-update"]).toBe(body)
        const { inn, out } = since(mark)
        const reqs = inn.filter((m) => m.code === CoapCode.PUT)
        expect(reqs.length).toBe(Math.ceil(1500 / 128))
        out.forEach((m, i) => {
            const b = block(m, OptionNumber.Block1)!
            expect(b.num).toBe(i)
            expect(b.szx).toBe(3)
            const last = i === out.length - 1
            expect(m.code).toBe(last ? CoapCode.Changed : CoapCode.Continue)
            expect(b.more).toBe(!last)
        })
        const back = await coapClient(["-B", "10", `${base}/large-update`])
        expect(printed(back)).toBe(body)
    })

    test("TD_COAP_BLOCK_04 POST blockwise creating a resource (2.01 with Location-Path)", async () => {
        const body = largeText(700)
        const file = join(dir, "post.txt")
        writeFileSync(file, body)
        const mark = p.log.length
        const r = await coapClient(["-B", "10", "-m", "post", "-b", "256", "-f", file, `${base}/large-create`])
        expect(r.code).toBe(0)
        const { out } = since(mark)
        const final = out[out.length - 1]
        expect(final.code).toBe(CoapCode.Created)
        expect(block(final, OptionNumber.Block1)!.more).toBe(false)
        const loc = getStringOptions(final, OptionNumber.LocationPath)
        expect(loc[0]).toBe("large-create")
        expect(loc.length).toBe(2)
        const back = await coapClient(["-B", "10", `${base}/${loc.join("/")}`])
        expect(printed(back)).toBe(body)
    })

    test("TD_COAP_BLOCK_05 POST with two-way blockwise transfer", async () => {
        const body = largeText(1500)
        const file = join(dir, "post2.txt")
        writeFileSync(file, body)
        const mark = p.log.length
        const r = await coapClient(["-B", "10", "-m", "post", "-b", "128", "-f", file, `${base}/large-post`])
        expect(r.code).toBe(0)
        expect(p.stored["/large-post"]).toBe(body)
        expect(printed(r)).toBe(body.toUpperCase())
        const { out } = since(mark)
        expect(out.some((m) => block(m, OptionNumber.Block2) !== undefined && block(m, OptionNumber.Block2)!.more)).toBe(true)
    })

    test("TD_COAP_BLOCK_06 GET blockwise, early negotiation with 16-byte blocks (-b 16)", async () => {
        const mark = p.log.length
        const r = await coapClient(["-B", "20", "-b", "16", `${base}/large`])
        expect(printed(r)).toBe(LARGE_BODY)
        const { inn, out } = since(mark)
        expect(block(inn[0], OptionNumber.Block2)!.szx).toBe(0)
        checkBlock2Sequence(out, 0)
    })

    test("TD_COAP_BLOCK_01 in a lossy context (client -l 3,7)", async () => {
        const r = await coapClient(["-B", "30", "-b", "256", "-l", "3,7", `${base}/large`], 40000)
        expect(printed(r)).toBe(LARGE_BODY)
    }, 45000)

    test("a Block1 body over the server's limit gets 4.13 with Size1", async () => {
        const limited = await startPlugtestServer({ obsPeriod: 0, server: { maxBodySize: 512 } })
        try {
            const file = join(dir, "big.txt")
            writeFileSync(file, largeText(1200))
            const mark = limited.log.length
            await coapClient(["-B", "10", "-m", "put", "-b", "256", "-f", file, `coap://127.0.0.1:${limited.port}/large-update`])
            const out = limited.log
                .slice(mark)
                .filter((d) => d.dir === "out")
                .map((d) => d.msg!)
            const tooLarge = out.find((m) => m.code === CoapCode.RequestEntityTooLarge)!
            expect(getUintOption(tooLarge, OptionNumber.Size1)).toBe(512)
            expect(limited.stored["/large-update"]).toBe(undefined)
        } finally {
            await limited.close()
        }
    })
})

async function discover(query: string): Promise<{ hrefs: string[]; resp: CoapMessage }> {
    const mark = p.log.length
    const r = await coapClient(["-B", "5", `${base}/.well-known/core${query}`])
    const resp = since(mark).out.filter((m) => m.type === CoapType.ACK)[0]
    expect(resp.code).toBe(CoapCode.Content)
    expect(getContentFormat(resp)).toBe(40)
    const text = r.stdout.trim()
    return { hrefs: text.length === 0 ? [] : parseLinks(text).map((l) => l.href), resp }
}

describe("TD_COAP_LINK (libcoap coap-client-notls)", () => {
    test("TD_COAP_LINK_01 access to /.well-known/core", async () => {
        const { hrefs } = await discover("")
        for (const h of ["/test", "/seg1/seg2/seg3", "/large", "/obs", "/link1", "/path", "/path/sub1"]) expect(hrefs).toContain(h)
    })

    test("TD_COAP_LINK_02 filter by rt", async () => {
        const { hrefs } = await discover("?rt=Type1")
        expect(hrefs.sort()).toEqual(["/link1", "/link3"])
    })

    test("TD_COAP_LINK_03 rt=* keeps only links with an rt attribute", async () => {
        const all = await discover("")
        const { hrefs } = await discover("?rt=*")
        expect(hrefs).toContain("/link4")
        expect(hrefs).toContain("/test")
        expect(hrefs).not.toContain("/seg1/seg2/seg3")
        expect(hrefs.length < all.hrefs.length).toBe(true)
    })

    test("TD_COAP_LINK_04 filter with multiple rt values (rt=Type2)", async () => {
        const { hrefs } = await discover("?rt=Type2")
        expect(hrefs.sort()).toEqual(["/link1", "/link2"])
    })

    test("TD_COAP_LINK_05 filter by if with a prefix (if=If*)", async () => {
        const { hrefs } = await discover("?if=If*")
        expect(hrefs.sort()).toEqual(["/link1", "/link2"])
    })

    test("TD_COAP_LINK_06 sz=* keeps only links with sz", async () => {
        const { hrefs } = await discover("?sz=*")
        expect(hrefs.sort()).toEqual(["/large", "/link1", "/link3"])
    })

    test("TD_COAP_LINK_07 filter by href (complete value)", async () => {
        const { hrefs } = await discover("?href=/link1")
        expect(hrefs).toEqual(["/link1"])
    })

    test("TD_COAP_LINK_08 filter by href prefix (href=/link*)", async () => {
        const { hrefs } = await discover("?href=/link*")
        expect(hrefs.sort()).toEqual(["/link1", "/link2", "/link3", "/link4"])
    })

    test("TD_COAP_LINK_09 hierarchical link descriptions (/path with ct=40)", async () => {
        const wk = await coapClient(["-B", "5", `${base}/.well-known/core?href=/path`])
        const link = parseLinks(wk.stdout.trim())[0]
        expect(link.href).toBe("/path")
        expect(link.attrs.find((a) => a.name === "ct")!.value).toBe("40")
        const sub = await coapClient(["-B", "5", `${base}/path`])
        expect(parseLinks(sub.stdout.trim()).map((l) => l.href)).toEqual(["/path/sub1", "/path/sub2"])
        const leaf = await coapClient(["-B", "5", `${base}/path/sub1`])
        expect(printed(leaf)).toBe("/path/sub1")
    })
})
