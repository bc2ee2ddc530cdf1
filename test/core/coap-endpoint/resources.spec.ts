// Request/response layer: dispatch, negotiation, conditional requests, discovery.
import { describe, test, expect } from "@devicescript/test"
import { CoapCode, CoapType, getLocationPath, getStringOptions, getUintOption } from "../../../src/coap/codec/message"
import { OptionNumber } from "../../../src/coap/codec/options"
import { CoapRequest, Reply } from "../../../src/coap/server/resources"
import { Harness, get, request, text, withOption, withPayload, withUint, pause } from "./harness"

/** A resource that keeps a text value with an ETag, like the plugtest's /validate. */
function valueResource(h: Harness, path: string, initial: string): string[] {
    const state: string[] = [initial]
    const version = [1]
    h.server.add({
        path: path,
        formats: [0],
        accepts: [0],
        etag: () => (state[0] === undefined ? undefined : Buffer.from([version[0]])),
        get: (req: CoapRequest, reply: Reply) => {
            if (state[0] === undefined) reply({ code: CoapCode.NotFound })
            else reply({ code: CoapCode.Content, contentFormat: 0, payload: Buffer.from(state[0]) })
        },
        put: (req: CoapRequest, reply: Reply) => {
            const created = state[0] === undefined
            state[0] = req.payload.toString("utf-8")
            version[0]++
            reply({ code: created ? CoapCode.Created : CoapCode.Changed })
        },
        delete: (req: CoapRequest, reply: Reply) => {
            state[0] = undefined
            reply({ code: CoapCode.Deleted })
        },
    })
    return state
}

