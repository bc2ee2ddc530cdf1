// The outbox: PUBLISH messages accepted from the application but not yet written, because the
// client is offline or the in-flight window is full. It is bounded by message count and bytes.
//
// Policy (documented in docs/mqtt-client.md):
// - A QoS 0 message may be dropped: when a new message does not fit, the OLDEST queued QoS 0
//   messages are dropped first until it fits; if it still does not fit and it is QoS 0 itself,
//   the new one is dropped. Every drop completes that message with QOS0_DROPPED and is counted.
// - A QoS 1/2 message is never dropped silently: if it does not fit after dropping all QoS 0,
//   add() throws OUTBOX_FULL and nothing is queued, so the caller knows immediately.

import { QoS } from "../codec/packets"
import { Payload } from "../../io"
import { ClientErrorCode, MqttClientError } from "./session-errors"
import { removeAt } from "./session-util"
import { utf8Length } from "../../util/bytes"

/** Completion callback of an operation; err is undefined on success. */
export type DoneCallback = (err: Error | undefined) => void

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
    /** A string (or strings, one after the other) goes out as its UTF-8 bytes (writePublish). */
    payload: Payload
    qos: QoS
    retain: boolean
    packetId: number
    state: OutState
    /** undefined when the application gave no callback. */
    done: DoneCallback | undefined
}

/**
 * What a message costs in the byte budget: topic characters + payload bytes (approximate:
 * the topic's characters; no allocation). A payload in parts counts its bytes, not its number of parts.
 */
export function messageCost(m: OutMessage): number {
    return m.topic.length + utf8Length(m.payload)
}

/**
 * The outbox: a record and free functions rather than a class (a class costs the board a
 * constructor and a prototype entry per method). (Session.end() empties it.)
 */
export interface Outbox {
    /** The queued messages, oldest first; read-only outside (size and peek are items.length, items[0]). */
    items: OutMessage[]
    /** Bytes (messageCost) of the queued messages; read-only outside this file. */
    used: number
    maxMessages: number
    maxBytes: number
    /** Called for each QoS 0 message the policy drops. */
    onDrop: (m: OutMessage) => void
}

export function newOutbox(maxMessages: number, maxBytes: number, onDrop: (m: OutMessage) => void): Outbox {
    return { items: [], used: 0, maxMessages, maxBytes, onDrop }
}

/** Removes and returns the oldest queued message; undefined when none is queued. */
export function outboxShift(o: Outbox): OutMessage | undefined {
    const m = o.items.shift()
    if (m) o.used -= messageCost(m)
    return m
}

/** Queues m under the policy above; throws MqttClientError(OUTBOX_FULL) for a QoS 1/2 message that cannot fit. */
export function outboxAdd(o: Outbox, m: OutMessage): void {
    const cost = messageCost(m)
    while (o.items.length >= o.maxMessages || o.used + cost > o.maxBytes) {
        // drop the oldest queued QoS 0 message (searched afresh: onDrop runs application code)
        const items = o.items
        let i = 0
        while (i < items.length && items[i].qos !== 0) i++
        if (i === items.length) {
            if (m.qos === 0) {
                o.onDrop(m)
                return
            }
            throw new MqttClientError(
                ClientErrorCode.OUTBOX_FULL,
                "outbox full (" + items.length + " messages, " + o.used + " bytes): QoS " + m.qos + " message to " + m.topic + " not queued"
            )
        }
        const dropped = items[i]
        removeAt(items, i)
        o.used -= messageCost(dropped)
        o.onDrop(dropped)
    }
    o.items.push(m)
    o.used += cost
}
