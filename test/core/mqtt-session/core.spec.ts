// SessionCore, the QoS 0/1 session a board firmware links: it refuses QoS 2 at the API with a clear
// error, and treats QoS 2 and UNSUBACK packets it never asked for as the broker's protocol violation.
import { describe, expect, test } from "@devicescript/test"
import { ClientErrorCode } from "../../../src/mqtt/session/session-errors"
import { encodePacket } from "../../../src/mqtt/codec/encode"
import { Packet, PacketType, PublishPacket } from "../../../src/mqtt/codec/packets"
import { SessionCore } from "../../../src/mqtt/session/session-core"
import { Done, FakeClock, FixedRandom, options, Peer, pub, thrownCode } from "./harness"

class CoreRig {
    peer: Peer
    session: SessionCore
    constructor() {
        this.peer = new Peer()
        this.session = new SessionCore(options(), new FakeClock(), new FixedRandom(0.5), this.peer)
        this.session.start()
        this.session.onOpen()
        this.feed({ type: PacketType.CONNACK, sessionPresent: false, returnCode: 0 })
        this.peer.take()
    }
    feed(p: Packet): void {
        this.session.onData(encodePacket(p))
    }
}

describe("SessionCore: QoS 0/1 only", () => {
    test("publish and subscribe at QoS 2 throw INVALID_ARGUMENT and send nothing", () => {
        const r = new CoreRig()
        expect(thrownCode(() => r.session.publish("t", Buffer.from("x"), 2, false, undefined))).toBe("INVALID_ARGUMENT")
        expect(thrownCode(() => r.session.subscribe([{ filter: "t", qos: 2 }], undefined))).toBe("INVALID_ARGUMENT")
        expect(r.peer.take().length).toBe(0)
    })

    test("QoS 1 both ways works as in Session", () => {
        const r = new CoreRig()
        const d = new Done()
        r.session.publish("t", Buffer.from("x"), 1, false, d.cb())
        const p = r.peer.take()[0] as PublishPacket
        expect(p.qos).toBe(1)
        r.feed({ type: PacketType.PUBACK, packetId: p.packetId })
        expect(d.ok).toBe(1)
        r.feed(pub("in", 1, 7, false))
        expect(r.peer.messages.length).toBe(1)
        const w = r.peer.take()
        expect(w.length).toBe(1)
        expect(w[0].type).toBe(PacketType.PUBACK)
    })

    test("a long text payload is written as the PUBLISH's header and then the text, the same packet as a whole one", () => {
        const r = new CoreRig()
        let text = ""
        for (let i = 0; i < 80; i++) text += "\u00e9t\u00e9 "
        r.session.publish("t", text, 1, false, undefined)
        const p = r.peer.take()[0] as PublishPacket
        expect(p.qos).toBe(1)
        expect(p.payload.toString("utf-8")).toBe(text)
        // the header came alone, then the text (decodeWrite joined them)
        expect(typeof r.peer.head).toBe("object")
        expect((r.peer.head as Buffer).length).toBe(1 + 2 + 2 + 1 + 2)
        // a short one is one packet in one write
        r.session.publish("t", "short", 0, false, undefined)
        expect((r.peer.take()[0] as PublishPacket).payload.toString("utf-8")).toBe("short")
        expect((r.peer.head as Buffer).length).toBe(2 + 2 + 1 + 5)
    })

    test("a text in parts is written as the PUBLISH's header and then the parts as given, never joined", () => {
        const r = new CoreRig()
        let big = ""
        for (let i = 0; i < 60; i++) big += "r\u00e9sultat "
        const parts = ['{"jsonrpc":"2.0","', "result", '":', '"' + big + '"', ',"id":', "7", "}"]
        r.session.publish("t", parts, 0, false, undefined)
        const p = r.peer.take()[0] as PublishPacket
        // the bytes on the wire: one PUBLISH whose payload is the parts' UTF-8 bytes in order
        expect(p.payload.toString("utf-8")).toBe(parts.join(""))
        // the header (topic, no packet id at QoS 0) came alone, its Remaining Length counting bytes
        expect((r.peer.head as Buffer).length).toBe(1 + 2 + 2 + 1)
        // the parts went down as the same array: no string of the whole reply was made
        expect(r.peer.text === parts).toBe(true)
        // a short text in parts is split as well (the writer packs the parts)
        r.session.publish("t", ["{", "}"], 0, false, undefined)
        expect((r.peer.take()[0] as PublishPacket).payload.toString("utf-8")).toBe("{}")
    })

    test("a QoS 2 PUBLISH is a protocol violation (subscriptions were granted QoS 1 at most, 3.8.4)", () => {
        const r = new CoreRig()
        r.feed(pub("in", 2, 9, false))
        expect(r.peer.messages.length).toBe(0)
        expect(r.peer.errors.length).toBe(1)
        expect(r.peer.errors[0].code).toBe(ClientErrorCode.PROTOCOL_VIOLATION)
        expect(r.peer.closes).toBe(1)
    })

    test("PUBREC, PUBREL, PUBCOMP and UNSUBACK are protocol violations", () => {
        const kinds = [PacketType.PUBREC, PacketType.PUBREL, PacketType.PUBCOMP, PacketType.UNSUBACK]
        for (const k of kinds) {
            const r = new CoreRig()
            r.feed({ type: k as PacketType.PUBACK, packetId: 3 })
            expect(r.peer.errors.length).toBe(1)
            expect(r.peer.errors[0].code).toBe(ClientErrorCode.PROTOCOL_VIOLATION)
        }
    })
})
