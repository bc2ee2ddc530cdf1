import { describe, expect, test } from "@devicescript/test"
import { Backoff } from "../../../src/mqtt/backoff"
import { Outbox, OutMessage, OutState } from "../../../src/mqtt/outbox"
import { allocateId, newPacketIds, releaseId } from "../../../src/mqtt/packet-ids"
import { QoS } from "../../../src/mqtt/packets"
import { FixedRandom, thrownCode } from "./harness"

describe("packet ids (2.3.1)", () => {
    test("hands out 1, 2, 3 and never 0", () => {
        const ids = newPacketIds()
        expect(allocateId(ids)).toBe(1)
        expect(allocateId(ids)).toBe(2)
        expect(allocateId(ids)).toBe(3)
    })
    test("wraps from 65535 to 1", () => {
        const ids = newPacketIds()
        ids.nextId = 65535
        expect(allocateId(ids)).toBe(65535)
        expect(allocateId(ids)).toBe(1)
    })
    test("skips ids still in flight after the wrap, reuses released ones", () => {
        const ids = newPacketIds()
        const a = allocateId(ids) // 1
        const b = allocateId(ids) // 2
        ids.nextId = 65535
        expect(allocateId(ids)).toBe(65535)
        expect(allocateId(ids)).toBe(3) // 1 and 2 are in flight
        releaseId(ids, a)
        ids.nextId = 1
        expect(allocateId(ids)).toBe(1)
        expect(ids.inUse.indexOf(b) >= 0).toBe(true)
        expect(ids.inUse.length).toBe(4)
    })
    test("a released id is not reused until the counter comes round", () => {
        const ids = newPacketIds()
        const first = allocateId(ids)
        releaseId(ids, first)
        expect(allocateId(ids)).toBe(2)
    })
})

describe("backoff with full jitter", () => {
    test("ceiling doubles from min up to max", () => {
        const b = new Backoff(1000, 8000, new FixedRandom(0.5))
        const ceilings: number[] = []
        for (let i = 0; i < 6; i++) {
            ceilings.push(b.cap)
            b.next()
        }
        expect(ceilings.join(",")).toBe("1000,2000,4000,8000,8000,8000")
    })
    test("delay is random * ceiling: 0 at the bottom, below the ceiling at the top", () => {
        const low = new Backoff(1000, 8000, new FixedRandom(0))
        expect(low.next()).toBe(0)
        const high = new Backoff(1000, 8000, new FixedRandom(0.9999))
        high.next()
        high.next()
        const d = high.next() // ceiling 4000
        expect(d >= 3999 && d < 4000).toBe(true)
        const half = new Backoff(1000, 8000, new FixedRandom(0.5))
        expect(half.next()).toBe(500)
        expect(half.next()).toBe(1000)
    })
    test("reset starts again from min", () => {
        const b = new Backoff(1000, 8000, new FixedRandom(0.5))
        b.next()
        b.next()
        b.reset()
        expect(b.cap).toBe(1000)
    })
})

function msg(qos: QoS, topic: string, size: number): OutMessage {
    return { topic, payload: Buffer.alloc(size), qos, retain: false, packetId: 0, state: OutState.QUEUED, done: undefined }
}

describe("outbox policy", () => {
    test("drops the oldest QoS 0 first to admit a new message", () => {
        const dropped: string[] = []
        const o = new Outbox(3, 10000, function (m: OutMessage) {
            dropped.push(m.topic)
        })
        o.add(msg(1, "q1", 1))
        o.add(msg(0, "a", 1))
        o.add(msg(0, "b", 1))
        o.add(msg(2, "q2", 1))
        expect(dropped.join(",")).toBe("a")
        o.add(msg(0, "c", 1))
        expect(dropped.join(",")).toBe("a,b")
        expect(o.items.length).toBe(3)
        expect(o.shift().topic).toBe("q1")
        expect(o.shift().topic).toBe("q2")
        expect(o.shift().topic).toBe("c")
    })
    test("QoS 1/2 are never dropped: a full outbox throws OUTBOX_FULL and keeps what it had", () => {
        const dropped: string[] = []
        const o = new Outbox(2, 10000, function (m: OutMessage) {
            dropped.push(m.topic)
        })
        o.add(msg(1, "a", 1))
        o.add(msg(2, "b", 1))
        expect(thrownCode(() => o.add(msg(1, "c", 1)))).toBe("OUTBOX_FULL")
        expect(o.items.length).toBe(2)
        expect(dropped.length).toBe(0)
        // a new QoS 0 that cannot fit is itself dropped, and counted by the callback
        o.add(msg(0, "z", 1))
        expect(dropped.join(",")).toBe("z")
        expect(o.items.length).toBe(2)
    })
    test("the byte bound counts topic characters plus payload bytes", () => {
        const dropped: string[] = []
        const o = new Outbox(100, 20, function (m: OutMessage) {
            dropped.push(m.topic)
        })
        o.add(msg(0, "t0", 8)) // 10
        o.add(msg(1, "t1", 8)) // 20
        expect(o.used).toBe(20)
        o.add(msg(1, "t2", 3)) // needs 5: drops t0
        expect(dropped.join(",")).toBe("t0")
        expect(o.used).toBe(15)
        expect(thrownCode(() => o.add(msg(2, "t3", 10)))).toBe("OUTBOX_FULL")
    })
})
