// The proxy's share of content negotiation (RFC 7252 5.7.2, 5.10.4) for boards on the MQTT
// binding: such a board (src/coap/server/board-coap.ts) answers ONE representation per resource, and the
// gateway makes the one its client asked for.
//   - readings come as a SenML JSON pack (110) whose values carry exactly the sensor's decimals;
//     from it: text/plain (one reading), JSON ({"value":..,"unit":..} for one reading,
//     {"<name>":..} for a pack), SenML JSON and SenML CBOR (RFC 8428), byte for byte what the
//     board's full server (src/coap/server/device-resources.ts) answers;
//   - an actuator's state (if="core.a", /actuators/led) comes as text "on"/"off"; as JSON it is
//     {"on":true|false}, and a JSON PUT {"on":bool} reaches the board as the text "on"/"off";
//   - a resource that keeps a value (if="core.p", /config) gets its ETag from its representation
//     (FNV-1a 32-bit), so ETag validation and 2.03 keep working;
//   - a format that cannot be made is 4.06 Not Acceptable.

import {
    CoapCode,
    CoapMessage,
    ContentFormat,
    codeClass,
    getOption,
    getUintOption,
    newMessage,
    setOption,
    setUintOption,
} from "../../coap/codec/message"
import { OptionNumber } from "../../coap/codec/options"
import { getLinkAttr, WebLink } from "../../coap/formats/linkformat"
import { SenmlRecord, senmlToCbor, senmlToJson } from "../../coap/formats/senml"
import { jsonString } from "../../util/json"

/** One reading of a canonical pack: the value as the board printed it, and as a number. */
interface Reading {
    name: string
    unit: string
    text: string
    bn: string | undefined
}

/** The link of `path` ("/a/b") among a board's links. */
export function linkOf(links: WebLink[], path: string): WebLink | undefined {
    return links.find((l) => l.href === path)
}

/** The formats a link lists ("ct"), preferred first. */
export function linkFormats(link: WebLink | undefined): number[] | undefined {
    const ct = link ? getLinkAttr(link, "ct") : undefined
    if (ct === undefined || ct === "") return undefined
    const r = ct
        .split(" ")
        .filter((x) => /^[0-9]+$/.test(x))
        .map((x) => Number(x))
    return r.length > 0 ? r : undefined
}

/** The link's interface description ("if") names `iface`. */
function hasIface(link: WebLink | undefined, iface: string): boolean {
    return link !== undefined && (getLinkAttr(link, "if") ?? "").split(" ").includes(iface)
}

/**
 * The body of a PUT to an actuator as the board takes it: JSON {"on":bool} becomes the text
 * "on"/"off" (Content-Format 0). Anything else is left for the board to judge (4.00 / 4.15).
 */
export function actuatorBody(
    link: WebLink | undefined,
    contentFormat: number | undefined,
    payload: Buffer | undefined
): { contentFormat: number | undefined; payload: Buffer | undefined } {
    if (contentFormat !== ContentFormat.Json || !payload || !hasIface(link, "core.a")) return { contentFormat, payload }
    try {
        const o = JSON.parse(payload.toString("utf-8"))
        if (o !== null && typeof o === "object" && typeof o.on === "boolean")
            return { contentFormat: ContentFormat.TextPlain, payload: Buffer.from(o.on ? "on" : "off") }
    } catch {
        // not JSON: the board answers 4.00
    }
    return { contentFormat, payload }
}

/** The readings of a canonical SenML JSON pack, values as printed; undefined when it is not one. */
function readPack(payload: Buffer): Reading[] | undefined {
    const text = payload.toString("utf-8")
    let recs: unknown
    try {
        recs = JSON.parse(text)
    } catch {
        return undefined
    }
    if (!Array.isArray(recs)) return undefined
    // the printed values, in record order: JSON.parse would lose trailing zeros ("21.50")
    const printed = [...text.matchAll(/"v":(-?[0-9][0-9.eE+-]*)/g)].map((m) => m[1])
    if (printed.length !== recs.length) return undefined
    const out: Reading[] = []
    for (let i = 0; i < recs.length; i++) {
        const r = recs[i] as { n?: unknown; u?: unknown; bn?: unknown }
        if (r === null || typeof r !== "object" || typeof r.n !== "string") return undefined
        out.push({ name: r.n, unit: typeof r.u === "string" ? r.u : "", text: printed[i], bn: typeof r.bn === "string" ? r.bn : undefined })
    }
    return out
}

