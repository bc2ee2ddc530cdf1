// A small deterministic fuzz that also runs ON THE BOARD'S RUNTIME (simulator): Buffer reads
// past the end and other runtime differences must not turn malformed input into anything but
// the typed errors. (The big fuzz loop is scripts/fuzz-coap.ts, Node only.) Few inputs per
// test: the simulator's watchdog allows ~128k ops between yields.
import { describe, test, expect } from "@devicescript/test"
import { CoapFormatError, CoapTcpFrameReader, decodeMessage, decodeTcpMessage, encodeMessage } from "../../../src/coap/codec/codec"
import { CborError, decodeCbor, encodeCbor } from "../../../src/coap/formats/cbor"
import { CoapCode, CoapType, newMessage, setUriPath, setUintOption } from "../../../src/coap/codec/message"

let seed = 0x9e3779b9
function rnd(n: number): number {
    // xorshift32; the same sequence on both runtimes (32-bit ops are identical in DeviceScript and Node)
    seed ^= seed << 13
    seed = seed >>> 0
    seed ^= seed >>> 17
    seed ^= seed << 5
    seed = seed >>> 0
    // not `seed % n`: DeviceScript's % works on int32, so it differs from Node above 2^31
    return Math.floor(((seed >>> 8) * n) / 16777216)
}

function mutate(src: Buffer): Buffer {
    const b = Buffer.alloc(src.length + 1)
    b.set(src, 0)
    b[src.length] = rnd(256)
    const edits = 1 + rnd(3)
    for (let e = 0; e < edits; e++) b[rnd(b.length)] = rnd(256)
    // truncate at a random point (keeps at least one byte)
    const n = 1 + rnd(b.length)
    const r = Buffer.alloc(n)
    for (let i = 0; i < n; i++) r[i] = b[i]
    return r
}

/** 0 = decoded, 1 = typed error, 2 = anything else. */
function outcome(f: () => void): number {
    try {
        f()
        return 0
    } catch (e) {
        return e instanceof CoapFormatError || e instanceof CborError ? 1 : 2
    }
}

// (closures must not capture loop variables in DeviceScript: these take the input as a parameter)
function tcpOutcome(b: Buffer): number {
    return outcome(() => decodeTcpMessage(b))
}
function readerOutcome(b: Buffer): number {
    return outcome(() => {
        const r = new CoapTcpFrameReader(256)
        r.push(b)
        while (r.nextMessage() !== undefined) {}
    })
}

function seedMessage(): Buffer {
    const m = newMessage(CoapType.CON, CoapCode.GET, 0x1234, Buffer.from("a1b2", "hex"))
    setUriPath(m, "/sensors/temperature")
    setUintOption(m, 6, 0)
    setUintOption(m, 23, 0x1e)
    m.payload = Buffer.from("hello")
    return encodeMessage(m)
}

describe("decoders on mutated input (both runtimes)", () => {
    test("datagram decoder: 60 mutations give only decoded or CoapFormatError", () => {
        const src = seedMessage()
        let typed = 0
        for (let i = 0; i < 60; i++) {
            const o = outcome(() => decodeMessage(mutate(src)))
            expect(o === 2).toBe(false)
            if (o === 1) typed++
        }
        expect(typed > 0).toBe(true)
    })
    test("TCP frame decoder and reader: 40 mutations", () => {
        const src = seedMessage()
        for (let i = 0; i < 40; i++) {
            const b = mutate(src)
            expect(tcpOutcome(b) === 2).toBe(false)
            expect(readerOutcome(b) === 2).toBe(false)
        }
    })
    test("CBOR decoder: 60 mutations", () => {
        const src = encodeCbor([1, -300, 1.5, "text", Buffer.from("0102", "hex"), { a: [true, null] }])
        let typed = 0
        for (let i = 0; i < 60; i++) {
            const o = outcome(() => decodeCbor(mutate(src)))
            expect(o === 2).toBe(false)
            if (o === 1) typed++
        }
        expect(typed > 0).toBe(true)
    })
})
