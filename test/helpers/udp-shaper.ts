// A UDP relay on loopback that behaves like a lossy radio link: client -> shaper -> server and back.
// Per direction: loss, duplication, reordering, latency with jitter, all drawn from a seeded
// generator, so a run with the same seed and the same datagrams makes the same decisions
// (datagramFate: tests replay it to know what the shaper must have done). Each client address
// gets its own upstream socket, so the server sees one peer per client, as through a NAT.
import { createSocket, type RemoteInfo, type Socket } from "node:dgram"
import { delayDraw, deriveSeed, seededRandom, type DelayOptions } from "./link-model"

export type UdpDirection = "toServer" | "toClient"

export interface DatagramShape extends DelayOptions {
    /** Probability a datagram is dropped. */
    loss?: number
    /** Probability a datagram is sent twice. */
    duplicate?: number
    /** Probability a datagram is held back until the next one of its flow has gone (or reorderFlushMs passed). */
    reorder?: number
    /** Longest a held-back datagram waits for one to overtake it. Default 50 ms. */
    reorderFlushMs?: number
}

export interface UdpShaperOptions {
    toServer?: DatagramShape
    toClient?: DatagramShape
    /** Seed of every draw; each direction has its own sequence derived from it. Default 1. */
    seed?: number
}

export interface UdpCounters {
    /** Datagrams that entered the shaper. */
    datagrams: number
    bytes: number
    dropped: number
    /** Extra copies sent. */
    duplicated: number
    /** Datagrams sent after one that entered the shaper later (same direction and flow). */
    reordered: number
    /** Datagrams sent out, copies included. */
    sent: number
}

export interface UdpShaper {
    host: string
    port: number
    counters(): Record<UdpDirection, UdpCounters>
    /** Datagrams waiting for their time or for an overtaker. */
    pending(): number
    close(): Promise<void>
}

export interface DatagramFate {
    drop: boolean
    copies: number
    holdBack: boolean
    delayMs: number
}

/** One datagram's fate. Always draws four numbers (loss, duplicate, reorder, delay), whatever the outcome. */
export function datagramFate(shape: DatagramShape, random: () => number): DatagramFate {
    const drop = random() < (shape.loss ?? 0)
    const dup = random() < (shape.duplicate ?? 0)
    const holdBack = random() < (shape.reorder ?? 0)
    const delayMs = delayDraw(shape, random)
    return { drop, copies: dup ? 2 : 1, holdBack, delayMs }
}

/** The generator the shaper uses for one direction, for tests that replay its decisions. */
export function directionRandom(seed: number, direction: UdpDirection): () => number {
    return seededRandom(deriveSeed(seed, direction))
}

interface Flow {
    client: RemoteInfo
    upstream: Socket
    /** Per direction: the sequence number of the next datagram, the highest sent, the held-back ones. */
    next: Record<UdpDirection, number>
    maxSent: Record<UdpDirection, number>
    held: Record<UdpDirection, { seq: number; data: Buffer; copies: number; timer: ReturnType<typeof setTimeout> }[]>
}

const RECV_BUFFER = 4 * 1024 * 1024

const zero = (): UdpCounters => ({ datagrams: 0, bytes: 0, dropped: 0, duplicated: 0, reordered: 0, sent: 0 })

