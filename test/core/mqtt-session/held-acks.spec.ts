// Inbound QoS 1 flow control (src/mqtt/session/held-acks.ts): with a backlog, the session holds PUBACKs
// while the application has work waiting, then releases them one at a time, in order, each after
// the link has been quiet for ACK_GAP_MS. Without a backlog, PUBACK goes out at once (4.3.2).
import { describe, expect, test } from "@devicescript/test"
import { ACK_GAP_MS } from "../../../src/mqtt/session/held-acks"
import { Packet, PacketIdOnlyPacket, PacketType } from "../../../src/mqtt/codec/packets"
import { SessionCore } from "../../../src/mqtt/session/session-core"
import { encodePacket } from "../../../src/mqtt/codec/encode"
import { bringUp, FakeClock, feed, FixedRandom, options, Peer, pub, rig, Rig } from "./harness"

function ackIds(written: Packet[]): number[] {
    const ids: number[] = []
    for (const p of written) if (p.type === PacketType.PUBACK) ids.push((p as PacketIdOnlyPacket).packetId)
    return ids
}

class Backlog {
    n: number
    constructor(n: number) {
        this.n = n
    }
}

function heldRig(b: Backlog): Rig {
    const o = options()
    o.backlog = () => b.n
    const r = rig(o)
    bringUp(r, false)
    r.peer.take()
    return r
}

/** Advances the fake clock to the session's next deadline and runs it; returns what was written. */
function step(r: Rig): Packet[] {
    r.clock.t = r.session.nextDeadline()
    r.session.tick()
    return r.peer.take()
}

describe("held PUBACKs (inbound QoS 1 flow control)", () => {
    test("without a backlog, PUBACK goes out at once", () => {
        const r = rig(options())
        bringUp(r, false)
        r.peer.take()
        feed(r, pub("in", 1, 5, false))
        expect(ackIds(r.peer.take()).join(",")).toBe("5")
    })

    test("held while the application is busy, then one per quiet gap, in order", () => {
        const b = new Backlog(3)
        const r = heldRig(b)
        for (const id of [7, 8, 9, 300, 1]) feed(r, pub("in", 1, id, false))
        expect(r.peer.messages.length).toBe(5)
        expect(r.peer.take().length).toBe(0)
        // busy: the session looks again, sends nothing
        const t0 = r.clock.t
        expect(step(r).length).toBe(0)
        expect(step(r).length).toBe(0)
        b.n = 0
        const released: number[] = []
        const at: number[] = []
        for (let i = 0; i < 20 && released.length < 5; i++) {
            const ids = ackIds(step(r))
            for (const id of ids) {
                released.push(id)
                at.push(r.clock.t)
            }
            // never more than one per tick
            expect(ids.length <= 1).toBe(true)
        }
        expect(released.join(",")).toBe("7,8,9,300,1")
        expect(at[0] - t0 >= ACK_GAP_MS).toBe(true)
        for (let i = 1; i < at.length; i++) expect(at[i] - at[i - 1] >= ACK_GAP_MS).toBe(true)
        expect(r.session.nextDeadline() > r.clock.t + 1000).toBe(true)
    })

    test("received bytes restart the quiet gap", () => {
        const b = new Backlog(0)
        const r = heldRig(b)
        feed(r, pub("in", 1, 1, false))
        r.clock.t += ACK_GAP_MS - 1
        feed(r, pub("in", 1, 2, false))
        r.clock.t += ACK_GAP_MS - 1
        r.session.tick()
        expect(r.peer.take().length).toBe(0)
        expect(ackIds(step(r)).join(",")).toBe("1")
    })

    test("a lost connection forgets its held PUBACKs (the broker resends those messages)", () => {
        const b = new Backlog(1)
        const r = heldRig(b)
        feed(r, pub("in", 1, 4, false))
        r.session.onClose("gone")
        b.n = 0
        bringUp(r, false)
        r.peer.take()
        r.clock.t += 10 * ACK_GAP_MS
        r.session.tick()
        expect(ackIds(r.peer.take()).length).toBe(0)
        feed(r, pub("in", 1, 4, true))
        expect(ackIds(step(r)).join(",")).toBe("4")
    })

    test("SessionCore holds them too (the board's session)", () => {
        const o = options()
        o.backlog = () => 0
        const clock = new FakeClock()
        const peer = new Peer()
        const core = new SessionCore(o, clock, new FixedRandom(0.5), peer)
        core.start()
        core.onOpen()
        core.onData(encodePacket({ type: PacketType.CONNACK, sessionPresent: false, returnCode: 0 }))
        peer.take()
        core.onData(encodePacket(pub("in", 1, 11, false)))
        expect(peer.take().length).toBe(0)
        clock.t = core.nextDeadline()
        core.tick()
        expect(ackIds(peer.take()).join(",")).toBe("11")
    })
})
