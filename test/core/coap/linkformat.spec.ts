// RFC 6690 link format: serialization, parsing and the 4.1 query filter, with the RFC's
// own examples (section 5). Portable (vitest + simulator).
import { describe, test, expect } from "@devicescript/test"
import {
    LinkFormatError,
    WebLink,
    filterLinks,
    getLinkAttr,
    linkMatches,
    linkText,
    makeLink,
    matchesPattern,
    parseLinks,
    serializeLinks,
} from "../../../src/coap/formats/linkformat"

function hrefs(links: WebLink[]): string {
    const r: string[] = []
    for (const l of links) r.push(l.href)
    return r.join(" ")
}
function parseFails(s: string): boolean {
    try {
        parseLinks(s)
        return false
    } catch (e) {
        return e instanceof LinkFormatError
    }
}

// RFC 6690 section 5, example 1 (one line here)
const RFC_EXAMPLE = '</sensors/temp>;if="sensor",</sensors/light>;if="sensor"'
// RFC 6690 section 5, example 2
const RFC_EXAMPLE2 =
    '</sensors>;ct=40;title="Sensor Index",</sensors/temp>;rt="temperature-c";if="sensor",' +
    '</sensors/light>;rt="light-lux";if="sensor",<http://www.example.com/sensors/t123>;' +
    'anchor="/sensors/temp";rel="describedby",</t>;anchor="/sensors/temp";rel="alternate"'

describe("link format: serializer (RFC 6690 2)", () => {
    test("the project's attributes, numbers bare and strings quoted", () => {
        const links = [
            makeLink("/sensors/temperature", { rt: "temperature", iface: "sensor", ct: [0, 50, 110, 112], obs: true, sz: 42 }),
            makeLink("/actuators/led", { rt: "light", title: 'LED "1"' }),
        ]
        expect(serializeLinks(links)).toBe(
            '</sensors/temperature>;rt="temperature";if="sensor";ct="0 50 110 112";obs;sz=42,' +
                '</actuators/led>;rt="light";title="LED \\"1\\""'
        )
        expect(serializeLinks([makeLink("/a", { ct: [40] })])).toBe("</a>;ct=40")
        expect(serializeLinks([])).toBe("")
    })
    test("linkText writes the same text without the WebLink", () => {
        expect(linkText("/sensors/temperature", { rt: "temperature", iface: "sensor", ct: [0, 50, 110, 112], obs: true, sz: 42 })).toBe(
            '</sensors/temperature>;rt="temperature";if="sensor";ct="0 50 110 112";obs;sz=42'
        )
        expect(linkText("/actuators/led", { rt: "light", title: 'LED "1"', obs: false, ct: [] })).toBe(
            '</actuators/led>;rt="light";title="LED \\"1\\""'
        )
        expect(linkText("/a", { ct: [40] })).toBe("</a>;ct=40")
        expect(linkText("/a", {})).toBe("</a>")
    })
    test("round trip of the RFC 6690 examples", () => {
        expect(serializeLinks(parseLinks(RFC_EXAMPLE))).toBe(RFC_EXAMPLE)
        expect(serializeLinks(parseLinks(RFC_EXAMPLE2))).toBe(RFC_EXAMPLE2)
    })
})

describe("link format: parser", () => {
    test("RFC 6690 example 2", () => {
        const l = parseLinks(RFC_EXAMPLE2)
        expect(l.length).toBe(5)
        expect(l[0].href).toBe("/sensors")
        expect(getLinkAttr(l[0], "ct")).toBe("40")
        expect(getLinkAttr(l[0], "title")).toBe("Sensor Index")
        expect(getLinkAttr(l[3], "anchor")).toBe("/sensors/temp")
        expect(l[3].href).toBe("http://www.example.com/sensors/t123")
        expect(getLinkAttr(l[1], "obs")).toBe(undefined)
    })
    test("flags, escapes, commas and semicolons inside quotes, whitespace", () => {
        const l = parseLinks(' </a>;obs;title="x,y;\\"z\\"" ,\n</b> ; rt = "p q";sz=10 ')
        expect(l.length).toBe(2)
        expect(getLinkAttr(l[0], "obs")).toBe("")
        expect(getLinkAttr(l[0], "title")).toBe('x,y;"z"')
        expect(getLinkAttr(l[1], "rt")).toBe("p q")
        expect(getLinkAttr(l[1], "sz")).toBe("10")
    })
    test("an RD registration payload (RFC 9176 style)", () => {
        const l = parseLinks('</sensors/temp>;rt="temperature";ct=0;obs,</rpc>;ct=50')
        expect(hrefs(l)).toBe("/sensors/temp /rpc")
    })
    test("empty document and malformed ones", () => {
        expect(parseLinks("").length).toBe(0)
        expect(parseFails("/a")).toBe(true)
        expect(parseFails("</a")).toBe(true)
        expect(parseFails('</a>;title="open')).toBe(true)
        expect(parseFails("</a>;")).toBe(true)
        expect(parseFails("</a>,")).toBe(true)
        expect(parseFails("</a> </b>")).toBe(true)
        expect(parseFails('</a>;t="x\\')).toBe(true)
    })
})

describe("link format: query filter (RFC 6690 4.1)", () => {
    const links = parseLinks(RFC_EXAMPLE2)
    test("prefix match with a trailing *", () => {
        expect(matchesPattern("temperature-c", "temp*")).toBe(true)
        expect(matchesPattern("temperature-c", "temp")).toBe(false)
        expect(matchesPattern("anything", "*")).toBe(true)
        expect(matchesPattern("temp", "temp")).toBe(true)
    })
    test("rt, if, href, ct, title, any attribute", () => {
        expect(hrefs(filterLinks(links, ["rt=temperature-c"]))).toBe("/sensors/temp")
        expect(hrefs(filterLinks(links, ["if=sensor"]))).toBe("/sensors/temp /sensors/light")
        expect(hrefs(filterLinks(links, ["href=/sensors/*"]))).toBe("/sensors/temp /sensors/light")
        expect(hrefs(filterLinks(links, ["href=/sensors"]))).toBe("/sensors")
        expect(hrefs(filterLinks(links, ["ct=40"]))).toBe("/sensors")
        expect(hrefs(filterLinks(links, ["title=Sensor*"]))).toBe("/sensors")
        expect(hrefs(filterLinks(links, ["rel=alternate"]))).toBe("/t")
        expect(hrefs(filterLinks(links, ["rt=nothing"]))).toBe("")
        expect(filterLinks(links, []).length).toBe(5)
    })
    test("space-separated values: any entry matches", () => {
        const l = parseLinks('</s>;rt="a.b c.d";ct="0 50";obs')
        expect(linkMatches(l[0], "rt", "c.d")).toBe(true)
        expect(linkMatches(l[0], "rt", "c*")).toBe(true)
        expect(linkMatches(l[0], "rt", "a.b c.d")).toBe(true)
        expect(linkMatches(l[0], "rt", "b")).toBe(false)
        expect(linkMatches(l[0], "ct", "50")).toBe(true)
        expect(linkMatches(l[0], "obs", undefined)).toBe(true)
        expect(linkMatches(l[0], "sz", undefined)).toBe(false)
        expect(filterLinks(l, ["obs"]).length).toBe(1)
    })
    test("several filters are ANDed", () => {
        expect(hrefs(filterLinks(links, ["if=sensor", "rt=light*"]))).toBe("/sensors/light")
    })
})