export async function startUdpShaper(serverPort: number, options: UdpShaperOptions = {}, serverHost = "127.0.0.1"): Promise<UdpShaper> {
    const seed = options.seed ?? 1
    const random: Record<UdpDirection, () => number> = {
        toServer: directionRandom(seed, "toServer"),
        toClient: directionRandom(seed, "toClient"),
    }
    const count: Record<UdpDirection, UdpCounters> = { toServer: zero(), toClient: zero() }
    const flows = new Map<string, Flow>()
    const timers = new Set<ReturnType<typeof setTimeout>>()
    let closed = false
    // the kernel's default receive buffer holds only ~250 small datagrams: a burst would lose the rest
    // before the shaper decides anything, and the counts would no longer be the seed's
    const front = createSocket({ type: "udp4", recvBufferSize: RECV_BUFFER })
    front.on("error", () => {})

    function emit(f: Flow, dir: UdpDirection, seq: number, data: Buffer, copies: number): void {
        if (closed) return
        if (seq < f.maxSent[dir]) count[dir].reordered++
        f.maxSent[dir] = Math.max(f.maxSent[dir], seq)
        for (let i = 0; i < copies; i++) {
            count[dir].sent++
            if (dir === "toServer") f.upstream.send(data, serverPort, serverHost)
            else front.send(data, f.client.port, f.client.address)
        }
        // a datagram that went out is what held-back ones were waiting for
        const held = f.held[dir].splice(0)
        for (const h of held) {
            clearTimeout(h.timer)
            timers.delete(h.timer)
            emit(f, dir, h.seq, h.data, h.copies)
        }
    }

    /** Runs fn after the modelled link's delay (a datagram's latency, or how long a reordered one is held back). */
    function afterLinkDelay(ms: number, fn: () => void): ReturnType<typeof setTimeout> {
        const t = setTimeout(() => {
            timers.delete(t)
            fn()
        }, ms)
        timers.add(t)
        return t
    }

    function enter(f: Flow, dir: UdpDirection, data: Buffer): void {
        const shape = options[dir] ?? {}
        const seq = f.next[dir]++
        count[dir].datagrams++
        count[dir].bytes += data.length
        const fate = datagramFate(shape, random[dir])
        if (fate.drop) {
            count[dir].dropped++
            return
        }
        count[dir].duplicated += fate.copies - 1
        const go = () => {
            if (!fate.holdBack) return emit(f, dir, seq, data, fate.copies)
            const h = {
                seq,
                data,
                copies: fate.copies,
                timer: afterLinkDelay(shape.reorderFlushMs ?? 50, () => {
                    const i = f.held[dir].indexOf(h)
                    if (i < 0) return
                    f.held[dir].splice(i, 1)
                    // nothing overtook it in time: it goes alone (and counts as reordered only if something did)
                    const rest = f.held[dir].splice(0)
                    emit(f, dir, seq, data, fate.copies)
                    f.held[dir].push(...rest)
                }),
            }
            f.held[dir].push(h)
        }
        if (fate.delayMs > 0) afterLinkDelay(fate.delayMs, go)
        else go()
    }

    front.on("message", (data, rinfo) => {
        const key = `${rinfo.address}:${rinfo.port}`
        let f = flows.get(key)
        if (!f) {
            const upstream = createSocket({ type: "udp4", recvBufferSize: RECV_BUFFER })
            upstream.on("error", () => {})
            const flow: Flow = {
                client: rinfo,
                upstream,
                next: { toServer: 0, toClient: 0 },
                maxSent: { toServer: -1, toClient: -1 },
                held: { toServer: [], toClient: [] },
            }
            upstream.on("message", (d) => enter(flow, "toClient", d))
            upstream.bind(0, "127.0.0.1")
            flows.set(key, flow)
            f = flow
        }
        enter(f, "toServer", data)
    })
    await new Promise<void>((resolve, reject) => {
        front.once("error", reject)
        front.bind(0, "127.0.0.1", () => resolve())
    })

    return {
        host: "127.0.0.1",
        port: front.address().port,
        counters: () => ({ toServer: { ...count.toServer }, toClient: { ...count.toClient } }),
        pending: () => timers.size,
        async close() {
            closed = true
            for (const t of timers) clearTimeout(t)
            timers.clear()
            const closing = [...flows.values()].map((f) => new Promise<void>((r) => f.upstream.close(() => r())))
            closing.push(new Promise<void>((r) => front.close(() => r())))
            await Promise.all(closing)
        },
    }
}
