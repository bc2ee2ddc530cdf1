// 2.2.3 Remaining Length and the frame assembler: arbitrary chunking, many packets per chunk,
// limits, malformed varints.
import { describe, test, expect } from "@devicescript/test"
import { FrameAssembler, MAX_FRAME_SIZE } from "../../../src/mqtt/codec/frames"
import { decodeFrame, decodePacket, readRemainingLength, readRemainingLengthBytes } from "../../../src/mqtt/codec/decode"
import { remainingLengthSize, writeRemainingLength } from "../../../src/mqtt/codec/encode"
import { Packet, PublishPacket } from "../../../src/mqtt/codec/packets"
import { sliceBytes } from "../../../src/util/bytes"
import { hex, ruleOf, show, toHex } from "./helpers"
import { VECTORS } from "./vectors"

// Table 2.4: the boundaries of each varint size.
const RL_TABLE: [number, string][] = [
    [0, "00"],
    [127, "7f"],
    [128, "8001"],
    [16383, "ff7f"],
    [16384, "808001"],
    [2097151, "ffff7f"],
    [2097152, "80808001"],
    [268435455, "ffffff7f"],
]

function addRl(e: [number, string]) {
    test("remaining length " + e[0] + " <-> " + e[1], () => {
        const b = Buffer.alloc(4)
        const n = writeRemainingLength(b, 0, e[0])
        expect(n).toBe(remainingLengthSize(e[0]))
        expect(toHex(sliceBytes(b, 0, n))).toBe(e[1])
        const enc = hex(e[1])
        expect(readRemainingLengthBytes(enc, 0, enc.length)).toBe(enc.length)
        expect(readRemainingLength(enc, 0, enc.length)).toBe(e[0])
        // one byte short: incomplete, not an error
        expect(readRemainingLength(enc, 0, enc.length - 1)).toBe(-1)
    })
}

/** n bytes of value v (DeviceScript's Buffer.alloc takes no fill value). */
function filled(n: number, v: number): Buffer {
    const b = Buffer.alloc(n)
    for (let i = 0; i < n; i++) b[i] = v
    return b
}

/** All packets the assembler yields for these chunks, as canonical strings joined by ";". */
function drain(a: FrameAssembler): string {
    const out: string[] = []
    let p: Packet = a.next()
    while (p !== undefined) {
        out.push(show(p))
        p = a.next()
    }
    return out.join(";")
}

// A stream of several short packets of different types (kept small: DeviceScript's watchdog).
const STREAM_IDX = [0, 3, 5, 6, 10, 12, 14, 15, 16, 18, 20]
function streamBytes(): Buffer {
    const parts: string[] = []
    for (const i of STREAM_IDX) parts.push(VECTORS[i].hex)
    return hex(parts.join(" "))
}
function expected(): string {
    const out: string[] = []
    for (const i of STREAM_IDX) out.push(show(VECTORS[i].packet))
    return out.join(";")
}

const SPLITS_PER_TEST = 4

function addSplits(first: number, len: number) {
    test("split at bytes " + first + ".." + Math.min(first + SPLITS_PER_TEST - 1, len), () => {
        const s = streamBytes()
        const want = expected()
        for (let at = first; at < first + SPLITS_PER_TEST && at <= len; at++) {
            const a = new FrameAssembler(1024, decodePacket)
            a.push(sliceBytes(s, 0, at))
            const head = drain(a)
            a.push(sliceBytes(s, at))
            const rest = drain(a)
            expect("split " + at + ": " + head + (head !== "" && rest !== "" ? ";" : "") + rest).toBe("split " + at + ": " + want)
            expect(a.buffered).toBe(0)
        }
    })
}

describe("mqtt frames: remaining length (table 2.4)", () => {
    for (const e of RL_TABLE) addRl(e)
    test("a longer-than-needed varint is accepted (3.1.1 does not require the shortest form; 5.0 does)", () => {
        expect(show(decodeFrame(hex("c0 80 00")))).toBe("T12")
        const a = new FrameAssembler()
        a.push(hex("d0 80 80 00 40 82 00 00 01"))
        expect(show(a.next())).toBe("T13")
        expect(show(a.next())).toBe("T4|1")
    })
    test("a fifth varint byte is malformed", () => {
        const b = hex("ff ff ff ff 7f")
        expect(ruleOf(() => readRemainingLength(b, 0, 5))).toBe("MQTT-2.2.3")
    })
})

