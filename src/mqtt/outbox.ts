// The outbox: PUBLISH messages accepted from the application but not yet written, because the
// client is offline or the in-flight window is full. It is bounded by message count and bytes.
//
// Policy (documented in docs/mqtt-client.md):
// - A QoS 0 message may be dropped: when a new message does not fit, the OLDEST queued QoS 0
//   messages are dropped first until it fits; if it still does not fit and it is QoS 0 itself,
//   the new one is dropped. Every drop completes that message with QOS0_DROPPED and is counted.
// - A QoS 1/2 message is never dropped silently: if it does not fit after dropping all QoS 0,
//   add() throws OUTBOX_FULL and nothing is queued, so the caller knows immediately.

import { QoS } from "./packets"
import { ClientErrorCode, MqttClientError } from "./session-errors"
import { removeAt } from "./session-util"

/** Completion callback of an operation; err is undefined on success. */
export type DoneCallback = (err: Error) => void

export const enum OutState {
    /** In the outbox, no packet id yet. */
    QUEUED = 0,
    /** QoS 1: PUBLISH written, waiting for PUBACK (4.3.2). */
    AWAIT_PUBACK = 1,
    /** QoS 2: PUBLISH written, waiting for PUBREC (4.3.3). */
    AWAIT_PUBREC = 2,
    /** QoS 2: PUBREL written, waiting for PUBCOMP (4.3.3). */
    AWAIT_PUBCOMP = 3,
}

/** One outgoing application message; the same record moves from the outbox into the window. */
export interface OutMessage {
    topic: string
    payload: Buffer
    qos: QoS
    retain: boolean
    packetId: number
    state: OutState
    done: DoneCallback
}

/** What a message costs in the byte budget: topic characters + payload bytes (approximate, no allocation). */
export function messageCost(m: OutMessage): number {
    return m.topic.length + m.payload.length
}

export class Outbox {
    private items: OutMessage[]
    private usedBytes: number
    private maxMessages: number
    private maxBytes: number
    /** Called for each QoS 0 message the policy drops. */
    private onDrop: (m: OutMessage) => void

    constructor(maxMessages: number, maxBytes: number, onDrop: (m: OutMessage) => void) {
        this.items = []
        this.usedBytes = 0
        this.maxMessages = maxMessages
        this.maxBytes = maxBytes
        this.onDrop = onDrop
    }

    size(): number {
        return this.items.length
    }

    bytes(): number {
        return this.usedBytes
    }

    peek(): OutMessage {
        return this.items.length > 0 ? this.items[0] : undefined
    }

    shift(): OutMessage {
        const m = this.items.shift()
        if (m) this.usedBytes -= messageCost(m)
        return m
    }

    /** Queues m under the policy above; throws MqttClientError(OUTBOX_FULL) for a QoS 1/2 message that cannot fit. */
    add(m: OutMessage): void {
        const cost = messageCost(m)
        while (!this.fits(cost)) {
            const i = this.oldestQos0()
            if (i < 0) break
            const dropped = this.items[i]
            removeAt(this.items, i)
            this.usedBytes -= messageCost(dropped)
            this.onDrop(dropped)
        }
        if (!this.fits(cost)) {
            if (m.qos === 0) {
                this.onDrop(m)
                return
            }
            throw new MqttClientError(
                ClientErrorCode.OUTBOX_FULL,
                "outbox full (" + this.items.length + " messages, " + this.usedBytes + " bytes): QoS " + m.qos + " message to " + m.topic + " not queued"
            )
        }
        this.items.push(m)
        this.usedBytes += cost
    }

    /** Empties the outbox, handing each message to fn (used by end()). */
    drain(fn: (m: OutMessage) => void): void {
        const all = this.items
        this.items = []
        this.usedBytes = 0
        for (const m of all) fn(m)
    }

    private fits(cost: number): boolean {
        return this.items.length + 1 <= this.maxMessages && this.usedBytes + cost <= this.maxBytes
    }

    private oldestQos0(): number {
        for (let i = 0; i < this.items.length; i++) if (this.items[i].qos === 0) return i
        return -1
    }
}
