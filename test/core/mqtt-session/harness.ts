// An in-memory broker side for the pure Session: a fake clock, scripted randomness, and a sink
// that decodes every write with the codec (decodeFrame, so a write holding anything but exactly
// one packet fails the test). Portable: runs under vitest and in the DeviceScript simulator.

import { Clock, Payload, Random } from "../../../src/io"
import { decodeFrame } from "../../../src/mqtt/codec/decode"
import { encodePacket } from "../../../src/mqtt/codec/encode"
import { Packet, PacketType, PublishPacket, QoS } from "../../../src/mqtt/codec/packets"
import { Session, SessionOptions, SessionSink } from "../../../src/mqtt/session/session"
import { MqttClientError } from "../../../src/mqtt/session/session-errors"
import { concatBytes } from "../../../src/util/bytes"

export class FakeClock implements Clock {
    t: number
    constructor() {
        this.t = 1000
    }
    now(): number {
        return this.t
    }
}

/** Returns the given value every time (tests pick the end of the jitter range they check). */
export class FixedRandom implements Random {
    value: number
    constructor(value: number) {
        this.value = value
    }
    next(): number {
        return this.value
    }
}

export class Peer implements SessionSink {
    /** The last Buffer written (decodeWrite). */
    head?: Buffer
    /** The last text (or text in parts) written after a header, as it was written. */
    text?: string | string[]
    opens: number
    closes: number
    written: Packet[]
    messages: PublishPacket[]
    /** "topic size limit" per oversize report. */
    oversized: string[]
    errors: MqttClientError[]
    connects: boolean[]
    disconnects: string[]

    constructor() {
        this.opens = 0
        this.closes = 0
        this.written = []
        this.messages = []
        this.oversized = []
        this.errors = []
        this.connects = []
        this.disconnects = []
    }
    openStream(): void {
        this.opens++
    }
    write(bytes: Payload): void {
        this.written.push(decodeWrite(this.written, this, bytes))
    }
    closeStream(): void {
        this.closes++
    }
    connected(sessionPresent: boolean): void {
        this.connects.push(sessionPresent)
    }
    disconnected(reason: string, error: MqttClientError): void {
        this.disconnects.push(reason)
    }
    message(p: PublishPacket): void {
        this.messages.push(p)
    }
    oversize(topic: string, size: number, limit: number): void {
        this.oversized.push(topic + " " + size + " " + limit)
    }
    error(e: Error): void {
        this.errors.push(e as MqttClientError)
    }

    /** The packets written since the last take(). */
    take(): Packet[] {
        const w = this.written
        this.written = []
        return w
    }

    lastError(): MqttClientError {
        return this.errors.length > 0 ? this.errors[this.errors.length - 1] : undefined
    }
}

export interface Rig {
    clock: FakeClock
    random: FixedRandom
    peer: Peer
    session: Session
}

/**
 * The packet a fake stream or sink was given in one write. A long text payload comes as the
 * PUBLISH's header and then the text (SessionSink.write): the header alone decodes to undefined,
 * and the text replaces it with the whole packet.
 */
export function decodeWrite(written: Packet[], holder: { head?: Buffer; text?: string | string[] }, data: Payload): Packet {
    if (!(data instanceof Buffer)) {
        // a text, or a text in parts (kept as written in holder.text)
        holder.text = data as string | string[]
        let text = data as string
        if (typeof data !== "string") text = (data as string[]).join("")
        written.pop()
        return decodeFrame(concatBytes([holder.head as Buffer, Buffer.from(text)]))
    }
    holder.head = data as Buffer
    try {
        return decodeFrame(data as Buffer)
    } catch (e) {
        return undefined as unknown as Packet
    }
}

export function options(): SessionOptions {
    return {
        clientId: "unit",
        clean: true,
        keepalive: 60,
        reconnectMin: 1000,
        reconnectMax: 8000,
        connectTimeout: 5000,
        inflightWindow: 16,
        outboxMaxMessages: 8,
        outboxMaxBytes: 1000,
    }
}

export function rig(o: SessionOptions): Rig {
    const clock = new FakeClock()
    const random = new FixedRandom(0.5)
    const peer = new Peer()
    const session = new Session(o, clock, random, peer)
    return { clock, random, peer, session }
}

/** Broker -> client: encode with the codec and feed as stream bytes. */
export function feed(r: Rig, p: Packet): void {
    r.session.onData(encodePacket(p))
}

export function connack(r: Rig, sessionPresent: boolean, returnCode: number): void {
    feed(r, { type: PacketType.CONNACK, sessionPresent, returnCode })
}

/** Opens the stream (after the backoff if reconnecting), checks CONNECT went out, answers CONNACK accepted. Discards earlier writes. */
export function bringUp(r: Rig, sessionPresent: boolean): void {
    r.peer.take()
    if (r.session.getState() === 0) r.session.start()
    else {
        r.clock.t = r.session.nextDeadline()
        r.session.tick()
    }
    r.session.onOpen()
    const w = r.peer.take()
    if (w.length !== 1 || w[0].type !== PacketType.CONNECT) throw new Error("expected one CONNECT")
    connack(r, sessionPresent, 0)
}

export function ack(r: Rig, type: number, packetId: number): void {
    feed(r, { type: type as PacketType.PUBACK, packetId })
}

export function pub(topic: string, qos: QoS, packetId: number, dup: boolean): PublishPacket {
    return { type: PacketType.PUBLISH, topic, payload: Buffer.from("m"), qos, retain: false, dup, packetId: qos > 0 ? packetId : undefined }
}

/** Counts how many times done callbacks ran, and the last error code. */
export class Done {
    ok: number
    failed: number
    lastCode: string
    constructor() {
        this.ok = 0
        this.failed = 0
        this.lastCode = ""
    }
    cb(): (err: Error) => void {
        const self = this
        return function (err: Error) {
            if (err) {
                self.failed++
                self.lastCode = (err as MqttClientError).code
            } else self.ok++
        }
    }
}

/** The code of the error fn throws, or "" if it does not throw. */
export function thrownCode(fn: () => void): string {
    try {
        fn()
    } catch (e) {
        const c = (e as MqttClientError).code
        return c === undefined ? "threw" : c
    }
    return ""
}
