import { describe, expect, test } from "@devicescript/test"
import { newBackoff, nextBackoff, resetBackoff } from "../../../src/mqtt/session/backoff"
import { newOutbox, outboxAdd, outboxShift, OutMessage, OutState } from "../../../src/mqtt/session/outbox"
import { allocateId, newPacketIds, releaseId } from "../../../src/mqtt/session/packet-ids"
import { QoS } from "../../../src/mqtt/codec/packets"
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
        const b = newBackoff(1000, 8000, new FixedRandom(0.5))
        const ceilings: number[] = []
        for (let i = 0; i < 6; i++) {
            ceilings.push(b.cap)
            nextBackoff(b)
        }
        expect(ceilings.join(",")).toBe("1000,2000,4000,8000,8000,8000")
    })
    test("delay is random * ceiling: 0 at the bottom, below the ceiling at the top", () => {
        const low = newBackoff(1000, 8000, new FixedRandom(0))
        expect(nextBackoff(low)).toBe(0)
        const high = newBackoff(1000, 8000, new FixedRandom(0.9999))
        nextBackoff(high)
        nextBackoff(high)
        const d = nextBackoff(high) // ceiling 4000
        expect(d >= 3999 && d < 4000).toBe(true)
        const half = newBackoff(1000, 8000, new FixedRandom(0.5))
        expect(nextBackoff(half)).toBe(500)
        expect(nextBackoff(half)).toBe(1000)
    })
    test("reset starts again from min", () => {
        const b = newBackoff(1000, 8000, new FixedRandom(0.5))
        nextBackoff(b)
        nextBackoff(b)
        resetBackoff(b)
        expect(b.cap).toBe(1000)
    })
})

function msg(qos: QoS, topic: string, size: number): OutMessage {
    return { topic, payload: Buffer.alloc(size), qos, retain: false, packetId: 0, state: OutState.QUEUED, done: undefined }
}

describe("outbox policy", () => {
    test("drops the oldest QoS 0 first to admit a new message", () => {
        const dropped: string[] = []
        const o = newOutbox(3, 10000, function (m: OutMessage) {
            dropped.push(m.topic)
        })
        outboxAdd(o, msg(1, "q1", 1))
        outboxAdd(o, msg(0, "a", 1))
        outboxAdd(o, msg(0, "b", 1))
        outboxAdd(o, msg(2, "q2", 1))
        expect(dropped.join(",")).toBe("a")
        outboxAdd(o, msg(0, "c", 1))
        expect(dropped.join(",")).toBe("a,b")
        expect(o.items.length).toBe(3)
        expect(outboxShift(o).topic).toBe("q1")
        expect(outboxShift(o).topic).toBe("q2")
        expect(outboxShift(o).topic).toBe("c")
    })
    test("QoS 1/2 are never dropped: a full outbox throws OUTBOX_FULL and keeps what it had", () => {
        const dropped: string[] = []
        const o = newOutbox(2, 10000, function (m: OutMessage) {
            dropped.push(m.topic)
        })
        outboxAdd(o, msg(1, "a", 1))
        outboxAdd(o, msg(2, "b", 1))
        expect(thrownCode(() => outboxAdd(o, msg(1, "c", 1)))).toBe("OUTBOX_FULL")
        expect(o.items.length).toBe(2)
        expect(dropped.length).toBe(0)
        // a new QoS 0 that cannot fit is itself dropped, and counted by the callback
        outboxAdd(o, msg(0, "z", 1))
        expect(dropped.join(",")).toBe("z")
        expect(o.items.length).toBe(2)
    })
    test("the byte bound counts topic characters plus payload bytes", () => {
        const dropped: string[] = []
        const o = newOutbox(100, 20, function (m: OutMessage) {
            dropped.push(m.topic)
        })
        outboxAdd(o, msg(0, "t0", 8)) // 10
        outboxAdd(o, msg(1, "t1", 8)) // 20
        expect(o.used).toBe(20)
        outboxAdd(o, msg(1, "t2", 3)) // needs 5: drops t0
        expect(dropped.join(",")).toBe("t0")
        expect(o.used).toBe(15)
        expect(thrownCode(() => outboxAdd(o, msg(2, "t3", 10)))).toBe("OUTBOX_FULL")
    })
    test("a payload in parts costs its bytes, not its number of parts", () => {
        const o = newOutbox(100, 40, function (m: OutMessage) {})
        const parts: OutMessage = {
            topic: "tx",
            payload: ['{"result":', "[1,2,3,4,5,6,7,8]", ',"id":7}'],
            qos: 1,
            retain: false,
            packetId: 0,
            state: OutState.QUEUED,
            done: undefined,
        }
        outboxAdd(o, parts)
        expect(o.used).toBe(2 + 35)
        expect(thrownCode(() => outboxAdd(o, msg(1, "t", 4)))).toBe("OUTBOX_FULL")
    })
})
