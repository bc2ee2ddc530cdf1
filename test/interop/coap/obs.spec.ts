// ETSI CoAP plugtest TD_COAP_OBS_* (td-coap4 block.yml) against libcoap's coap-client-notls.
import { describe, test, expect, afterEach, beforeAll } from "vitest"
import { CoapCode, CoapMessage, CoapType, getContentFormat, getUintOption } from "../../../src/coap/codec/message"
import { OptionNumber } from "../../../src/coap/codec/options"
import { startPlugtestServer, Plugtest, PlugtestOptions } from "./plugtest-server"
import { coapClient, freeUdpPort, requireCoapClient, spawnClient, waitFor, RunningClient } from "./client"
import { afterMarker, until } from "../../helpers/wait"

beforeAll(() => requireCoapClient())

const servers: Plugtest[] = []
const clients: RunningClient[] = []

async function server(o: PlugtestOptions = {}): Promise<Plugtest> {
    const p = await startPlugtestServer({ obsPeriod: 400, ...o })
    servers.push(p)
    return p
}

function client(args: string[]): RunningClient {
    const c = spawnClient(args)
    clients.push(c)
    return c
}

afterEach(async () => {
    for (const c of clients.splice(0)) c.kill()
    for (const p of servers.splice(0)) await p.close()
})

const obsOf = (m: CoapMessage) => getUintOption(m, OptionNumber.Observe)

/** The peer key of the client whose observe registration for `path` arrived first. */
function observerPeer(p: Plugtest, token?: string): string {
    const reg = p.log.find(
        (d) =>
            d.dir === "in" &&
            d.msg &&
            d.msg.code === CoapCode.GET &&
            obsOf(d.msg) === 0 &&
            (token === undefined || d.msg.token.toString("hex") === token)
    )
    return reg!.peer
}

function outTo(p: Plugtest, peer: string): CoapMessage[] {
    return p.log.filter((d) => d.dir === "out" && d.peer === peer && d.msg).map((d) => d.msg!)
}

function inFrom(p: Plugtest, peer: string): CoapMessage[] {
    return p.log.filter((d) => d.dir === "in" && d.peer === peer && d.msg).map((d) => d.msg!)
}

function notifications(p: Plugtest, peer: string): CoapMessage[] {
    return outTo(p, peer).filter((m) => m.code === CoapCode.Content && obsOf(m) !== undefined && m.type !== CoapType.ACK)
}

/** Observe values increase modulo 2^24 (RFC 7641 4.4). */
function increasing(ms: CoapMessage[]): boolean {
    for (let i = 1; i < ms.length; i++) {
        const a = obsOf(ms[i - 1])!
        const b = obsOf(ms[i])!
        if (!((a < b && b - a < 1 << 23) || (a > b && a - b > 1 << 23))) return false
    }
    return true
}

