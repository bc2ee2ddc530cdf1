// The UDP shaper against a UDP echo server on loopback: what it drops, duplicates and reorders is
// exactly what its seed says (the test replays datagramFate with the same generator), and what
// arrives at the server is exactly that.
import { afterEach, beforeEach, describe, expect, test } from "vitest"
import { createSocket, type Socket } from "node:dgram"
import { datagramFate, directionRandom, startUdpShaper, type DatagramShape, type UdpShaper } from "../../helpers/udp-shaper"
import { until } from "../../helpers/wait"

interface Peer {
    sock: Socket
    port: number
    got: number[]
}

/** A UDP socket that records the sequence number (first 4 bytes) of every datagram, and echoes if asked. */
async function peer(echo: boolean): Promise<Peer> {
    const sock = createSocket({ type: "udp4", recvBufferSize: 1 << 20 })
    const p: Peer = { sock, port: 0, got: [] }
    sock.on("message", (m, r) => {
        p.got.push(m.readUInt32BE(0))
        if (echo) sock.send(m, r.port, r.address)
    })
    await new Promise<void>((r) => sock.bind(0, "127.0.0.1", () => r()))
    p.port = sock.address().port
    return p
}

function datagram(i: number): Buffer {
    const b = Buffer.alloc(16)
    b.writeUInt32BE(i, 0)
    return b
}

/** What the shaper must deliver for datagrams 0..n-1 sent at once: every copy, in the order it sends them. */
function replay(
    seed: number,
    shape: DatagramShape,
    n: number
): { order: number[]; dropped: number; duplicated: number; reordered: number } {
    const random = directionRandom(seed, "toServer")
    const order: number[] = []
    let held: { i: number; copies: number }[] = []
    let dropped = 0
    let duplicated = 0
    let reordered = 0
    for (let i = 0; i < n; i++) {
        const f = datagramFate(shape, random)
        if (f.drop) {
            dropped++
            continue
        }
        duplicated += f.copies - 1
        if (f.holdBack) {
            held.push({ i, copies: f.copies })
            continue
        }
        for (let c = 0; c < f.copies; c++) order.push(i)
        for (const h of held) for (let c = 0; c < h.copies; c++) order.push(h.i)
        reordered += held.length
        held = []
    }
    // the last held-back ones had nothing to overtake them: they leave in order on their timers
    for (const h of held) for (let c = 0; c < h.copies; c++) order.push(h.i)
    return { order, dropped, duplicated, reordered }
}

describe("UDP shaper", () => {
    let server: Peer
    let client: Peer
    let shaper: UdpShaper | undefined
    beforeEach(async () => {
        server = await peer(true)
        client = await peer(false)
    })
    afterEach(async () => {
        await shaper?.close()
        shaper = undefined
        server.sock.close()
        client.sock.close()
    })

    const send = (n: number) => {
        for (let i = 0; i < n; i++) client.sock.send(datagram(i), shaper!.port, "127.0.0.1")
    }

    test("loss and duplication are exactly what the seed decides, and only that arrives", async () => {
        const shape = { loss: 0.1, duplicate: 0.1 }
        const n = 300
        const want = replay(42, shape, n)
        shaper = await startUdpShaper(server.port, { toServer: shape, seed: 42 })
        send(n)
        await until(() => server.got.length >= want.order.length, 10000, "the datagrams the seed lets through")
        const c = shaper.counters().toServer
        expect(c.datagrams).toBe(n)
        expect(c.dropped).toBe(want.dropped)
        expect(c.duplicated).toBe(want.duplicated)
        expect(c.sent).toBe(n - want.dropped + want.duplicated)
        expect(server.got).toEqual(want.order)
        // the numbers are not trivial: about a tenth of each
        expect(want.dropped).toBeGreaterThan(10)
        expect(want.duplicated).toBeGreaterThan(10)
        // another seed decides otherwise
        expect(replay(43, shape, n).order).not.toEqual(want.order)
    })

    test("reordering holds datagrams back until a later one has gone, as the seed decides", async () => {
        const shape = { reorder: 0.2, reorderFlushMs: 1000 }
        const n = 200
        const want = replay(9, shape, n)
        shaper = await startUdpShaper(server.port, { toServer: shape, seed: 9 })
        send(n)
        await until(() => server.got.length >= want.order.length, 10000, "every datagram, held ones included")
        expect(server.got).toEqual(want.order)
        expect(shaper.counters().toServer.reordered).toBe(want.reordered)
        expect(want.reordered).toBeGreaterThan(10)
    })

    test("latency with jitter in both directions delivers everything; the reorder count is what the receiver sees", async () => {
        const shape = { latencyMs: 20, jitterMs: 15 }
        shaper = await startUdpShaper(server.port, { toServer: shape, toClient: shape, seed: 3 })
        const n = 200
        for (let i = 0; i < n; i++) {
            client.sock.send(datagram(i), shaper.port, "127.0.0.1")
            if (i % 10 === 9) await new Promise((r) => setImmediate(r))
        }
        await until(() => client.got.length === n, 10000, "every echo back through the shaper")
        expect([...server.got].sort((a, b) => a - b)).toEqual([...Array(n).keys()])
        const inversions = (xs: number[]) => {
            let max = -1
            let count = 0
            for (const x of xs) {
                if (x < max) count++
                max = Math.max(max, x)
            }
            return count
        }
        const c = shaper.counters()
        expect(c.toServer.reordered).toBe(inversions(server.got))
        expect(c.toServer.reordered).toBeGreaterThan(0)
        expect(c.toClient.sent).toBe(n)
        expect(c.toServer.dropped + c.toClient.dropped).toBe(0)
    })
})
