// Test harness for the CoAP endpoint: a fake clock, a scripted random source, and an in-memory
// datagram pipe between a scripted client and the server (a MessageLayer + CoapServer), with
// loss. Portable (imports only src/), so the specs run in vitest and in the DeviceScript simulator.

import type { Clock, Random } from "../../../src/io"
import { MessageLayer } from "../../../src/coap/transport/messagelayer"
import { CoapServer, ServerOptions } from "../../../src/coap/server/endpoint"
import { TransmissionParams } from "../../../src/coap/transport/messagelayer-params"
import { decodeMessage, encodeMessage } from "../../../src/coap/codec/codec"
import {
    CoapCode,
    CoapMessage,
    CoapType,
    addOption,
    getUintOption,
    newMessage,
    setUriPath,
    setUintOption,
} from "../../../src/coap/codec/message"
import { OptionNumber } from "../../../src/coap/codec/options"

export class FakeClock implements Clock {
    t: number
    constructor() {
        this.t = 0
    }
    now(): number {
        return this.t
    }
}

/** Returns the given values in turn (the last one repeats). */
export class ScriptedRandom implements Random {
    values: number[]
    i: number
    constructor(values: number[]) {
        this.values = values
        this.i = 0
    }
    next(): number {
        const v = this.values[this.i < this.values.length ? this.i : this.values.length - 1]
        this.i++
        return v
    }
}

export interface Sent {
    bytes: Buffer
    peer: string
    at: number
}

export interface HarnessOptions {
    random?: number[]
    separateAfter?: number
    dedupCapacity?: number
    maxBlockSzx?: number
    params?: TransmissionParams
    maxObservers?: number
    conEveryN?: number
    conInterval?: number
    maxBodySize?: number
    initialObserveSeq?: number
}

/** A server on an in-memory pipe. Datagrams the server sends land in `sent` (unless dropped). */
export class Harness {
    clock: FakeClock
    ml: MessageLayer
    server: CoapServer
    sent: Sent[]
    /** Server datagrams to drop, counting from the next one (loss on the way to the client). */
    dropFromServer: number
    dropped: number

    constructor(o: HarnessOptions) {
        this.clock = new FakeClock()
        this.sent = []
        this.dropFromServer = 0
        this.dropped = 0
        const self = this
        this.ml = new MessageLayer({
            clock: this.clock,
            random: new ScriptedRandom(o.random !== undefined ? o.random : [0]),
            send: (bytes: Buffer, peer: string) => {
                if (self.dropFromServer > 0) {
                    self.dropFromServer--
                    self.dropped++
                    return
                }
                self.sent.push({ bytes: bytes, peer: peer, at: self.clock.t })
            },
            separateAfter: o.separateAfter,
            dedupCapacity: o.dedupCapacity,
            maxBlockSzx: o.maxBlockSzx,
            params: o.params,
        })
        const so: ServerOptions = {
            clock: this.clock,
            maxObservers: o.maxObservers,
            conEveryN: o.conEveryN,
            conInterval: o.conInterval,
            maxBodySize: o.maxBodySize,
            initialObserveSeq: o.initialObserveSeq,
        }
        this.server = new CoapServer(this.ml, so)
        this.ml.attach(this.server)
    }

    /** Delivers a client message to the server. */
    deliver(msg: CoapMessage, peer?: string): void {
        this.ml.receive(encodeMessage(msg), peer !== undefined ? peer : "client")
    }

    /** Moves the clock to `t` and runs due timers. */
    advance(t: number): void {
        this.clock.t = t
        this.ml.tick(t)
    }

    /** Decoded server datagrams so far. */
    messages(): CoapMessage[] {
        const r: CoapMessage[] = []
        for (const s of this.sent) r.push(decodeMessage(s.bytes))
        return r
    }

    last(): CoapMessage {
        return decodeMessage(this.sent[this.sent.length - 1].bytes)
    }

    count(): number {
        return this.sent.length
    }

    clear(): void {
        this.sent = []
    }
}

/** A request from the scripted client. */
export function request(type: CoapType, code: number, mid: number, token: string, path: string): CoapMessage {
    const m = newMessage(type, code, mid, Buffer.from(token, "hex"))
    setUriPath(m, path)
    return m
}

export function get(mid: number, token: string, path: string): CoapMessage {
    return request(CoapType.CON, CoapCode.GET, mid, token, path)
}

export function withUint(m: CoapMessage, num: number, v: number): CoapMessage {
    setUintOption(m, num, v)
    return m
}

export function withOption(m: CoapMessage, num: number, value: Buffer): CoapMessage {
    addOption(m, num, value)
    return m
}

export function withPayload(m: CoapMessage, text: string): CoapMessage {
    m.payload = Buffer.from(text)
    return m
}

/** An ACK from the client for a server CON. */
export function ack(mid: number): CoapMessage {
    return newMessage(CoapType.ACK, CoapCode.Empty, mid)
}

export function rst(mid: number): CoapMessage {
    return newMessage(CoapType.RST, CoapCode.Empty, mid)
}

export function observeOf(m: CoapMessage): number {
    return getUintOption(m, OptionNumber.Observe)
}

export function uintOf(m: CoapMessage, num: number): number {
    return getUintOption(m, num)
}

export function text(m: CoapMessage): string {
    return m.payload.toString("utf-8")
}

// DeviceScript's watchdog panics after ~128k bytecode ops without a yield, and its test runner
// never yields between tests. Each test starts with `await pause()`: a no-op in Node; the
// simulator entry (test/devs/coap-endpoint.ts) installs a real yield (ds.sleep(0)).
let pauseHook: () => Promise<void> = undefined

export function setPause(hook: () => Promise<void>): void {
    pauseHook = hook
}

export async function pause(): Promise<void> {
    if (pauseHook !== undefined) await pauseHook()
}
