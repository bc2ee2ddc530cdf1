// The fault proxy's link shaping (latency with jitter, a rate limit, pauses) against a plain echo
// server on loopback. Nothing here compares wall-clock durations with a bound that load could
// break: the rate is checked on the proxy's own schedule, order and integrity on the bytes, and a
// pause only by a lower bound (a loaded machine can make things later, never earlier).
import { afterEach, beforeEach, describe, expect, test } from "vitest"
import { performance } from "node:perf_hooks"
import { dial, startEchoBehindFaultProxy, type EchoServer } from "../../helpers/echo-server"
import { type FaultProxy } from "../../helpers/fault-proxy"
import { TokenBucket, worstWindowExcess } from "../../helpers/link-model"
import { until } from "../../helpers/wait"

const nextTurn = () => new Promise<void>((r) => setImmediate(r))

describe("token bucket", () => {
    test("books bursts back to back, then spaces bookings at the rate", () => {
        const b = new TokenBucket(1000, 100)
        expect(b.take(0, 100)).toBe(0)
        expect(b.take(0, 100)).toBe(100) // 100 bytes at 1000 B/s: 100 ms later
        expect(b.take(50, 50)).toBe(150)
        expect(b.take(1000, 100)).toBe(1000) // idle long enough: a full bucket again
        expect(() => b.take(2000, 101)).toThrow(/exceed the burst/)
    })

    test("worstWindowExcess finds a window that passes the rate", () => {
        expect(
            worstWindowExcess(
                [
                    { at: 0, bytes: 100 },
                    { at: 100, bytes: 100 },
                ],
                1000,
                100
            )
        ).toBeLessThanOrEqual(0)
        expect(
            worstWindowExcess(
                [
                    { at: 0, bytes: 100 },
                    { at: 50, bytes: 100 },
                ],
                1000,
                100
            )
        ).toBeCloseTo(50)
    })
})

describe("fault proxy link shaping", () => {
    let echo: EchoServer
    let proxy: FaultProxy
    let close: () => Promise<void>
    beforeEach(async () => ({ echo, proxy, close } = await startEchoBehindFaultProxy()))
    afterEach(() => close())

    test("latency with jitter larger than the gap between chunks never reorders bytes", async () => {
        // delays drawn from 0..60 ms, chunks a turn apart: unconstrained draws would overtake each other
        proxy.shape({ toBroker: { latencyMs: 30, jitterMs: 30 }, toClient: { latencyMs: 30, jitterMs: 30 }, seed: 7 })
        const c = await dial(proxy.port)
        const sent: string[] = []
        for (let i = 0; i < 300; i++) {
            const piece = `<${i}>`
            sent.push(piece)
            c.s.write(piece)
            await nextTurn()
        }
        const all = sent.join("")
        await until(() => c.bytes() === all.length, 15000, "every byte echoed back")
        expect(Buffer.concat(c.got).toString()).toBe(all)
        // the chunks really went through the timed queue, in both directions
        expect(proxy.shaping().delayedChunks).toBeGreaterThan(20)
        c.s.destroy()
    })

    test("the rate limit bounds the schedule: no window books more than burst + rate x time", async () => {
        const rate = 100_000
        const burst = 1460
        proxy.shape({ toBroker: { bytesPerSec: rate, burstBytes: burst }, queueLimitBytes: 16384 })
        const c = await dial(proxy.port)
        const payload = Buffer.alloc(100_000)
        for (let i = 0; i < payload.length; i++) payload[i] = (i * 7 + (i >> 8)) & 0xff
        c.s.write(payload)
        await until(() => c.bytes() === payload.length, 20000, "100 kB echoed back through a 100 kB/s link")
        expect(Buffer.concat(c.got).equals(payload)).toBe(true)
        const booked = proxy.releases("toBroker")
        expect(booked.reduce((a, r) => a + r.bytes, 0)).toBe(payload.length)
        expect(Math.max(...booked.map((r) => r.bytes))).toBeLessThanOrEqual(burst)
        expect(worstWindowExcess(booked, rate, burst)).toBeLessThanOrEqual(1e-6)
        // the booked span is what the rate implies, within one burst
        const span = booked[booked.length - 1].at - booked[0].at
        expect(span).toBeGreaterThanOrEqual(((payload.length - burst) * 1000) / rate - 1e-6)
        // the sender was held back instead of being buffered without bound
        const s = proxy.shaping()
        expect(s.sourcePauses).toBeGreaterThan(0)
        expect(s.maxQueuedBytes).toBeLessThan(16384 + 65536)
        // the other direction is not limited: no bookings there
        expect(proxy.releases("toClient")).toHaveLength(0)
        c.s.destroy()
    })

    test("pauseFor holds bytes for at least that long, then delivers them in order", async () => {
        const c = await dial(proxy.port)
        c.s.write("before;")
        await until(() => c.bytes() === 7, 3000, "the echo before the pause")
        const t0 = performance.now()
        proxy.pauseFor(300)
        c.s.write("during-1;")
        c.s.write("during-2;")
        await until(() => c.bytes() === 25, 5000, "the held bytes after the pause")
        expect(performance.now() - t0).toBeGreaterThanOrEqual(300)
        expect(Buffer.concat(c.got).toString()).toBe("before;during-1;during-2;")
        expect(proxy.shaping().pauses).toBe(1)
        c.s.destroy()
    })

    test("resetNow while bytes wait in the shaper closes both sides and nothing is sent after", async () => {
        proxy.shape({ toBroker: { latencyMs: 5000 } })
        const c = await dial(proxy.port)
        await until(() => echo.sockets.length === 1, 3000, "the upstream connection")
        const upstreamClosed = new Promise<void>((r) => echo.sockets[0].once("close", () => r()))
        c.s.write("never delivered")
        await until(() => proxy.shaping().delayedChunks === 1, 3000, "the chunk in the timed queue")
        await proxy.resetNow()
        expect(await c.closed).toBe("ECONNRESET")
        await upstreamClosed
        expect(echo.received()).toBe(0)
        expect(proxy.shaping().resets).toBe(1)
        expect(proxy.openConnections()).toBe(0)
    })
})
