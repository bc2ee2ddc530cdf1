// Large packets. In DeviceScript this file runs alone (test/devs/mqtt-codec-large.ts): the
// simulator's heap is 64 KB. Payloads are copied natively; a copy loop in bytecode trips the
// VM watchdog (~128k ops without a yield) at about 8 KB and would let a peer crash the firmware.
import { describe, test, expect } from "@devicescript/test"
import { encodePublish } from "../../../src/mqtt/encode"
import { FrameAssembler } from "../../../src/mqtt/frames"
import { PublishPacket } from "../../../src/mqtt/packets"
import { sliceBytes } from "../../../src/util/bytes"

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
    expect(a.buffered()).toBe(0)
}

describe("mqtt frames: large packets", () => {
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
