// 2.3.1 Packet Identifier: non-zero 16-bit, unique among this client's unacknowledged
// PUBLISH (QoS > 0), SUBSCRIBE and UNSUBSCRIBE. Ids are handed out round-robin, so a released
// id is not reused until the counter wraps past 65535; an id still in flight is always skipped.
// The in-use list is as long as the in-flight window plus pending (un)subscribes, so a linear
// scan beats any map on the board. A record and free functions rather than a class: a class
// costs the board a constructor and a prototype entry per method.

import { removeAt } from "./session-util"

export interface PacketIds {
    /** Ids handed out and not released. */
    inUse: number[]
    /** Where the next search starts (tests set it to exercise the wrap). */
    nextId: number
}

export function newPacketIds(): PacketIds {
    return { inUse: [], nextId: 1 }
}

/** A fresh id, marked in use. Throws when all 65535 are in flight. */
export function allocateId(ids: PacketIds): number {
    const used = ids.inUse
    if (used.length >= 65535) throw new Error("all 65535 packet ids in flight")
    // a free id exists, so this ends
    while (true) {
        const id = ids.nextId
        ids.nextId = (id % 65535) + 1
        if (used.indexOf(id) < 0) {
            used.push(id)
            return id
        }
    }
}

export function releaseId(ids: PacketIds, id: number): void {
    const i = ids.inUse.indexOf(id)
    if (i >= 0) removeAt(ids.inUse, i)
}
