// The board-side RFC 8323 session and RFC 9176 registration client, run in Node over node:net,
// against libcoap's coap-rd-notls over coap+tcp; the registration is read back with
// coap-client-notls. libcoap 4.3.1's RD has no /rd-lookup: a registration is the resource at
// its Location (GET /rd/<id> returns the registered links) and is listed in /.well-known/core.
// It also answers a registration update (POST to the location) with 4.05, so the client's
// fallback (register again) is what keeps the entry alive there.
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { CoapServer } from "../../../src/coap/server/endpoint"
import { CoapCode, ContentFormat } from "../../../src/coap/codec/message"
import { CoapRequest, Reply } from "../../../src/coap/server/resources"
import { CoapBoardTcpLink } from "../../../src/coap/server/board-tcp-link"
import { rdStatus } from "../../../src/coap/rd/rd-client"
import { tcpSessionUp } from "../../../src/coap/transport/tcp-session"
import { tcpConnectionStatus } from "../../../src/coap/transport/tcp-connection"
import { NodeStreamConnector } from "../../../src/host/node-stream"
import { nodeClock, nodeRandom } from "../../../src/host/node-platform"
import { coapClient, LibcoapServer, startCoapRd } from "./libcoap"
import { until } from "../../helpers/wait"

let rd: LibcoapServer

beforeAll(async () => {
    rd = await startCoapRd()
})
afterAll(async () => {
    await rd?.stop()
})

function board(endpoint: string, lifetimeS: number, extra: { pingIdleMs?: number } = {}) {
    const link = new CoapBoardTcpLink(new NodeStreamConnector(), { host: "127.0.0.1", port: rd.port, tls: false }, nodeClock, nodeRandom, {
        endpoint,
        lifetimeS,
        backoffMinMs: 100,
        backoffMaxMs: 500,
        rdRetryMs: 300,
        pingIdleMs: extra.pingIdleMs ?? 30000,
        pongTimeoutMs: 1000,
    })
    const server = new CoapServer(link.transport, { clock: nodeClock })
    server.add({
        path: "/sensors/temperature",
        rt: "temperature",
        observable: true,
        formats: [ContentFormat.TextPlain, ContentFormat.Json],
        get: (req: CoapRequest, reply: Reply) => reply({ code: CoapCode.Content, payload: Buffer.from("21.5") }),
    })
    server.add({ path: "/actuators/led", rt: "led", get: (req: CoapRequest, reply: Reply) => reply({ code: CoapCode.Content }) })
    link.serve(server, server.resources)
    const timer = setInterval(() => link.tick(), 20)
    return {
        link,
        stop() {
            clearInterval(timer)
            link.stop()
        },
    }
}

describe("RFC 8323 + RFC 9176 against libcoap coap-rd-notls (coap+tcp)", () => {
    test("the board registers and coap-client reads the registration back", async () => {
        const b = board("node-a", 300)
        try {
            b.link.start()
            await until(() => rdStatus(b.link.rd).location !== undefined, 5000, "registration")
            const loc = rdStatus(b.link.rd).location
            expect(loc.startsWith("/rd/")).toBe(true)
            const back = await coapClient(["-B", "5", `coap://127.0.0.1:${rd.port}${loc}`])
            expect(back.codes).toEqual(["2.05"])
            expect(back.payload).toBe(b.link.links())
            expect(back.payload).toContain("</sensors/temperature>")
            const wk = await coapClient(["-B", "5", `coap+tcp://127.0.0.1:${rd.port}/.well-known/core`])
            expect(wk.payload).toContain(`<${loc}>`)
        } finally {
            b.stop()
        }
    })

    test("keepalive Pings are answered by libcoap's Pongs: the link stays up", async () => {
        const b = board("node-b", 300, { pingIdleMs: 150 })
        try {
            b.link.start()
            await until(() => tcpSessionUp(b.link.session), 5000, "link up")
            const conn = b.link.session.connection()
            // The board keeps one Ping outstanding and sends the next only after a Pong, so three
            // Pings in the server's log mean two Pongs came back and were taken; a missing one
            // would have closed this connection instead.
            const from = rd.log().length
            await until(() => rd.log().slice(from).split("c:Ping").length - 1 >= 3, 10000, "three keepalive Pings at the RD")
            expect(b.link.session.connection()).toBe(conn)
            expect(tcpConnectionStatus(conn).open).toBe(true)
            expect(rd.log()).toContain("c:Ping")
            expect(rd.log()).toContain("c:Pong")
        } finally {
            b.stop()
        }
    })

    test("the registration is kept alive before its lifetime ends (update refused -> re-register)", async () => {
        const b = board("node-c", 2)
        try {
            b.link.start()
            await until(() => rdStatus(b.link.rd).registrations >= 1, 5000, "registration")
            // refresh due at 75% of 2 s; libcoap answers the POST to the location with 4.05
            await until(() => rdStatus(b.link.rd).registrations >= 2, 5000, "second registration")
            expect(rdStatus(b.link.rd).lastError).toBe("refresh refused: 4.05")
            const back = await coapClient(["-B", "5", `coap://127.0.0.1:${rd.port}${rdStatus(b.link.rd).location}`])
            expect(back.codes).toEqual(["2.05"])
        } finally {
            b.stop()
        }
    })

    test("after the head-end restarts the board reconnects and registers again", async () => {
        const b = board("node-d", 300)
        try {
            b.link.start()
            await until(() => rdStatus(b.link.rd).registrations === 1, 5000, "registration")
            await rd.stop()
            await until(() => !tcpSessionUp(b.link.session), 5000, "link down")
            await rd.start()
            await until(() => rdStatus(b.link.rd).registrations === 2, 10000, "re-registration")
            const back = await coapClient(["-B", "5", `coap://127.0.0.1:${rd.port}${rdStatus(b.link.rd).location}`])
            expect(back.codes).toEqual(["2.05"])
            expect(back.payload).toBe(b.link.links())
        } finally {
            b.stop()
        }
    })
})
