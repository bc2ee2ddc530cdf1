// Bad input never crashes: random and mutated byte streams into an RFC 8323 connection, in random
// chunks, only ever end in an open connection or an Abort + close (fast-check).
import fc from "fast-check"
import { describe, expect, test } from "vitest"
import { CoapTcpConnection } from "../../../src/coap/tcp-connection"
import { CoapTcpFrameReader, encodeTcpMessage } from "../../../src/coap/codec"
import { CoapCode, CoapMessage, CoapType, newMessage, setUriPath } from "../../../src/coap/message"

function run(chunks: Uint8Array[]) {
    let now = 0
    const out: Buffer[] = []
    let closed = 0
    const conn = new CoapTcpConnection(
        (b) => out.push(b),
        () => {},
        { now: () => now },
        { next: () => 0.5 },
        {
            onRequest: (req, reply) => {
                const r = newMessage(CoapType.CON, CoapCode.Content, 0)
                r.payload = Buffer.from("ok")
                reply(r)
            },
            onReady: () => {},
            onClosed: () => closed++,
        },
        { maxMessageSize: 512 }
    )
    conn.start()
    for (const c of chunks) {
        conn.onData(Buffer.from(c))
        now += 100
        conn.tick()
    }
    // everything we sent must itself be well-formed
    const reader = new CoapTcpFrameReader(1 << 20)
    for (const b of out) reader.push(b)
    const sent: CoapMessage[] = []
    for (let m = reader.nextMessage(); m; m = reader.nextMessage()) sent.push(m)
    return { conn, closed, sent }
}

const csm = encodeTcpMessage(newMessage(CoapType.CON, CoapCode.CSM, 0))
function get(): Buffer {
    const m = newMessage(CoapType.CON, CoapCode.GET, 0, Buffer.from([1, 2]))
    setUriPath(m, "/a/b")
    return encodeTcpMessage(m)
}

describe("RFC 8323 connection under hostile input", () => {
    test("random bytes: never throws; closes at most once, with an Abort", () => {
        fc.assert(
            fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 20 }), (chunks) => {
                const r = run([csm, ...chunks])
                expect(r.closed).toBeLessThanOrEqual(1)
                if (r.closed) expect(r.sent[r.sent.length - 1].code).toBe(CoapCode.Abort)
            }),
            { numRuns: 500 }
        )
    })
    test("mutated valid streams: never throws", () => {
        const valid = Buffer.concat([csm, get(), get(), encodeTcpMessage(newMessage(CoapType.CON, CoapCode.Ping, 0))])
        fc.assert(
            fc.property(fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), fc.nat(20), (muts, cut) => {
                const b = Buffer.from(valid)
                for (const [i, v] of muts) b[i] = v
                const r = run([b.subarray(0, cut), b.subarray(cut)])
                expect(r.closed).toBeLessThanOrEqual(1)
            }),
            { numRuns: 1000 }
        )
    })
})
