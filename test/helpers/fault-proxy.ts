// A fault-injecting TCP proxy on loopback: client -> proxy -> broker. Tests point the client at the
// proxy and then break the link on command, the way real networks break:
//   resetNow / resetMidPacket  TCP RST to both sides (optionally after forwarding half of the next chunk)
//   stall                      half-open link: bytes are swallowed, no FIN, no RST; the sockets stay open
//   fragment                   every write cut into tiny chunks with delays (partial reads/writes)
//   refuse                     new connections accepted and reset at once, each one counted
//   setUpstream                new connections go to another server (a malicious broker, a restarted one)
// and slows it down the way a Wi-Fi link does (docs/link-shaping.md):
//   shape                      per direction latency with jitter and a rate limit (token bucket); bytes
//                              keep their order, as TCP delivers them, however the delays are drawn
//   pauseFor                   every open link forwards nothing for N ms, then everything held, in order
// Every accepted connection is counted in attempts/attemptTimes, so reconnect storms are measurable.
import { createServer, connect, type Server, type Socket } from "node:net"
import { performance } from "node:perf_hooks"
import { delayDraw, seededRandom, TokenBucket, type DelayOptions } from "./link-model"

export type Direction = "toBroker" | "toClient"

export interface FragmentOptions {
    /** Bytes per write. */
    size: number
    /** Pause between two writes of the same direction. */
    delayMs: number
}

export interface DirectionShape extends DelayOptions {
    /** Rate limit in bytes per second (256 kbit/s = 32000); unset = no limit. */
    bytesPerSec?: number
    /** Token bucket depth: bytes that may leave back to back. Default 1460 (one TCP segment). */
    burstBytes?: number
}

export interface LinkShape {
    toBroker?: DirectionShape
    toClient?: DirectionShape
    /** Seed of the jitter draws. Default 1. */
    seed?: number
    /**
     * Bytes a direction may hold before the proxy stops reading its source (the sender's socket
     * buffer fills, as it would behind a slow link). Default 65536.
     */
    queueLimitBytes?: number
}

/** A booking of the shaper: `bytes` leave at `at` (performance.now() ms). */
export interface Release {
    at: number
    bytes: number
}

export interface ShapingCounters {
    /** Chunks that went through the shaper's timed queue (shaped or held by a pause). */
    delayedChunks: number
    /** The most bytes one direction of one connection held at once. */
    maxQueuedBytes: number
    /** Times a source was paused because its direction held queueLimitBytes. */
    sourcePauses: number
    /** pauseFor calls. */
    pauses: number
    /** Connections reset by resetNow or resetMidPacket. */
    resets: number
}

export interface FaultProxy {
    host: string
    port: number
    url: string
    /** Connections accepted so far, refused ones included. */
    attempts(): number
    /** Date.now() of every accepted connection, in order. */
    attemptTimes(): number[]
    /** Client connections currently open through the proxy. */
    openConnections(): number
    /** Stalled connections whose broker side is still open (the broker has not been told anything). */
    halfOpen(): number
    /** Bytes forwarded so far in each direction (swallowed bytes not included). */
    bytes(): { toBroker: number; toClient: number }
    /** Bytes a stalled link has read and dropped, per direction: proof they will never arrive. */
    swallowed(): { toBroker: number; toClient: number }
    /** Closes (FIN, or the socket gone) that stalled links read and kept from the other side. */
    closesHeld(): number
    /** Send new connections to another upstream (existing ones keep theirs). */
    setUpstream(port: number, host?: string): void
    /** RST both sides of every open connection now. Resolves when they are gone. */
    resetNow(): Promise<void>
    /**
     * Arms a reset: the next chunk of at least `minBytes` travelling in `direction` is cut, its first
     * half forwarded and then both sides reset. Resolves once the reset happened (with the bytes that
     * got through). `minBytes` lets a test cut a PUBLISH rather than a 4-byte acknowledgement.
     */
    resetMidPacket(direction: Direction, minBytes?: number): Promise<{ forwarded: number; dropped: number }>
    /** Half-open every open connection: swallow all bytes both ways, never close. Later connections are not affected. */
    stall(): void
    /** Cut every later write (current and new connections) into chunks; undefined turns it off. */
    fragment(options: FragmentOptions | undefined): void
    /** While on, new connections are accepted, counted and reset at once. */
    refuse(on: boolean): void
    /** Shape every later chunk (current and new connections); undefined turns shaping off. */
    shape(options: LinkShape | undefined): void
    /** Forward nothing on any open or new connection for ms, then release what was held, in order. */
    pauseFor(ms: number): void
    /** Every booking of the rate limiter in one direction so far (kept only while a rate is set). */
    releases(direction: Direction): Release[]
    /** What the shaper did. */
    shaping(): ShapingCounters
    /** Closes the listener and destroys every connection. */
    close(): Promise<void>
}

