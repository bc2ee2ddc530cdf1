// Large packets. In DeviceScript this file runs alone (test/devs/mqtt-codec-large.ts): the
// simulator's heap is 64 KB. Payloads are copied natively; a copy loop in bytecode trips the
// VM watchdog (~128k ops without a yield) at about 8 KB and would let a peer crash the firmware.
import { describe, test, expect } from "@devicescript/test"
import { encodePublish } from "../../../src/mqtt/codec/encode"
import { FrameAssembler } from "../../../src/mqtt/codec/frames"
import { PublishPacket } from "../../../src/mqtt/codec/packets"
import { sliceBytes } from "../../../src/util/bytes"
import { protocolRuleOf } from "../../../src/mqtt/codec/errors"
import { topicMatchesFilter } from "../../../src/mqtt/codec/topics"

function roundTrip(size: number, chunk: number) {
    let payload = Buffer.alloc(size)
    payload[0] = 1
    payload[size - 1] = 2
    const frame = encodePublish("big", payload, 1, false, false, 9)
    payload = undefined
    const a = new FrameAssembler(size + 16)
    if (chunk >= frame.length) a.push(frame)
    else {
        // a few big chunks: the straddling packet is gathered once into one buffer
        for (let o = 0; o < frame.length; o += chunk) a.push(sliceBytes(frame, o, o + chunk))
    }
    const p = a.next() as PublishPacket
    expect(p.payload.length).toBe(size)
    expect(p.payload[0] + p.payload[size - 1] * 10).toBe(21)
    expect(p.packetId).toBe(9)
    expect(a.buffered).toBe(0)
}

/** A QoS 0 PUBLISH frame whose topic is `levels` levels of n/levels bytes of "é" (2 bytes each), joined by "/". */
function nonAsciiTopicFrame(n: number): Buffer {
    const rl = 2 + n
    const f = Buffer.alloc(3 + rl)
    f[0] = 0x30
    f[1] = (rl & 0x7f) | 0x80
    f[2] = rl >> 7
    f[3] = n >> 8
    f[4] = n & 0xff
    for (let i = 0; i < n; i += 2) {
        f[5 + i] = 0xc3
        f[6 + i] = 0xa9
    }
    f[5 + 3000] = 0x2f // "/" splits the topic into two levels of 1500 characters
    f[5 + 3001] = 0x61 // "a" keeps the second level well-formed
    return f
}

describe("mqtt frames: large packets", () => {
    test("a 6 KB non-ASCII topic is validated and matched natively (a byte loop trips the DeviceScript watchdog at ~4 KB)", () => {
        const a = new FrameAssembler(7000)
        a.push(nonAsciiTopicFrame(6000))
        const p = a.next() as PublishPacket
        expect(Buffer.from(p.topic).length).toBe(6000)
        expect(topicMatchesFilter(p.topic, "+/+")).toBe(true)
        expect(topicMatchesFilter(p.topic, "+")).toBe(false)
        expect(topicMatchesFilter(p.topic, "#")).toBe(true)
    })
    test("the same topic with one ill-formed byte is refused (1.5.3-1)", () => {
        const f = nonAsciiTopicFrame(6000)
        f[5 + 4000] = 0xc0 // overlong lead byte in the second level
        const a = new FrameAssembler(7000)
        a.push(f)
        let rule = "no error"
        try {
            a.next()
        } catch (e) {
            rule = protocolRuleOf(e)
        }
        expect(rule).toBe("MQTT-1.5.3-1")
    })
    test("8 KB PUBLISH in one chunk", () => {
        roundTrip(8000, 100000)
    })
    test("12 KB PUBLISH in one chunk", () => {
        roundTrip(12000, 100000)
    })
    test("6 KB PUBLISH in 3 KB chunks", () => {
        roundTrip(6000, 3000)
    })
})
