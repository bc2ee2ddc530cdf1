// The gateway's coap+tcp head-end on its own: RD rules, a hostile peer, and coaps+tcp (TLS) with
// a board session run over node:tls.
import { readFileSync } from "node:fs"
import { connect } from "node:net"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { startGateway, Gateway } from "../../../src/host/gateway/gateway"
import { CoapTcpFrameReader, encodeTcpMessage } from "../../../src/coap/codec/codec"
import {
    CoapCode,
    CoapMessage,
    CoapType,
    getLocationPath,
    newMessage,
    setContentFormat,
    setUriPath,
    setUriQuery,
} from "../../../src/coap/codec/message"
import { CoapBoardTcpLink } from "../../../src/coap/server/board-tcp-link"
import { CoapServer } from "../../../src/coap/server/endpoint"
import { NodeStreamConnector } from "../../../src/host/node-stream"
import { nodeClock, nodeRandom } from "../../../src/host/node-platform"
import { coapClient } from "./libcoap"
import { createTestPki } from "../../helpers/tls-ca"
import { until } from "../../helpers/wait"

/** A raw RFC 8323 peer on a plain socket: sends frames, collects decoded answers. */
async function rawPeer(port: number) {
    const sock = connect(port, "127.0.0.1")
    await new Promise<void>((r) => sock.once("connect", () => r()))
    const reader = new CoapTcpFrameReader(1 << 20)
    const got: CoapMessage[] = []
    let closed = false
    sock.on("data", (d) => {
        reader.push(d)
        for (let m = reader.nextMessage(); m; m = reader.nextMessage()) got.push(m)
    })
    sock.on("close", () => (closed = true))
    sock.on("error", () => {})
    return {
        got,
        isClosed: () => closed,
        send: (m: CoapMessage) => sock.write(encodeTcpMessage(m)),
        raw: (b: Buffer) => sock.write(b),
        end: () => sock.destroy(),
    }
}

function req(code: number, path: string, query: string[], token: number): CoapMessage {
    const m = newMessage(CoapType.CON, code, 0, Buffer.from([token]))
    setUriPath(m, path)
    if (query.length) setUriQuery(m, query)
    return m
}

describe("coap+tcp head-end", () => {
    let gw: Gateway
    beforeAll(async () => {
        gw = await startGateway({ coap: { port: 0 }, tcp: { port: 0, requestTimeoutMs: 1000 }, http: false })
    })
    afterAll(async () => gw?.stop())

    test("RD: register, update, lookup, bad requests, delete", async () => {
        const p = await rawPeer(gw.ports.tcp!)
        p.send(newMessage(CoapType.CON, CoapCode.CSM, 0))
        await until(() => p.got.some((m) => m.code === CoapCode.CSM), 2000, "head-end CSM")
        const reg = req(CoapCode.POST, "/rd", ["ep=raw1", "lt=60"], 1)
        setContentFormat(reg, 40)
        reg.payload = Buffer.from('</a>;rt="x",</b>;obs')
        p.send(reg)
        p.send(req(CoapCode.POST, "/rd", ["lt=60"], 2)) // no ep
        const badLt = req(CoapCode.POST, "/rd", ["ep=raw2", "lt=soon"], 3)
        p.send(badLt)
        const badLinks = req(CoapCode.POST, "/rd", ["ep=raw3"], 4)
        badLinks.payload = Buffer.from("</a;")
        p.send(badLinks)
        await until(() => p.got.filter((m) => m.code !== CoapCode.CSM).length >= 4, 2000, "4 answers")
        const byToken = (t: number) => p.got.find((m) => m.token.length === 1 && m.token[0] === t)!
        expect(byToken(1).code).toBe(CoapCode.Created)
        const loc = getLocationPath(byToken(1))
        expect(loc).toMatch(/^\/rd\/\d+$/)
        expect(byToken(2).code).toBe(CoapCode.BadRequest)
        expect(byToken(3).code).toBe(CoapCode.BadRequest)
        expect(byToken(4).code).toBe(CoapCode.BadRequest)
        expect(gw.registry.get("raw1")!.links.map((l) => l.href)).toEqual(["/a", "/b"])
        p.send(req(CoapCode.POST, loc, ["lt=120"], 5))
        p.send(req(CoapCode.GET, "/rd-lookup/ep", [], 6))
        p.send(req(CoapCode.POST, "/rd/999", [], 7))
        await until(() => !!byToken(7), 2000, "answers")
        expect(byToken(5).code).toBe(CoapCode.Changed)
        expect(byToken(6).payload.toString()).toBe(`<${loc}>;ep="raw1";lt=120`)
        expect(byToken(7).code).toBe(CoapCode.NotFound)
        // through the UDP front the listed resource is there; the board does not answer -> 5.04
        const t0 = Date.now()
        const r = await coapClient(["-B", "5", `coap://127.0.0.1:${gw.ports.coap}/raw1/a`])
        expect(r.codes).toEqual(["5.04"])
        expect(Date.now() - t0).toBeLessThan(3000)
        p.send(req(CoapCode.DELETE, loc, [], 8))
        await until(() => !!byToken(8), 2000, "delete")
        expect(byToken(8).code).toBe(CoapCode.Deleted)
        expect(gw.registry.get("raw1")!.online).toBe(false)
        p.end()
    })

    test("garbage from a peer is answered with Abort and the connection closed; the head-end lives on", async () => {
        const p = await rawPeer(gw.ports.tcp!)
        p.raw(Buffer.from([0x0f, 0xff, 0xff, 0xff, 0xff, 0xff]))
        await until(() => p.isClosed(), 3000, "connection closed")
        expect(p.got.some((m) => m.code === CoapCode.Abort)).toBe(true)
        const q = await rawPeer(gw.ports.tcp!)
        q.send(newMessage(CoapType.CON, CoapCode.CSM, 0))
        q.send(newMessage(CoapType.CON, CoapCode.Ping, 0, Buffer.from([9])))
        await until(() => q.got.some((m) => m.code === CoapCode.Pong), 2000, "pong")
        q.end()
    })
})