describe("coap resources: dispatch (RFC 7252 5.8, 5.9)", () => {
    test("several Uri-Path and Uri-Query options reach the handler", async () => {
        await pause()
        const h = new Harness({})
        const seen: string[] = []
        h.server.add({
            path: "/seg1/seg2/seg3",
            get: (req: CoapRequest, reply: Reply) => {
                seen.push(req.path + " " + req.segments.length + " " + req.query.join("&"))
                reply({ code: CoapCode.Content, payload: Buffer.from("ok") })
            },
        })
        const m = get(1, "01", "/seg1/seg2/seg3")
        withOption(m, OptionNumber.UriQuery, Buffer.from("first=1"))
        withOption(m, OptionNumber.UriQuery, Buffer.from("second=2"))
        h.deliver(m)
        expect(seen[0]).toBe("/seg1/seg2/seg3 3 first=1&second=2")
        expect(h.last().code).toBe(CoapCode.Content)
    })

    test("4.04 for an unknown path, 4.05 for a method without handler and for FETCH", async () => {
        await pause()
        const h = new Harness({})
        valueResource(h, "/v", "a")
        h.server.add({ path: "/ro", get: (req: CoapRequest, reply: Reply) => reply({ code: CoapCode.Content }) })
        h.deliver(get(1, "", "/none"))
        expect(h.last().code).toBe(CoapCode.NotFound)
        h.deliver(request(CoapType.CON, CoapCode.POST, 2, "", "/ro"))
        expect(h.last().code).toBe(CoapCode.MethodNotAllowed)
        h.deliver(request(CoapType.CON, 5, 3, "", "/v"))
        expect(h.last().code).toBe(CoapCode.MethodNotAllowed)
        const n = h.count()
        // 8 = not interested in 4.xx either
        h.deliver(withUint(withPayload(request(CoapType.NON, CoapCode.POST, 4, "01", "/v"), "d"), OptionNumber.NoResponse, 10))
        expect(h.count()).toBe(n)
    })

    test("No-Response (RFC 7967): a suppressed class gets no answer, a CON only its empty ACK", async () => {
        await pause()
        const h = new Harness({})
        const state = valueResource(h, "/v", "a")
        // 2 = not interested in 2.xx
        h.deliver(withUint(withPayload(request(CoapType.NON, CoapCode.PUT, 1, "01", "/v"), "b"), OptionNumber.NoResponse, 2))
        expect(h.count()).toBe(0)
        expect(state[0]).toBe("b")
        h.deliver(withUint(withPayload(request(CoapType.CON, CoapCode.PUT, 2, "01", "/v"), "c"), OptionNumber.NoResponse, 2))
        expect(h.count()).toBe(1)
        expect(h.last().type).toBe(CoapType.ACK)
        expect(h.last().code).toBe(CoapCode.Empty)
        // errors still come through when only 2.xx is suppressed
        h.deliver(withUint(withPayload(request(CoapType.NON, CoapCode.POST, 3, "01", "/v"), "d"), OptionNumber.NoResponse, 2))
        expect(h.last().code).toBe(CoapCode.MethodNotAllowed)
    })

    test("a request for a proxy gets 5.05 Proxying Not Supported", async () => {
        await pause()
        const h = new Harness({})
        valueResource(h, "/v", "a")
        h.deliver(withOption(get(1, "", "/v"), OptionNumber.ProxyUri, Buffer.from("coap://example.org/x")))
        expect(h.last().code).toBe(CoapCode.ProxyingNotSupported)
    })

    test("content negotiation: Accept picks the format, an unservable Accept gets 4.06", async () => {
        await pause()
        const h = new Harness({})
        h.server.add({
            path: "/multi-format",
            formats: [0, 41],
            get: (req: CoapRequest, reply: Reply) => {
                const body = req.format === 41 ? "<v>1</v>" : "1"
                reply({ code: CoapCode.Content, contentFormat: req.format, payload: Buffer.from(body) })
            },
        })
        h.deliver(get(1, "", "/multi-format"))
        expect(getUintOption(h.last(), OptionNumber.ContentFormat)).toBe(0)
        h.deliver(withUint(get(2, "", "/multi-format"), OptionNumber.Accept, 41))
        expect(getUintOption(h.last(), OptionNumber.ContentFormat)).toBe(41)
        expect(text(h.last())).toBe("<v>1</v>")
        h.deliver(withUint(get(3, "", "/multi-format"), OptionNumber.Accept, 50))
        expect(h.last().code).toBe(CoapCode.NotAcceptable)
    })

    test("a body in a format the resource does not accept gets 4.15", async () => {
        await pause()
        const h = new Harness({})
        valueResource(h, "/v", "a")
        const m = withPayload(request(CoapType.CON, CoapCode.PUT, 1, "", "/v"), "{}")
        withUint(m, OptionNumber.ContentFormat, 50)
        h.deliver(m)
        expect(h.last().code).toBe(CoapCode.UnsupportedContentFormat)
    })

    test("a body over the limit without Block1 gets 4.13 with Size1", async () => {
        await pause()
        const h = new Harness({ maxBodySize: 8 })
        valueResource(h, "/v", "a")
        h.deliver(withPayload(request(CoapType.CON, CoapCode.PUT, 1, "", "/v"), "123456789"))
        expect(h.last().code).toBe(CoapCode.RequestEntityTooLarge)
        expect(getUintOption(h.last(), OptionNumber.Size1)).toBe(8)
    })

    test("POST answers may carry Location-Path and Location-Query", async () => {
        await pause()
        const h = new Harness({})
        h.server.add({
            path: "/location-query",
            post: (req: CoapRequest, reply: Reply) =>
                reply({ code: CoapCode.Created, locationPath: "/location1/location2", locationQuery: ["first=1", "second=2"] }),
        })
        h.deliver(withPayload(request(CoapType.CON, CoapCode.POST, 1, "", "/location-query"), "x"))
        expect(h.last().code).toBe(CoapCode.Created)
        expect(getLocationPath(h.last())).toBe("/location1/location2")
        expect(getStringOptions(h.last(), OptionNumber.LocationQuery).join("&")).toBe("first=1&second=2")
    })

    test("an answer that cannot be encoded still gets an answer: 5.00", async () => {
        await pause()
        const h = new Harness({})
        h.server.add({
            path: "/bad",
            get: (req: CoapRequest, reply: Reply) => {
                reply({ code: CoapCode.Content, options: [{ number: 70000, value: Buffer.alloc(1) }] })
            },
        })
        h.deliver(get(1, "", "/bad"))
        expect(h.last().code).toBe(CoapCode.InternalServerError)
        expect(h.last().type).toBe(CoapType.ACK)
    })
})

