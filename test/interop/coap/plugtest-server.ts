// The ETSI CoAP plugtest resources (td-coap4: base.yml, block.yml, link.yml) on the real UDP
// host binding, for the interop tests against libcoap's coap-client. Test-only resources live
// here, not in the firmware. Every datagram in and out is recorded (decoded) for the checks.

import { startCoapUdpServer, CoapUdpServer, CoapUdpOptions } from "../../../src/host/coap-udp"
import { decodeMessage } from "../../../src/coap/codec/codec"
import { CoapCode, CoapMessage, ContentFormat } from "../../../src/coap/codec/message"
import type { CoapRequest, Reply, Resource } from "../../../src/coap/server/resources"
import { serializeLinks, makeLink } from "../../../src/coap/formats/linkformat"

export interface Datagram {
    dir: "in" | "out"
    peer: string
    at: number
    msg: CoapMessage | undefined
    bytes: Buffer
}

export interface Plugtest {
    port: number
    ep: CoapUdpServer
    log: Datagram[]
    /** How often each path's handlers ran. */
    calls: Record<string, number>
    /** Current /obs value; `tickObs()` changes it and notifies. */
    tickObs(): void
    /** Bodies stored by PUT/POST. */
    stored: Record<string, string>
    close(): Promise<void>
}

export interface PlugtestOptions extends CoapUdpOptions {
    /** Period of /obs and /obs-non changes in ms (0 = only on demand). Default 1000. */
    obsPeriod?: number
    /** Delay of /separate in ms. Default 1500 (separateAfter is 1000). */
    separateDelay?: number
}

export const LARGE_BODY = largeText(2500)

/** Text whose every 10-byte group names its offset, so misplaced blocks show. */
export function largeText(n: number): string {
    let s = ""
    for (let i = 0; s.length < n; i += 10) s += ("[" + i + "]").padEnd(10, ".")
    return s.slice(0, n)
}

