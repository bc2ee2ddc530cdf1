// Every packet type encodes to bytes worked out by hand from the spec, and decodes back.
import { describe, test, expect } from "@devicescript/test"
import { encodePacket, encodePublish, encodeAck } from "../../../src/mqtt/codec/encode"
import { decodeFrame, decodePacket } from "../../../src/mqtt/codec/decode"
import { PacketType } from "../../../src/mqtt/codec/packets"
import { hex, show, toHex } from "./helpers"
import { VECTORS, Vector } from "./vectors"

function addVector(v: Vector) {
    test(v.name, () => {
        expect(toHex(encodePacket(v.packet))).toBe(toHex(hex(v.hex)))
        expect(show(decodeFrame(hex(v.hex)))).toBe(show(v.packet))
    })
}

describe("mqtt codec: known bytes", () => {
    for (const v of VECTORS) addVector(v)

    test("encodePublish fast path writes the same bytes as encodePacket", () => {
        expect(toHex(encodePublish("a/b", Buffer.from("hi"), 1, true, true, 10))).toBe("3b090003612f62000a6869")
        expect(toHex(encodePublish("a/b", Buffer.from("hi"), 0, false, false, 0))).toBe("30070003612f626869")
    })

    test("a string payload is written as its UTF-8 bytes, the same packet as its Buffer gives", () => {
        expect(toHex(encodePublish("a/b", "hi", 1, true, true, 10))).toBe("3b090003612f62000a6869")
        // two-, three- and four-byte characters: the length counts bytes, not characters
        const text = "\u00e9t\u00e9 \u20ac \ud83d\ude00"
        expect(toHex(encodePublish("a/b", text, 0, false, false, 0))).toBe(
            toHex(encodePublish("a/b", Buffer.from(text), 0, false, false, 0))
        )
        // over 127 bytes: a two-byte Remaining Length
        let long = ""
        for (let i = 0; i < 40; i++) long += "\u00e9ab"
        const a = encodePublish("t", long, 1, false, false, 7)
        expect(toHex(a)).toBe(toHex(encodePublish("t", Buffer.from(long), 1, false, false, 7)))
        expect(a.length).toBe(3 + 2 + 1 + 2 + 160)
        expect(toHex(encodePublish("t", "", 0, false, false, 0))).toBe("30030001" + "74")
    })

    test("encodeAck sets the PUBREL flags and nothing else", () => {
        expect(toHex(encodeAck(PacketType.PUBREL, 258))).toBe("62020102")
        expect(toHex(encodeAck(PacketType.PUBACK, 258))).toBe("40020102")
        expect(toHex(encodeAck(PacketType.UNSUBACK, 1))).toBe("b0020001")
    })

    test("decodePacket reads a body in the middle of a larger buffer", () => {
        const b = hex("ff ff 00 03 61 2f 62 00 0a 68 69 ff")
        const p = decodePacket(0x3b, b, 2, 9)
        expect(show(p)).toBe(show(VECTORS[6].packet))
    })

    test("decoded payloads are copies, not views of the receive buffer", () => {
        const b = hex("30 07 00 03 61 2f 62 68 69")
        const p = decodeFrame(b)
        b[7] = 0x00
        expect(show(p)).toBe(show(VECTORS[5].packet))
    })

    test("a QoS 0 PUBLISH has no packet id even when one is passed", () => {
        const p = decodeFrame(
            encodePacket({ type: PacketType.PUBLISH, topic: "x", payload: Buffer.alloc(0), qos: 0, retain: false, dup: false, packetId: 7 })
        )
        expect(show(p)).toBe("T3|'78|#|0|0|0|-")
    })
})