describe("coap resources: ETag and conditional requests (RFC 7252 5.10.6, 5.10.8)", () => {
    test("GET with the current ETag gets 2.03 Valid without payload; a stale one gets 2.05", async () => {
        await pause()
        const h = new Harness({})
        valueResource(h, "/validate", "one")
        h.deliver(get(1, "", "/validate"))
        const etag = h.last().options.filter((o) => o.number === OptionNumber.ETag)[0].value
        expect(etag.toString("hex")).toBe("01")
        h.deliver(withOption(get(2, "", "/validate"), OptionNumber.ETag, etag))
        expect(h.last().code).toBe(CoapCode.Valid)
        expect(h.last().payload.length).toBe(0)
        h.deliver(withPayload(request(CoapType.CON, CoapCode.PUT, 3, "", "/validate"), "two"))
        h.deliver(withOption(get(4, "", "/validate"), OptionNumber.ETag, etag))
        expect(h.last().code).toBe(CoapCode.Content)
        expect(text(h.last())).toBe("two")
    })

    test("If-Match with the current ETag updates, with an old one gets 4.12", async () => {
        await pause()
        const h = new Harness({})
        const state = valueResource(h, "/validate", "one")
        h.deliver(
            withOption(withPayload(request(CoapType.CON, CoapCode.PUT, 1, "", "/validate"), "two"), OptionNumber.IfMatch, Buffer.from([1]))
        )
        expect(h.last().code).toBe(CoapCode.Changed)
        h.deliver(
            withOption(
                withPayload(request(CoapType.CON, CoapCode.PUT, 2, "", "/validate"), "three"),
                OptionNumber.IfMatch,
                Buffer.from([1])
            )
        )
        expect(h.last().code).toBe(CoapCode.PreconditionFailed)
        expect(state[0]).toBe("two")
        // an empty If-Match means "if it exists"
        h.deliver(
            withOption(withPayload(request(CoapType.CON, CoapCode.PUT, 3, "", "/validate"), "four"), OptionNumber.IfMatch, Buffer.alloc(0))
        )
        expect(h.last().code).toBe(CoapCode.Changed)
    })

    test("If-None-Match creates once, then 4.12", async () => {
        await pause()
        const h = new Harness({})
        const state = valueResource(h, "/create1", undefined)
        h.deliver(
            withOption(
                withPayload(request(CoapType.CON, CoapCode.PUT, 1, "", "/create1"), "new"),
                OptionNumber.IfNoneMatch,
                Buffer.alloc(0)
            )
        )
        expect(h.last().code).toBe(CoapCode.Created)
        h.deliver(
            withOption(
                withPayload(request(CoapType.CON, CoapCode.PUT, 2, "", "/create1"), "again"),
                OptionNumber.IfNoneMatch,
                Buffer.alloc(0)
            )
        )
        expect(h.last().code).toBe(CoapCode.PreconditionFailed)
        expect(state[0]).toBe("new")
        // If-Match on a value that does not exist fails
        h.deliver(request(CoapType.CON, CoapCode.DELETE, 3, "", "/create1"))
        h.deliver(
            withOption(withPayload(request(CoapType.CON, CoapCode.PUT, 4, "", "/create1"), "x"), OptionNumber.IfMatch, Buffer.alloc(0))
        )
        expect(h.last().code).toBe(CoapCode.PreconditionFailed)
    })
})

describe("coap resources: discovery (RFC 6690)", () => {
    function linkServer(h: Harness): void {
        const noop = (req: CoapRequest, reply: Reply) => reply({ code: CoapCode.Content, payload: Buffer.from("x") })
        h.server.add({ path: "/sensors/temperature", rt: "temperature", iface: "sensor", formats: [0, 50], observable: true, get: noop })
        h.server.add({ path: "/link1", rt: "Type1 Type2", sz: 1200, get: noop })
        h.server.add({ path: "/link2", iface: "If2", get: noop })
        h.server.add({ path: "/hidden", hidden: true, get: noop })
    }

    test("lists every visible resource with rt, if, ct, obs and sz", async () => {
        await pause()
        const h = new Harness({})
        linkServer(h)
        h.deliver(get(1, "", "/.well-known/core"))
        const m = h.last()
        expect(getUintOption(m, OptionNumber.ContentFormat)).toBe(40)
        const body = text(m)
        expect(body.indexOf("</sensors/temperature>") >= 0).toBe(true)
        expect(body.indexOf("obs") >= 0).toBe(true)
        expect(body.indexOf('ct="0 50"') >= 0 || body.indexOf("ct=0") >= 0).toBe(true)
        expect(body.indexOf("sz=1200") >= 0).toBe(true)
        expect(body.indexOf("hidden")).toBe(-1)
        expect(body.indexOf("well-known")).toBe(-1)
    })

    test("filters by rt, if prefix and href prefix", async () => {
        await pause()
        const h = new Harness({})
        linkServer(h)
        h.deliver(withOption(get(1, "", "/.well-known/core"), OptionNumber.UriQuery, Buffer.from("rt=Type2")))
        expect(text(h.last())).toBe('</link1>;rt="Type1 Type2";sz=1200')
        h.deliver(withOption(get(2, "", "/.well-known/core"), OptionNumber.UriQuery, Buffer.from("if=If*")))
        expect(text(h.last())).toBe('</link2>;if="If2"')
        h.deliver(withOption(get(3, "", "/.well-known/core"), OptionNumber.UriQuery, Buffer.from("href=/link*")))
        expect(text(h.last()).split(",").length).toBe(2)
    })
})