interface Pair {
    client: Socket
    broker: Socket
    stalled: boolean
    dead: boolean
    queues: Record<Direction, Buffer[]>
    pumping: Record<Direction, boolean>
    /** Chunks waiting for their release time, in order of arrival and of release. */
    timed: Record<Direction, { at: number; data: Buffer }[]>
    timedBytes: Record<Direction, number>
    lastRelease: Record<Direction, number>
    /** When the modelled link next lets a chunk through in each direction (see releaseAt). */
    linkClock: Record<Direction, ReturnType<typeof setTimeout> | undefined>
    sourcePaused: Record<Direction, boolean>
}

interface DirectionState {
    shape: DirectionShape
    bucket: TokenBucket | undefined
    log: Release[]
}

export async function startFaultProxy(upstreamPort: number, upstreamHost = "127.0.0.1"): Promise<FaultProxy> {
    let upstream = { port: upstreamPort, host: upstreamHost }
    let refusing = false
    let fragmentation: FragmentOptions | undefined
    const times: number[] = []
    const pairs = new Set<Pair>()
    const counted = { toBroker: 0, toClient: 0 }
    const dropped = { toBroker: 0, toClient: 0 }
    let held = 0
    let armed: { direction: Direction; minBytes: number; done: (r: { forwarded: number; dropped: number }) => void } | undefined
    let shaping: Partial<Record<Direction, DirectionState>> = {}
    let jitterRandom = seededRandom(1)
    let queueLimit = 65536
    let pausedUntil = 0
    const counters: ShapingCounters = { delayedChunks: 0, maxQueuedBytes: 0, sourcePauses: 0, pauses: 0, resets: 0 }
    const logs: Record<Direction, Release[]> = { toBroker: [], toClient: [] }

    function clearTimers(p: Pair): void {
        for (const d of ["toBroker", "toClient"] as const) clearTimeout(p.linkClock[d])
    }

    function kill(p: Pair): void {
        if (p.dead) return
        p.dead = true
        counters.resets++
        clearTimers(p)
        pairs.delete(p)
        // resetAndDestroy sends RST; fall back to destroy where the socket is not connected yet.
        for (const s of [p.client, p.broker]) {
            try {
                s.resetAndDestroy()
            } catch {
                s.destroy()
            }
        }
    }

    function pump(p: Pair, dir: Direction): void {
        if (p.pumping[dir]) return
        const out = dir === "toBroker" ? p.broker : p.client
        const q = p.queues[dir]
        const step = (): void => {
            if (p.dead || p.stalled) {
                p.pumping[dir] = false
                q.length = 0
                return
            }
            const head = q.shift()
            if (!head) {
                p.pumping[dir] = false
                return
            }
            const f = fragmentation
            if (f && head.length > f.size) {
                q.unshift(head.subarray(f.size))
                out.write(head.subarray(0, f.size))
            } else out.write(head)
            counted[dir] += f ? Math.min(f.size, head.length) : head.length
            if (f) setTimeout(step, f.delayMs)
            else step()
        }
        p.pumping[dir] = true
        step()
    }

    const sourceOf = (p: Pair, dir: Direction) => (dir === "toBroker" ? p.client : p.broker)

    /**
     * The modelled link's own latency, not a wait for something to happen: the time a chunk is due
     * is what the shaping (delay with jitter, the rate, a pause) computed for it, and the chunk is
     * held until then on purpose.
     */
    function releaseAt(p: Pair, dir: Direction, at: number, now: number): void {
        p.linkClock[dir] = setTimeout(() => release(p, dir), Math.max(0, at - now))
    }

    /** Moves every chunk whose time has come to the pump, and waits for the next one. */
    function release(p: Pair, dir: Direction): void {
        p.linkClock[dir] = undefined
        if (p.dead) return
        const q = p.timed[dir]
        const now = performance.now()
        if (now < pausedUntil) {
            releaseAt(p, dir, pausedUntil, now)
            return
        }
        // setTimeout fires on whole milliseconds: a chunk due within the next half is due now.
        while (q.length > 0 && q[0].at <= now + 0.5) {
            const e = q.shift() as { at: number; data: Buffer }
            p.timedBytes[dir] -= e.data.length
            p.queues[dir].push(e.data)
        }
        pump(p, dir)
        if (p.sourcePaused[dir] && p.timedBytes[dir] <= queueLimit / 2) {
            p.sourcePaused[dir] = false
            sourceOf(p, dir).resume()
        }
        if (q.length > 0) releaseAt(p, dir, q[0].at, now)
    }

    /** Books a chunk on the direction's clock: delay, then order (never before the previous chunk), then the rate. */
    function schedule(p: Pair, dir: Direction, chunk: Buffer): void {
        const st = shaping[dir]
        const now = performance.now()
        let t = Math.max(now + (st ? delayDraw(st.shape, jitterRandom) : 0), p.lastRelease[dir])
        const bucket = st?.bucket
        const piece = bucket ? bucket.burstBytes : chunk.length
        for (let off = 0; off < chunk.length; off += piece) {
            const data = chunk.subarray(off, off + piece)
            if (bucket && st) {
                t = bucket.take(t, data.length)
                st.log.push({ at: t, bytes: data.length })
            }
            p.timed[dir].push({ at: t, data })
        }
        p.lastRelease[dir] = t
        counters.delayedChunks++
        p.timedBytes[dir] += chunk.length
        counters.maxQueuedBytes = Math.max(counters.maxQueuedBytes, p.timedBytes[dir])
        if (p.timedBytes[dir] > queueLimit && !p.sourcePaused[dir]) {
            p.sourcePaused[dir] = true
            counters.sourcePauses++
            sourceOf(p, dir).pause()
        }
        if (p.linkClock[dir] === undefined) releaseAt(p, dir, p.timed[dir][0].at, now)
    }

    function forward(p: Pair, dir: Direction, chunk: Buffer): void {
        if (p.dead || p.stalled) {
            if (!p.dead) dropped[dir] += chunk.length
            return
        }
        if (armed && armed.direction === dir && chunk.length >= armed.minBytes) {
            const a = armed
            armed = undefined
            const half = chunk.length > 1 ? chunk.length >> 1 : 0
            const out = dir === "toBroker" ? p.broker : p.client
            out.write(chunk.subarray(0, half), () => {
                counted[dir] += half
                // Give the receiver's event loop time to read the half packet before the RST,
                // which would otherwise make the kernel discard it unread.
                setTimeout(() => {
                    kill(p)
                    a.done({ forwarded: half, dropped: chunk.length - half })
                }, 30)
            })
            p.stalled = true // nothing more passes while the reset is on its way
            return
        }
        // Once a chunk waits in the timed queue, later ones wait behind it: TCP never reorders.
        if (shaping[dir] || performance.now() < pausedUntil || p.timed[dir].length > 0) {
            schedule(p, dir, chunk)
            return
        }
        p.queues[dir].push(chunk)
        pump(p, dir)
    }

    const server: Server = createServer((client) => {
        times.push(Date.now())
        client.setNoDelay(true)
        if (refusing) {
            client.on("error", () => {})
            client.resetAndDestroy()
            return
        }
        client.pause()
        const broker = connect(upstream.port, upstream.host)
        broker.setNoDelay(true)
        const p: Pair = {
            client,
            broker,
            stalled: false,
            dead: false,
            queues: { toBroker: [], toClient: [] },
            pumping: { toBroker: false, toClient: false },
            timed: { toBroker: [], toClient: [] },
            timedBytes: { toBroker: 0, toClient: 0 },
            lastRelease: { toBroker: 0, toClient: 0 },
            linkClock: { toBroker: undefined, toClient: undefined },
            sourcePaused: { toBroker: false, toClient: false },
        }
        pairs.add(p)
        broker.once("connect", () => client.resume())
        client.on("data", (d: Buffer) => forward(p, "toBroker", d))
        broker.on("data", (d: Buffer) => forward(p, "toClient", d))
        // A half-open link never tells the other side anything: a stalled pair ignores closes.
        const onEnd = (other: Socket) => () => {
            if (p.stalled && !p.dead) held++
            if (p.stalled || p.dead) return
            other.end()
        }
        client.on("end", onEnd(broker))
        broker.on("end", onEnd(client))
        const onGone = (other: Socket) => () => {
            if (p.stalled && !p.dead) held++
            if (p.stalled) return
            pairs.delete(p)
            p.dead = true
            clearTimers(p)
            other.destroy()
        }
        client.on("close", onGone(broker))
        broker.on("close", onGone(client))
        client.on("error", () => {})
        broker.on("error", () => {})
    })
    await new Promise<void>((resolve, reject) => {
        server.once("error", reject)
        server.listen(0, "127.0.0.1", () => resolve())
    })
    const addr = server.address()
    const port = typeof addr === "object" && addr ? addr.port : 0

    return {
        host: "127.0.0.1",
        port,
        url: `mqtt://127.0.0.1:${port}`,
        attempts: () => times.length,
        attemptTimes: () => times.slice(),
        openConnections: () => [...pairs].filter((p) => !p.dead && !p.client.destroyed).length,
        halfOpen: () => [...pairs].filter((p) => p.stalled && !p.dead && !p.broker.destroyed).length,
        bytes: () => ({ ...counted }),
        swallowed: () => ({ ...dropped }),
        closesHeld: () => held,
        setUpstream(p, host = "127.0.0.1") {
            upstream = { port: p, host }
        },
        async resetNow() {
            const closing = [...pairs].map((p) => new Promise<void>((r) => (p.client.destroyed ? r() : p.client.once("close", () => r()))))
            for (const p of [...pairs]) kill(p)
            await Promise.all(closing)
        },
        resetMidPacket(direction, minBytes = 1) {
            return new Promise((done) => {
                armed = { direction, minBytes, done }
            })
        },
        stall() {
            for (const p of pairs) p.stalled = true
        },
        fragment(options) {
            fragmentation = options
        },
        refuse(on) {
            refusing = on
        },
        shape(options) {
            shaping = {}
            if (!options) return
            jitterRandom = seededRandom(options.seed ?? 1)
            queueLimit = options.queueLimitBytes ?? 65536
            for (const d of ["toBroker", "toClient"] as const) {
                const o = options[d]
                if (!o) continue
                const bucket = o.bytesPerSec ? new TokenBucket(o.bytesPerSec, o.burstBytes ?? 1460) : undefined
                shaping[d] = { shape: o, bucket, log: logs[d] }
            }
        },
        pauseFor(ms) {
            counters.pauses++
            pausedUntil = Math.max(pausedUntil, performance.now() + ms)
        },
        releases: (d) => logs[d].slice(),
        shaping: () => ({ ...counters }),
        async close() {
            for (const p of [...pairs]) {
                clearTimers(p)
                p.dead = true
                p.client.destroy()
                p.broker.destroy()
            }
            pairs.clear()
            await new Promise<void>((r) => server.close(() => r()))
        },
    }
}