export async function startPlugtestServer(opts: PlugtestOptions = {}): Promise<Plugtest> {
    const log: Datagram[] = []
    const calls: Record<string, number> = {}
    const stored: Record<string, string> = {}
    const userTap = opts.tap
    const ep = await startCoapUdpServer({
        host: "127.0.0.1",
        port: 0,
        ...opts,
        tap: (dir, bytes, peer) => {
            let msg: CoapMessage | undefined
            try {
                msg = decodeMessage(bytes)
            } catch {
                msg = undefined
            }
            log.push({ dir, peer, at: Date.now(), msg, bytes: Buffer.from(bytes) })
            userTap?.(dir, bytes, peer)
        },
    })
    const s = ep.server
    const count = (p: string) => {
        calls[p] = (calls[p] ?? 0) + 1
    }
    const text = (body: string, cf = ContentFormat.TextPlain) => ({ code: CoapCode.Content, contentFormat: cf, payload: Buffer.from(body) })

    // TD_COAP_CORE_01..08, 10, 15, 31: /test handles every method
    let testValue = "hello from /test"
    s.add({
        path: "/test",
        rt: "test",
        formats: [0],
        observable: true, // never changes: an idle observation lets coap-client -K send pings (CORE_31)
        get: (req, reply) => {
            count("/test")
            reply(text(testValue))
        },
        put: (req, reply) => {
            count("/test")
            testValue = req.payload.toString()
            stored["/test"] = testValue
            reply({ code: CoapCode.Changed })
        },
        post: (req, reply) => {
            count("/test")
            stored["/test"] = req.payload.toString()
            reply({ code: CoapCode.Created, locationPath: "/location1/location2/location3" })
        },
        delete: (req, reply) => {
            count("/test")
            reply({ code: CoapCode.Deleted })
        },
    })
    // CORE_13: several Uri-Path options
    s.add({ path: "/seg1/seg2/seg3", get: (req, reply) => reply(text("segments " + req.segments.join("|"))) })
    // CORE_14: several Uri-Query options
    s.add({ path: "/query", get: (req, reply) => reply(text("query " + req.query.join("&"))) })
    // CORE_09, 11, 16, 17: answered after separateAfter, so the response is separate
    const separateDelay = opts.separateDelay ?? 1500
    s.add({
        path: "/separate",
        get: (req, reply) => {
            count("/separate")
            setTimeout(() => reply(text("separate after " + separateDelay + " ms")), separateDelay)
        },
    })
    // CORE_19: Location-Query
    s.add({
        path: "/location-query",
        post: (req, reply) => reply({ code: CoapCode.Created, locationQuery: ["first=1", "second=2"] }),
    })
    // CORE_20: two formats
    s.add({
        path: "/multi-format",
        formats: [ContentFormat.TextPlain, ContentFormat.Xml],
        get: (req, reply) => reply(req.format === ContentFormat.Xml ? text("<value>1</value>", ContentFormat.Xml) : text("value 1")),
    })
    // CORE_21, 22: a value with an ETag
    let validate = "validate v1"
    let validateVersion = 1
    s.add({
        path: "/validate",
        formats: [0],
        etag: () => Buffer.from([validateVersion]),
        get: (req, reply) => reply(text(validate)),
        put: (req, reply) => {
            validate = req.payload.toString()
            validateVersion++
            reply({ code: CoapCode.Changed })
        },
    })
    // CORE_23: created once by PUT with If-None-Match
    let create1: string | undefined
    s.add({
        path: "/create1",
        etag: () => (create1 === undefined ? undefined : Buffer.from("c1")),
        get: (req, reply) => reply(create1 === undefined ? { code: CoapCode.NotFound } : text(create1)),
        put: (req, reply) => {
            const created = create1 === undefined
            create1 = req.payload.toString()
            reply({ code: created ? CoapCode.Created : CoapCode.Changed })
        },
    })

    // BLOCK_01, 02, 06: a large resource; BLOCK_03 updatable; BLOCK_04 creatable
    s.add({
        path: "/large",
        rt: "block",
        sz: LARGE_BODY.length,
        formats: [0],
        get: (req, reply) => {
            count("/large")
            reply(text(LARGE_BODY))
        },
    })
    let largeUpdate = largeText(100)
    s.add({
        path: "/large-update",
        formats: [0],
        get: (req, reply) => reply(text(largeUpdate)),
        put: (req, reply) => {
            largeUpdate = req.payload.toString()
            stored["/large-update"] = largeUpdate
            reply({ code: CoapCode.Changed })
        },
    })
    let created = 0
    s.add({
        path: "/large-create",
        post: (req, reply) => {
            created++
            const path = "/large-create/" + created
            const body = req.payload.toString()
            stored[path] = body
            s.add({ path, formats: [0], get: (r2, rep2) => rep2(text(body)) })
            reply({ code: CoapCode.Created, locationPath: path })
        },
    })
    // BLOCK_05: POST with a large request and a large response
    s.add({
        path: "/large-post",
        post: (req, reply) => {
            stored["/large-post"] = req.payload.toString()
            reply({ code: CoapCode.Changed, contentFormat: 0, payload: Buffer.from(req.payload.toString().toUpperCase()) })
        },
    })

    // OBS_*: /obs changes periodically, notifications CON; /obs-non the same with NON
    let obsValue = 0
    const obs = (path: string, con: boolean): Resource => ({
        path,
        rt: "observe",
        formats: [0],
        observable: true,
        notifyConfirmable: con,
        maxAge: 5,
        get: (req: CoapRequest, reply: Reply) => reply(text("obs " + obsValue)),
        put: (req: CoapRequest, reply: Reply) => {
            const v = Number(req.payload.toString())
            if (!Number.isFinite(v)) return reply({ code: CoapCode.BadRequest })
            obsValue = v
            reply({ code: CoapCode.Changed })
            s.changed("/obs")
            s.changed("/obs-non")
        },
        delete: (req: CoapRequest, reply: Reply) => {
            reply({ code: CoapCode.Deleted })
            s.remove(path)
        },
    })
    s.add(obs("/obs", true))
    s.add(obs("/obs-non", false))
    // OBS_13: an observable resource larger than one block
    s.add({
        path: "/obs-large",
        rt: "observe",
        formats: [0],
        observable: true,
        notifyConfirmable: true,
        get: (req: CoapRequest, reply: Reply) => reply(text(largeText(1500).replace("[0]....", "[v" + obsValue + "]"))),
    })
    const tickObs = () => {
        obsValue++
        s.changed("/obs")
        s.changed("/obs-non")
        s.changed("/obs-large")
    }
    const period = opts.obsPeriod ?? 1000
    const obsTimer = period > 0 ? setInterval(tickObs, period) : undefined

    // LINK_02..08: resource types, interfaces and sizes to filter on
    const plain = (body: string) => (req: CoapRequest, reply: Reply) => reply(text(body))
    s.add({ path: "/link1", rt: "Type1 Type2", iface: "If1", sz: 100, get: plain("link1") })
    s.add({ path: "/link2", rt: "Type2 Type3", iface: "If2", get: plain("link2") })
    s.add({ path: "/link3", rt: "Type1 Type3", iface: "foo", sz: 300, get: plain("link3") })
    s.add({ path: "/link4", rt: "", get: plain("link4") })
    // LINK_09: /path lists its sub-resources in link-format
    s.add({
        path: "/path",
        ct: [ContentFormat.LinkFormat],
        formats: [ContentFormat.LinkFormat],
        get: (req, reply) =>
            reply({
                code: CoapCode.Content,
                contentFormat: ContentFormat.LinkFormat,
                payload: Buffer.from(serializeLinks([makeLink("/path/sub1", {}), makeLink("/path/sub2", {})])),
            }),
    })
    s.add({ path: "/path/sub1", get: plain("/path/sub1") })
    s.add({ path: "/path/sub2", get: plain("/path/sub2") })

    return {
        port: ep.port,
        ep,
        log,
        calls,
        stored,
        tickObs,
        close: async () => {
            if (obsTimer) clearInterval(obsTimer)
            await ep.close()
        },
    }
}

/** Datagrams of one direction (optionally one peer), decoded. */
export function messages(p: Plugtest, dir: "in" | "out", peer?: string): CoapMessage[] {
    return p.log.filter((d) => d.dir === dir && (peer === undefined || d.peer === peer) && d.msg).map((d) => d.msg!)
}
