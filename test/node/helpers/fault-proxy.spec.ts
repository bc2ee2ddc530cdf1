// The fault proxy itself, against a plain echo server: each fault does what it says on the wire.
import { afterEach, beforeEach, describe, expect, test } from "vitest"
import { connect } from "node:net"
import { dial, startEchoBehindFaultProxy, type EchoServer } from "../../helpers/echo-server"
import { type FaultProxy } from "../../helpers/fault-proxy"
import { startMaliciousBroker, MALFORMED } from "../../helpers/malicious-broker"
import { until as untilCond } from "../../helpers/wait"

/** One connection attempt; resolves with how it ended (the RST may come before or after "connect"). */
function attempt(port: number): Promise<string> {
    return new Promise((resolve) => {
        const s = connect(port, "127.0.0.1")
        let err = ""
        s.on("error", (e: NodeJS.ErrnoException) => (err = e.code ?? e.message))
        s.once("close", () => resolve(err || "closed"))
    })
}

const total = (bs: Buffer[]) => Buffer.concat(bs).toString()
const until = (cond: () => boolean, what = "the proxy's bytes") => untilCond(cond, 3000, what)

describe("fault proxy", () => {
    let echo: EchoServer
    let proxy: FaultProxy
    let close: () => Promise<void>
    beforeEach(async () => ({ echo, proxy, close } = await startEchoBehindFaultProxy()))
    afterEach(() => close())

    test("forwards both ways unchanged and counts attempts and bytes", async () => {
        const c = await dial(proxy.port)
        c.s.write("hello world")
        await until(() => total(c.got) === "hello world")
        expect(proxy.attempts()).toBe(1)
        expect(proxy.openConnections()).toBe(1)
        expect(proxy.bytes()).toEqual({ toBroker: 11, toClient: 11 })
        c.s.end()
        await c.closed
    })

    test("resetNow sends RST to both sides", async () => {
        const c = await dial(proxy.port)
        c.s.write("x")
        await until(() => c.got.length > 0)
        const upstreamClosed = new Promise<void>((r) => echo.sockets[0].once("close", () => r()))
        await proxy.resetNow()
        expect(await c.closed).toBe("ECONNRESET")
        await upstreamClosed
        expect(proxy.openConnections()).toBe(0)
    })

    test("resetMidPacket forwards half of the next chunk, then resets", async () => {
        const c = await dial(proxy.port)
        const cut = proxy.resetMidPacket("toBroker")
        c.s.write("0123456789")
        expect(await cut).toEqual({ forwarded: 5, dropped: 5 })
        expect(total(echo.chunks)).toBe("01234")
        expect(await c.closed).toBe("ECONNRESET")
    })

    test("stall swallows bytes both ways and closes nothing (half-open)", async () => {
        const c = await dial(proxy.port)
        c.s.write("before")
        await until(() => total(c.got) === "before")
        proxy.stall()
        c.s.write("during")
        echo.sockets[0].write("from-upstream")
        // the proxy read both and dropped them: they can never arrive
        await until(() => proxy.swallowed().toBroker === 6 && proxy.swallowed().toClient === 13, "both writes swallowed")
        expect(total(echo.chunks)).toBe("before")
        expect(total(c.got)).toBe("before")
        expect(c.s.destroyed).toBe(false)
        expect(echo.sockets[0].destroyed).toBe(false)
        // The client giving up does not reach the upstream either: no FIN crosses a dead link.
        c.s.destroy()
        // the proxy saw the client go and kept it to itself
        await until(() => proxy.closesHeld() >= 1, "the client's close held at the proxy")
        expect(echo.sockets[0].destroyed).toBe(false)
        expect(proxy.halfOpen()).toBe(1)
        // New connections are not stalled.
        const c2 = await dial(proxy.port)
        c2.s.write("after")
        await until(() => total(c2.got) === "after")
        c2.s.destroy()
    })

    test("fragment cuts writes into small delayed chunks, in order", async () => {
        proxy.fragment({ size: 3, delayMs: 20 })
        const c = await dial(proxy.port)
        const t0 = Date.now()
        c.s.write("abcdefghijkl")
        await until(() => total(c.got) === "abcdefghijkl")
        // 12 bytes in 3-byte writes, 20 ms apart, each way: the upstream saw them arrive separately.
        expect(echo.chunks.map((b) => b.length)).toEqual([3, 3, 3, 3])
        expect(Date.now() - t0).toBeGreaterThanOrEqual(60)
        proxy.fragment(undefined)
        c.s.write("mn")
        await until(() => total(c.got) === "abcdefghijklmn")
        c.s.destroy()
    })

    test("refuse accepts, counts and resets new connections until turned off", async () => {
        proxy.refuse(true)
        for (let i = 0; i < 3; i++) expect(await attempt(proxy.port)).toBe("ECONNRESET")
        expect(proxy.attempts()).toBe(3)
        expect(echo.sockets.length).toBe(0)
        proxy.refuse(false)
        const c = await dial(proxy.port)
        c.s.write("ok")
        await until(() => total(c.got) === "ok")
        expect(proxy.attempts()).toBe(4)
        expect(proxy.attemptTimes().length).toBe(4)
        c.s.destroy()
    })

    test("setUpstream sends new connections to a malicious broker that answers CONNECT with an attack", async () => {
        const evil = await startMaliciousBroker([MALFORMED[0]])
        try {
            proxy.setUpstream(evil.port)
            const c = await dial(proxy.port)
            c.s.write(Buffer.from([0x10, 0x0c, 0, 4, 77, 81, 84, 84, 4, 2, 0, 60, 0, 0]))
            await until(() => Buffer.concat(c.got).length >= 6)
            expect([...Buffer.concat(c.got)]).toEqual([0x20, 0x02, 0x00, 0x00, 0x00, 0x00])
            c.s.destroy()
            await until(() => evil.connections[0].closedAfterMs !== undefined)
            expect(evil.connections[0].attack).toBe(MALFORMED[0].name)
            expect(evil.connections[0].received.length).toBe(14)
        } finally {
            await evil.close()
        }
    })
})