describe("coaps+tcp head-end (TLS)", () => {
    let gw: Gateway
    let ca: Buffer
    beforeAll(async () => {
        const pki = createTestPki()
        ca = readFileSync(pki.caCert)
        gw = await startGateway({
            coap: { port: 0 },
            tcp: { port: 0, tls: { key: readFileSync(pki.serverKey), cert: readFileSync(pki.serverCert) } },
            http: false,
        })
    }, 30000)
    afterAll(async () => gw?.stop())

    test("a board registers over TLS and is reachable through the UDP front", async () => {
        const link = new CoapBoardTcpLink(
            new NodeStreamConnector({ ca }),
            { host: "127.0.0.1", port: gw.ports.tcp!, tls: true },
            nodeClock,
            nodeRandom,
            { endpoint: "tlsboard" }
        )
        const server = new CoapServer(link.transport, { clock: nodeClock })
        server.add({ path: "/hello", get: (_r, reply) => reply({ code: CoapCode.Content, payload: Buffer.from("over tls") }) })
        link.serve(server, server.resources)
        const timer = setInterval(() => link.tick(), 20)
        try {
            link.start()
            await until(() => gw.registry.get("tlsboard")?.links.length === 1, 5000, "registration over TLS")
            const r = await coapClient(["-B", "5", `coap://127.0.0.1:${gw.ports.coap}/tlsboard/hello`])
            expect(r.codes).toEqual(["2.05"])
            expect(r.payload).toBe("over tls")
        } finally {
            clearInterval(timer)
            link.stop()
        }
    })

    test("a board that does not trust the head-end's certificate never registers", async () => {
        const reasons: string[] = []
        const link = new CoapBoardTcpLink(
            new NodeStreamConnector({}),
            { host: "127.0.0.1", port: gw.ports.tcp!, tls: true },
            nodeClock,
            nodeRandom,
            { endpoint: "untrusting", backoffMinMs: 100, backoffMaxMs: 200 },
            { onUp: () => reasons.push("up"), onDown: (reason) => reasons.push(reason) }
        )
        const server = new CoapServer(link.transport, { clock: nodeClock })
        link.serve(server, server.resources)
        const timer = setInterval(() => link.tick(), 20)
        try {
            link.start()
            await until(() => reasons.length >= 2, 5000, "two failed attempts")
            expect(gw.registry.get("untrusting")).toBe(undefined)
            expect(reasons).not.toContain("up")
            expect(reasons[0]).toMatch(/certificate/)
        } finally {
            clearInterval(timer)
            link.stop()
        }
    })
})
