// 2.3.1 Packet Identifier: non-zero 16-bit, unique among this client's unacknowledged
// PUBLISH (QoS > 0), SUBSCRIBE and UNSUBSCRIBE. Ids are handed out round-robin, so a released
// id is not reused until the counter wraps past 65535; an id still in flight is always skipped.
// The in-use list is as long as the in-flight window plus pending (un)subscribes, so a linear
// scan beats any map on the board.

import { removeAt } from "./session-util"

export class PacketIds {
    private inUse: number[]
    private nextId: number

    constructor() {
        this.inUse = []
        this.nextId = 1
    }

    /** Sets where the next search starts (tests use it to exercise the wrap). */
    setNext(id: number): void {
        this.nextId = id
    }

    /** A fresh id, marked in use. Throws when all 65535 are in flight. */
    allocate(): number {
        for (let tries = 0; tries < 65535; tries++) {
            const id = this.nextId
            this.nextId = id >= 65535 ? 1 : id + 1
            if (this.inUse.indexOf(id) < 0) {
                this.inUse.push(id)
                return id
            }
        }
        throw new Error("all 65535 packet ids in flight")
    }

    release(id: number): void {
        const i = this.inUse.indexOf(id)
        if (i >= 0) removeAt(this.inUse, i)
    }

    isInUse(id: number): boolean {
        return this.inUse.indexOf(id) >= 0
    }

    count(): number {
        return this.inUse.length
    }

    clear(): void {
        this.inUse = []
    }
}