describe("TD_COAP_OBS (libcoap coap-client-notls)", () => {
    test("TD_COAP_OBS_01 resource observation with CON notifications", async () => {
        const p = await server()
        const c = client(["-s", "3", "-B", "4", `coap://127.0.0.1:${p.port}/obs`])
        await c.exited
        const peer = observerPeer(p)
        const out = outTo(p, peer)
        // registration answered in the ACK with an Observe value and the content format
        const first = out[0]
        expect(first.type).toBe(CoapType.ACK)
        expect(obsOf(first) !== undefined).toBe(true)
        const f = getContentFormat(first)
        const ns = notifications(p, peer)
        expect(ns.length >= 3).toBe(true)
        for (const n of ns) {
            expect(n.type).toBe(CoapType.CON)
            expect(getContentFormat(n)).toBe(f)
            expect(n.token.toString("hex")).toBe(first.token.toString("hex"))
            // the client acknowledged it
            expect(inFrom(p, peer).some((m) => m.type === CoapType.ACK && m.messageId === n.messageId)).toBe(true)
        }
        expect(increasing([first, ...ns])).toBe(true)
        expect(c.stdout()).toContain("obs ")
    })

    test("TD_COAP_OBS_02 resource observation with NON notifications", async () => {
        const p = await server()
        const c = client(["-N", "-s", "3", "-B", "4", `coap://127.0.0.1:${p.port}/obs-non`])
        await c.exited
        const peer = observerPeer(p)
        const ns = notifications(p, peer)
        expect(ns.length >= 3).toBe(true)
        // NON, one CON after every 8 (RFC 7641 4.5); same format throughout, increasing values
        expect(ns.slice(0, 7).every((n) => n.type === CoapType.NON)).toBe(true)
        expect(new Set(ns.map((n) => getContentFormat(n))).size).toBe(1)
        expect(increasing(ns)).toBe(true)
    })

    test("TD_COAP_OBS_05 server detection of deregistration (client off: CON notifications time out)", async () => {
        // short ACK_TIMEOUT so the MAX_RETRANSMIT chain fits in a test
        const p = await server({
            params: {
                ackTimeout: 100,
                ackRandomFactor: 1.5,
                maxRetransmit: 4,
                nstart: 1,
                defaultLeisure: 5000,
                probingRate: 1,
                maxLatency: 100000,
            },
        })
        const c = client(["-s", "30", `coap://127.0.0.1:${p.port}/obs`])
        expect(await waitFor(() => p.ep.server.observerCount("/obs") === 1, 3000)).toBe(true)
        // killed once the observation is in full swing: a notification sent and acknowledged
        await until(
            () => notifications(p, observerPeer(p)).some((n) => ackedNotification(p, observerPeer(p), n.payload.toString())),
            5000,
            "an acknowledged notification"
        )
        c.kill("SIGKILL")
        await c.exited
        expect(await waitFor(() => p.ep.server.observerCount("/obs") === 0, 15000)).toBe(true)
        const peer = observerPeer(p)
        const out = notifications(p, peer)
        // retransmissions were sent (a MID seen more than once) before the server gave up
        const mids = out.map((m) => m.messageId)
        expect(mids.length > new Set(mids).size).toBe(true)
        // and nothing is sent to the dead client afterwards: no retransmission left pending, and
        // the ticks a fresh observer hears do not reach it
        expect(p.ep.messageLayer.pendingCount()).toBe(0)
        const n = outTo(p, peer).length
        await liveTicks(p, "/obs")
        expect(outTo(p, peer).length).toBe(n)
    }, 30000)

    test("TD_COAP_OBS_06 server detection of deregistration (explicit RST from a rebooted client)", async () => {
        const p = await server()
        const port = await freeUdpPort()
        const a = client(["-p", String(port), "-s", "30", `coap://127.0.0.1:${p.port}/obs`])
        expect(await waitFor(() => p.ep.server.observerCount("/obs") === 1, 3000)).toBe(true)
        // killed once the observation is in full swing: a notification sent and acknowledged
        await until(
            () => notifications(p, observerPeer(p)).some((n) => ackedNotification(p, observerPeer(p), n.payload.toString())),
            5000,
            "an acknowledged notification"
        )
        a.kill("SIGKILL")
        await a.exited
        // the "rebooted" client: same address and port, no memory of the observation
        // (another token: coap-client always starts at token 01, and a registration with the same
        // endpoint and token would simply replace the old one, RFC 7641 4.1)
        const b = client(["-p", String(port), "-T", "b6", "-s", "3", "-B", "3", `coap://127.0.0.1:${p.port}/test`])
        expect(await waitFor(() => p.ep.server.observerCount("/obs") === 0, 5000)).toBe(true)
        await b.exited
        const peer = `127.0.0.1:${port}`
        expect(inFrom(p, peer).some((m) => m.type === CoapType.RST)).toBe(true)
        const before = notifications(p, peer).length
        await liveTicks(p, "/obs")
        expect(notifications(p, peer).length).toBe(before)
    }, 20000)

    test("TD_COAP_OBS_07 server cleans the observers list on DELETE (4.04 notification without Observe)", async () => {
        const p = await server()
        const a = client(["-s", "10", "-B", "10", `coap://127.0.0.1:${p.port}/obs`])
        expect(await waitFor(() => notifications(p, observerPeerOr(p)).length >= 1, 3000)).toBe(true)
        const r = await coapClient(["-B", "3", "-m", "delete", `coap://127.0.0.1:${p.port}/obs`])
        expect(r.code).toBe(0)
        const peer = observerPeer(p)
        expect(await waitFor(() => outTo(p, peer).some((m) => m.code === CoapCode.NotFound), 3000)).toBe(true)
        const final = outTo(p, peer).find((m) => m.code === CoapCode.NotFound)!
        expect(final.type).toBe(CoapType.CON)
        expect(obsOf(final)).toBe(undefined)
        expect(p.ep.server.observerCount()).toBe(0)
        const n = outTo(p, peer).filter((m) => m.code === CoapCode.Content).length
        // /obs is gone; /obs-non changes on the same ticks
        await liveTicks(p, "/obs-non")
        expect(outTo(p, peer).filter((m) => m.code === CoapCode.Content).length).toBe(n)
        a.kill()
    }, 20000)

    test("TD_COAP_OBS_09 update of the observed resource (PUT from another client)", async () => {
        const p = await server({ obsPeriod: 0 })
        const a = client(["-s", "4", "-B", "5", "-w", `coap://127.0.0.1:${p.port}/obs`])
        expect(await waitFor(() => p.ep.server.observerCount("/obs") === 1, 3000)).toBe(true)
        const r = await coapClient(["-B", "3", "-m", "put", "-e", "4242", `coap://127.0.0.1:${p.port}/obs`])
        expect(r.code).toBe(0)
        expect(await waitFor(() => a.stdout().includes("obs 4242"), 3000)).toBe(true)
        const peer = observerPeer(p)
        const n = notifications(p, peer).find((m) => m.payload.toString() === "obs 4242")!
        expect(n.type).toBe(CoapType.CON)
        expect(getContentFormat(n)).toBe(0)
        a.kill()
    }, 20000)

    test("TD_COAP_OBS_10 GET does not cancel resource observation (GET from a second client endpoint)", async () => {
        const p = await server()
        const a = client(["-s", "4", "-B", "5", `coap://127.0.0.1:${p.port}/obs`])
        expect(await waitFor(() => p.ep.server.observerCount("/obs") === 1, 3000)).toBe(true)
        const r = await coapClient(["-B", "3", `coap://127.0.0.1:${p.port}/obs`])
        expect(r.stdout).toContain("obs ")
        const peerA = observerPeer(p)
        const before = notifications(p, peerA).length
        expect(p.ep.server.observerCount("/obs")).toBe(1)
        expect(await waitFor(() => notifications(p, peerA).length >= before + 2, 3000)).toBe(true)
        a.kill()
    }, 20000)

    test("TD_COAP_OBS_11 observation with CON notifications in a lossy context (-l)", async () => {
        const p = await server({ obsPeriod: 0 })
        // -l 2: the client's 2nd datagram, its ACK of the first notification, is lost
        const a = client(["-l", "2", "-s", "7", "-B", "8", "-w", `coap://127.0.0.1:${p.port}/obs`])
        let maxPending = 0
        const probe = setInterval(() => (maxPending = Math.max(maxPending, p.ep.messageLayer.pendingCount())), 20)
        expect(await waitFor(() => p.ep.server.observerCount("/obs") === 1, 3000)).toBe(true)
        const peer = observerPeer(p)
        p.tickObs()
        // no change until the retransmission timeout: the lost ACK causes a retransmission
        await until(
            () => {
                const ns = notifications(p, peer)
                return ns.length > 0 && ns.filter((m) => m.messageId === ns[0].messageId).length >= 2
            },
            10000,
            "the first notification retransmitted"
        )
        p.tickObs()
        await until(() => ackedNotification(p, peer, "obs 2"), 10000, "obs 2 acknowledged")
        p.tickObs()
        await until(() => ackedNotification(p, peer, "obs 3"), 10000, "obs 3 acknowledged")
        clearInterval(probe)
        const ns = notifications(p, peer)
        const first = ns[0]
        const copies = ns.filter((m) => m.messageId === first.messageId)
        expect(copies.length).toBe(2)
        // later notifications were acknowledged (libcoap 4.3.1 does not re-ACK the duplicate copy
        // of the first one; the next notification replaced it, RFC 7641 4.5.2)
        const acked = ns.filter((n) => inFrom(p, peer).some((m) => m.type === CoapType.ACK && m.messageId === n.messageId))
        expect(acked.length >= 2).toBe(true)
        expect(await waitFor(() => a.stdout().includes("obs 3"), 2000)).toBe(true)
        expect(p.ep.server.observerCount("/obs")).toBe(1)
        // never more than one notification in flight
        expect(maxPending).toBe(1)
        a.kill()
    }, 20000)

    test("TD_COAP_OBS_13 observation of a large resource (notifications carry Block2, the rest by GET)", async () => {
        const p = await server({ obsPeriod: 700 })
        const c = client(["-s", "3", "-B", "4", `coap://127.0.0.1:${p.port}/obs-large`])
        await c.exited
        const peer = observerPeer(p)
        const ns = notifications(p, peer)
        expect(ns.length >= 2).toBe(true)
        for (const n of ns) {
            const b = getUintOption(n, OptionNumber.Block2)!
            // block 0, more to come, with the total size and an ETag
            expect(b >> 4).toBe(0)
            expect((b & 8) !== 0).toBe(true)
            expect(getUintOption(n, OptionNumber.Size2)).toBe(1497)
        }
        // the client fetched block 1 of each state with plain GETs and printed whole representations
        const gets = inFrom(p, peer).filter((m) => m.code === CoapCode.GET && getUintOption(m, OptionNumber.Block2) !== undefined)
        expect(gets.length >= ns.length).toBe(true)
        expect(c.stdout()).toContain("[v1]...[10]")
        expect(c.stdout()).toContain("[1490]")
    }, 20000)

    test("TD_COAP_OBS_12 GET with Observe=1 cancels the observation (coap-client at the end of -s)", async () => {
        const p = await server()
        const a = client(["-s", "2", "-B", "3", `coap://127.0.0.1:${p.port}/obs`])
        await a.exited
        const peer = observerPeer(p)
        const reg = inFrom(p, peer).find((m) => obsOf(m) === 0)!
        expect(await waitFor(() => inFrom(p, peer).some((m) => m.code === CoapCode.GET && obsOf(m) === 1), 2000)).toBe(true)
        const cancel = inFrom(p, peer).find((m) => m.code === CoapCode.GET && obsOf(m) === 1)!
        expect(cancel.token.toString("hex")).toBe(reg.token.toString("hex"))
        const answer = outTo(p, peer).find((m) => m.type === CoapType.ACK && m.messageId === cancel.messageId)!
        expect(answer.code).toBe(CoapCode.Content)
        expect(obsOf(answer)).toBe(undefined)
        expect(p.ep.server.observerCount()).toBe(0)
        const n = notifications(p, peer).length
        await liveTicks(p, "/obs")
        expect(notifications(p, peer).length).toBe(n)
    }, 20000)
})

/** True once the client at peer has acknowledged a notification carrying this payload. */
function ackedNotification(p: Plugtest, peer: string, payload: string): boolean {
    return notifications(p, peer).some(
        (n) => n.payload.toString() === payload && inFrom(p, peer).some((m) => m.type === CoapType.ACK && m.messageId === n.messageId)
    )
}

/**
 * The positive control of a "nothing more is sent" check: a fresh observer of `path` must get
 * two notifications. Those come from ticks that would have notified the old observer too, had
 * the server kept it.
 */
async function liveTicks(p: Plugtest, path: string): Promise<void> {
    const port = await freeUdpPort()
    const peer = `127.0.0.1:${port}`
    // (afterEach stops the marker observer)
    await afterMarker(
        () => client(["-p", String(port), "-s", "10", "-B", "10", `coap://127.0.0.1:${p.port}${path}`]),
        () => notifications(p, peer).length >= 2,
        5000,
        `two notifications of ${path} to a fresh observer`
    )
}

function observerPeerOr(p: Plugtest): string {
    const reg = p.log.find((d) => d.dir === "in" && d.msg && obsOf(d.msg) === 0)
    return reg ? reg.peer : "none"
}
