// Bad input never crashes: random and mutated byte streams into an RFC 8323 connection, in random
// chunks, only ever end in an open connection or an Abort + close (fast-check).
import fc from "fast-check"
import { describe, expect, test } from "vitest"
import { CoapTcpConnection } from "../../../src/coap/transport/tcp-connection"
import { CoapTcpFrameReader, encodeTcpMessage } from "../../../src/coap/codec/codec"
import { CoapCode, CoapMessage, CoapType, newMessage, setUriPath } from "../../../src/coap/codec/message"

function run(chunks: Uint8Array[]) {
    let now = 0
    const out: Buffer[] = []
    let closed = 0
    let reason = ""
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
            onClosed: (why) => {
                closed++
                reason = why
            },
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
    return { conn, closed, reason, sent }
}

const csm = encodeTcpMessage(newMessage(CoapType.CON, CoapCode.CSM, 0))
function get(): Buffer {
    const m = newMessage(CoapType.CON, CoapCode.GET, 0, Buffer.from([1, 2]))
    setUriPath(m, "/a/b")
    return encodeTcpMessage(m)
}

describe("RFC 8323 connection under hostile input", () => {
    // A close we start is announced with an Abort (RFC 8323 5.6); a Release or Abort from the peer
    // (5.5, 5.6) ends the connection without one from us.
    test("random bytes: never throws; closes at most once, with an Abort unless the peer ended it", () => {
        fc.assert(
            fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 20 }), (chunks) => {
                const r = run([csm, ...chunks])
                expect(r.closed).toBeLessThanOrEqual(1)
                const peerEnded = r.reason.startsWith("released by peer") || r.reason.startsWith("aborted by peer")
                if (r.closed && !peerEnded) expect(r.sent[r.sent.length - 1].code).toBe(CoapCode.Abort)
            }),
            { numRuns: 500 }
        )
    })
    test("a Release from the peer closes without an Abort from us (found by the property above)", () => {
        const r = run([csm, Uint8Array.from([0x00, 0xe4])])
        expect(r.closed).toBe(1)
        expect(r.reason.startsWith("released by peer")).toBe(true)
        expect(r.sent.some((m) => m.code === CoapCode.Abort)).toBe(false)
    })
    test("mutated valid streams: never throws", () => {
        const valid = Buffer.concat([csm, get(), get(), encodeTcpMessage(newMessage(CoapType.CON, CoapCode.Ping, 0))])
        fc.assert(
            fc.property(
                fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
                fc.nat(20),
                (muts, cut) => {
                    const b = Buffer.from(valid)
                    for (const [i, v] of muts) b[i] = v
                    const r = run([b.subarray(0, cut), b.subarray(cut)])
                    expect(r.closed).toBeLessThanOrEqual(1)
                }
            ),
            { numRuns: 1000 }
        )
    })
})