describe("mqtt frames: assembler", () => {
    test("a whole stream in one chunk", () => {
        const a = new FrameAssembler(undefined, decodePacket)
        a.push(streamBytes())
        expect(drain(a)).toBe(expected())
    })
    // every split point of the stream, both ends included
    const len = streamBytes().length
    for (let at = 0; at <= len; at += SPLITS_PER_TEST) addSplits(at, len)
    test("one byte per chunk", () => {
        const s = streamBytes()
        const a = new FrameAssembler(undefined, decodePacket)
        const out: string[] = []
        for (let i = 0; i < s.length; i++) {
            a.push(sliceBytes(s, i, i + 1))
            const d = drain(a)
            if (d !== "") out.push(d)
        }
        expect(out.join(";")).toBe(expected())
    })
    test("nothing until the packet is complete, bytes are kept", () => {
        const a = new FrameAssembler()
        a.push(hex("30 07 00 03 61"))
        expect(a.next()).toBe(undefined)
        expect(a.buffered).toBe(5)
        a.push(hex("2f 62 68"))
        expect(a.next()).toBe(undefined)
        a.push(hex("69 d0"))
        expect(show(a.next())).toBe(show(VECTORS[5].packet))
        expect(a.next()).toBe(undefined)
        expect(a.buffered).toBe(1)
        a.push(hex("00"))
        expect(show(a.next())).toBe("T13")
    })
    test("an empty chunk changes nothing", () => {
        const a = new FrameAssembler()
        a.push(Buffer.alloc(0))
        expect(a.next()).toBe(undefined)
        a.push(hex("d0 00"))
        a.push(Buffer.alloc(0))
        expect(show(a.next())).toBe("T13")
    })
    test("an oversized packet other than PUBLISH is refused from its header alone", () => {
        const a = new FrameAssembler(100)
        a.push(hex("90 ff ff ff 7f"))
        expect(ruleOf(() => a.next())).toBe("max-packet-size")
        // the assembler stays failed: the stream cannot be re-synchronised
        expect(ruleOf(() => a.next())).toBe("max-packet-size")
        a.reset()
        a.push(hex("d0 00"))
        expect(show(a.next())).toBe("T13")
    })
    test("a PUBLISH over the limit is counted through unstored and returned with oversize, no payload", () => {
        const a = new FrameAssembler(20)
        // QoS 1, topic "a/b", id 10, 1000 payload bytes: 1 + 2 + 1009 bytes
        const body = filled(1009, 0x78)
        body.set(hex("00 03 61 2f 62 00 0a"), 0)
        const frame = Buffer.alloc(1012)
        frame.set(hex("32 f1 07"), 0)
        frame.set(body, 3)
        let most = 0
        for (let o = 0; o < frame.length; o += 100) {
            a.push(sliceBytes(frame, o, o + 100))
            if (o + 100 < frame.length) expect(a.next()).toBe(undefined)
            // nothing of the body is kept
            if (a.buffered > most) most = a.buffered
        }
        expect(most).toBe(0)
        a.push(hex("d0 00"))
        const p = a.next() as PublishPacket
        expect(p.topic).toBe("a/b")
        expect(p.packetId).toBe(10)
        expect(p.qos).toBe(1)
        expect(p.oversize).toBe(1012)
        expect(p.payload).toBe(undefined)
        expect(show(a.next())).toBe("T13")
        expect(a.next()).toBe(undefined)
    })
    test("an oversized PUBLISH inside one chunk is skipped too, and the packet after it decoded", () => {
        const a = new FrameAssembler(8)
        a.push(hex(VECTORS[5].hex + " d0 00"))
        const p = a.next() as PublishPacket
        expect(p.oversize).toBe(9)
        expect(p.topic).toBe("a/b")
        expect(show(a.next())).toBe("T13")
    })
    test("a PUBLISH whose header alone is over the limit is refused", () => {
        const a = new FrameAssembler(10)
        // topic length 20 (with the fixed header: 24 bytes before the payload)
        a.push(hex("30 ff 7f 00 14"))
        expect(ruleOf(() => a.next())).toBe("max-packet-size")
    })
    test("a PUBLISH spread over chunks goes straight into its payload buffer: no chunk is kept", () => {
        const a = new FrameAssembler(4000)
        const frame = filled(3003, 0x41)
        frame.set(hex("30 b8 17 00 01 74"), 0) // remaining 3000: topic "t", payload 2997 bytes
        a.push(sliceBytes(frame, 0, 1000))
        expect(a.next()).toBe(undefined)
        expect(a.buffered).toBe(0)
        a.push(sliceBytes(frame, 1000, 2000))
        expect(a.buffered).toBe(0)
        a.push(sliceBytes(frame, 2000, 3003))
        a.push(hex("d0 00"))
        const p = a.next() as PublishPacket
        expect(p.topic).toBe("t")
        expect(p.payload.length).toBe(2997)
        expect(p.payload[0]).toBe(0x41)
        expect(p.payload[2996]).toBe(0x41)
        expect(p.oversize).toBe(undefined)
        expect(show(a.next())).toBe("T13")
    })
    test("by default the assembler plays the client: packets only a client sends are refused (2.2.1)", () => {
        const a = new FrameAssembler()
        a.push(hex(VECTORS[0].hex + " c0 00 e0 00 82 06 00 01 00 01 61 00 a2 05 00 01 00 01 61 d0 00"))
        expect(ruleOf(() => a.next())).toBe("MQTT-2.2.1") // CONNECT
        expect(ruleOf(() => a.next())).toBe("MQTT-2.2.1") // PINGREQ
        expect(ruleOf(() => a.next())).toBe("MQTT-2.2.1") // DISCONNECT
        expect(ruleOf(() => a.next())).toBe("MQTT-2.2.1") // SUBSCRIBE
        expect(ruleOf(() => a.next())).toBe("MQTT-2.2.1") // UNSUBSCRIBE
        expect(show(a.next())).toBe("T13") // PINGRESP is fine
    })
    test("the limit counts the whole frame", () => {
        const a = new FrameAssembler(9)
        a.push(hex(VECTORS[5].hex)) // 9 bytes
        expect(show(a.next())).toBe(show(VECTORS[5].packet))
        const b = new FrameAssembler(8)
        b.push(hex(VECTORS[5].hex))
        expect((b.next() as PublishPacket).oversize).toBe(9)
    })
    test("the largest remaining length waits for its body under the default limit", () => {
        const a = new FrameAssembler()
        expect(MAX_FRAME_SIZE).toBe(268435460)
        a.push(hex("30 ff ff ff 7f 00 01 74"))
        expect(a.next()).toBe(undefined)
    })
    test("a fifth remaining-length byte is refused", () => {
        const a = new FrameAssembler()
        a.push(hex("30 ff ff"))
        expect(a.next()).toBe(undefined)
        a.push(hex("ff ff 01"))
        expect(ruleOf(() => a.next())).toBe("MQTT-2.2.3")
    })
    test("a reserved type is refused before its body arrives", () => {
        const a = new FrameAssembler()
        a.push(hex("f0 7f"))
        expect(ruleOf(() => a.next())).toBe("MQTT-2.2.1")
    })
    test("a body that fails to decode is consumed; the next packet still decodes", () => {
        const a = new FrameAssembler()
        a.push(hex("40 02 00 00 d0 00"))
        expect(ruleOf(() => a.next())).toBe("MQTT-2.3.1-1")
        expect(show(a.next())).toBe("T13")
    })
    test("the assembler never writes into pushed chunks", () => {
        const s = streamBytes()
        const before = toHex(s)
        const a = new FrameAssembler(undefined, decodePacket)
        a.push(sliceBytes(s, 0, 7))
        a.push(sliceBytes(s, 7))
        drain(a)
        a.push(s)
        drain(a)
        expect(toHex(s)).toBe(before)
    })
})
