// Test doubles for the portable CoAP-over-TCP code: a clock that moves only when told, a
// repeatable random source, and an in-memory stream connector whose "peer" side the test drives.
// Portable (no node:*), so the specs also run in the DeviceScript simulator.

import { Clock, Random, Stream, StreamConnector, StreamEvents, StreamTarget } from "../../../src/io"
import { CoapMessage, CoapType, newMessage } from "../../../src/coap/codec/message"
import { CoapTcpFrameReader, encodeTcpMessage } from "../../../src/coap/codec/codec"

export class FakeClock implements Clock {
    t: number
    constructor() {
        this.t = 1000
    }
    now(): number {
        return this.t
    }
    advance(ms: number): void {
        this.t += ms
    }
}

/** A small LCG: deterministic, different values each call. */
export class SeqRandom implements Random {
    private s: number
    constructor(seed: number) {
        this.s = seed
    }
    next(): number {
        this.s = (Math.imul(this.s, 1103515245) + 12345) >>> 0
        return (this.s >>> 8) / 16777216
    }
}

/** Always the same value: for exact backoff checks. */
export class FixedRandom implements Random {
    v: number
    constructor(v: number) {
        this.v = v
    }
    next(): number {
        return this.v
    }
}

/** The far end of one in-memory stream, as the test sees it. */
export class FakePeer {
    events: StreamEvents
    target: StreamTarget
    written: Buffer[]
    closedByClient: boolean
    private reader: CoapTcpFrameReader
    received: CoapMessage[]

    constructor(target: StreamTarget, events: StreamEvents) {
        this.target = target
        this.events = events
        this.written = []
        this.received = []
        this.closedByClient = false
        this.reader = new CoapTcpFrameReader(1 << 20)
    }
    /** Bytes the client wrote, decoded as messages (all so far, in order). */
    messages(): CoapMessage[] {
        return this.received
    }
    take(bytes: Buffer): void {
        this.written.push(bytes)
        this.reader.push(bytes)
        while (true) {
            const m = this.reader.nextMessage()
            if (m === undefined) return
            this.received.push(m)
        }
    }
    /** The peer sends one message to the client. */
    sendMsg(m: CoapMessage): void {
        this.events.onData(encodeTcpMessage(m))
    }
    sendBytes(b: Buffer): void {
        this.events.onData(b)
    }
    /** The peer (or network) closes the stream. */
    drop(reason: string): void {
        this.events.onClose(reason)
    }
}

export class FakeConnector implements StreamConnector {
    peers: FakePeer[]
    constructor() {
        this.peers = []
    }
    open(target: StreamTarget, events: StreamEvents): Stream {
        const peer = new FakePeer(target, events)
        this.peers.push(peer)
        return {
            write: (data: Buffer) => peer.take(data),
            close: () => {
                peer.closedByClient = true
            },
        }
    }
    last(): FakePeer {
        return this.peers[this.peers.length - 1]
    }
}

export function signal(code: number, token?: Buffer): CoapMessage {
    return newMessage(CoapType.CON, code, 0, token)
}