/** The body of `readings` in `format`, or undefined when that format cannot show them. */
function showReadings(readings: Reading[], format: number, single: boolean): Buffer | undefined {
    if (format === ContentFormat.SenmlJson || format === ContentFormat.SenmlCbor) {
        const recs: SenmlRecord[] = readings.map((r) => {
            const rec: SenmlRecord = {}
            if (r.bn !== undefined) rec.bn = r.bn
            rec.n = r.name
            rec.u = r.unit
            rec.v = Number(r.text)
            return rec
        })
        return format === ContentFormat.SenmlCbor ? senmlToCbor(recs) : Buffer.from(senmlToJson(recs))
    }
    if (format === ContentFormat.Json) {
        if (single && readings.length === 1)
            return Buffer.from('{"value":' + readings[0].text + ',"unit":' + jsonString(readings[0].unit) + "}")
        if (single) return undefined
        return Buffer.from("{" + readings.map((r) => jsonString(r.name) + ":" + r.text).join(",") + "}")
    }
    if (format === ContentFormat.TextPlain && single && readings.length === 1) return Buffer.from(readings[0].text)
    return undefined
}

/** FNV-1a 32-bit over the text's character codes, as a 4-byte ETag (the full server's textEtag). */
function textEtag(b: Buffer): Buffer {
    const s = b.toString("utf-8")
    let h = 0x811c9dc5
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0
    const t = Buffer.alloc(4)
    t.writeUInt32BE(h >>> 0)
    return t
}

function withBody(resp: CoapMessage, format: number, payload: Buffer): CoapMessage {
    const out = newMessage(resp.type, resp.code, resp.messageId, resp.token)
    out.options = resp.options.filter((o) => o.number !== OptionNumber.ContentFormat)
    setUintOption(out, OptionNumber.ContentFormat, format)
    out.payload = payload
    return out
}

/**
 * The response a client asking for `accept` gets from a board that answers one representation:
 * `resp` made into that format (Accept absent: the resource's first listed format), or 4.06.
 * Error answers and answers without a Content-Format pass unchanged.
 */
export function representAs(resp: CoapMessage, accept: number | undefined, link: WebLink | undefined): CoapMessage {
    const cf = getUintOption(resp, OptionNumber.ContentFormat)
    if (codeClass(resp.code) !== 2 || cf === undefined) return resp
    const formats = linkFormats(link)
    const want = accept ?? (formats ? formats[0] : cf)
    let out: CoapMessage | undefined = resp
    if (cf === ContentFormat.SenmlJson) {
        const readings = readPack(resp.payload)
        const single = link !== undefined && hasIface(link, "core.s")
        const body = readings ? showReadings(readings, want, single) : want === cf ? resp.payload : undefined
        out = body ? withBody(resp, want, body) : undefined
    } else if (cf === ContentFormat.TextPlain && want === ContentFormat.Json && hasIface(link, "core.a")) {
        const state = resp.payload.toString("utf-8")
        out = state === "on" || state === "off" ? withBody(resp, want, Buffer.from('{"on":' + (state === "on") + "}")) : undefined
    } else if (cf !== want) out = undefined
    if (out === undefined) {
        const na = newMessage(resp.type, CoapCode.NotAcceptable, resp.messageId, resp.token)
        na.payload = Buffer.from("the board cannot give this resource as Content-Format " + want)
        return na
    }
    if (hasIface(link, "core.p") && out.code === CoapCode.Content && getOption(out, OptionNumber.ETag) === undefined) {
        if (out === resp) out = withBody(resp, cf, resp.payload)
        setOption(out, OptionNumber.ETag, textEtag(out.payload))
    }
    return out
}
