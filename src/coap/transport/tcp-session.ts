// The board's CoAP-over-TCP/TLS link to a head-end (RFC 8323): dials through the platform's
// StreamConnector (the board's ONE socket), runs a CoapTcpConnection on each stream, and
// reconnects with exponential backoff and full jitter (the MQTT client's Backoff) when the stream ends. Requests flow both
// ways: the board registers with the head-end and the head-end sends requests to the board.
// tick() drives every timer; call it every ~100-1000 ms.

import { Clock, Random, Stream, StreamConnector, StreamEvents, StreamTarget } from "../../io"
import { CoapMessage } from "../codec/message"
import { CoapReply, CoapTcpConnection, CoapTcpHandler, CoapTcpOptions } from "./tcp-connection"
import { CoapResponseCallback } from "./token-matcher"
import { Backoff, newBackoff, nextBackoff, resetBackoff } from "../../mqtt/session/backoff"

export interface CoapTcpSessionOptions extends CoapTcpOptions {
    /** First reconnect waits up to this (full jitter). Default 1000. */
    backoffMinMs?: number
    /** Reconnect waits never exceed this. Default 60000. */
    backoffMaxMs?: number
}

export interface CoapTcpSessionHandler {
    /** A request from the head-end; `reply` may be called again for Observe notifications. */
    onRequest(req: CoapMessage, reply: CoapReply): void
    /** CSMs exchanged: the link is usable (register here). */
    onUp(): void
    /** The link went down; a reconnect follows after `retryInMs` unless stop() was called. */
    onDown(reason: string, retryInMs: number): void
}

export class CoapTcpSession {
    private connector: StreamConnector
    private clock: Clock
    private random: Random
    private handler: CoapTcpSessionHandler
    private target: StreamTarget
    private options: CoapTcpSessionOptions
    private conn: CoapTcpConnection | undefined
    private stream: Stream | undefined
    /** Bumped per stream so events of a stream we left are ignored. */
    private generation: number
    private backoff: Backoff
    private reconnectAt: number
    private running: boolean
    /** True while a connection with exchanged CSMs is open (read-only outside; see tcpSessionUp). */
    up: boolean

    constructor(
        connector: StreamConnector,
        target: StreamTarget,
        clock: Clock,
        random: Random,
        handler: CoapTcpSessionHandler,
        options: CoapTcpSessionOptions
    ) {
        this.connector = connector
        this.target = target
        this.clock = clock
        this.random = random
        this.handler = handler
        this.options = options ? options : {}
        this.conn = undefined
        this.stream = undefined
        this.generation = 0
        this.backoff = newBackoff(
            this.options.backoffMinMs === undefined ? 1000 : this.options.backoffMinMs,
            this.options.backoffMaxMs === undefined ? 60000 : this.options.backoffMaxMs,
            random
        )
        this.reconnectAt = -1
        this.running = false
        this.up = false
    }

    /** Starts dialling (at once). */
    start(): void {
        if (this.running) return
        this.running = true
        this.dial()
    }

    /** Graceful stop: Release (RFC 8323 5.5), close, and no reconnect. */
    stop(): void {
        this.running = false
        this.reconnectAt = -1
        if (this.conn) this.conn.release("stopped")
    }

    /** The current connection (undefined between connections). */
    connection(): CoapTcpConnection | undefined {
        return this.conn
    }

    /** Sends a request to the head-end; fails at once with "offline" when the link is down. */
    request(req: CoapMessage, cb: CoapResponseCallback): Buffer | undefined {
        if (!this.up || !this.conn) {
            cb(undefined, "offline")
            return undefined
        }
        return this.conn.request(req, cb)
    }

    cancel(token: Buffer): void {
        if (this.conn) this.conn.cancel(token)
    }

    /** Drops the link now (e.g. the network changed); a reconnect follows with backoff. */
    drop(reason: string): void {
        if (this.conn) this.conn.abort(reason, -1)
    }

    tick(): void {
        if (this.conn) this.conn.tick()
        if (this.running && this.conn === undefined && this.reconnectAt >= 0 && this.clock.now() >= this.reconnectAt) {
            this.reconnectAt = -1
            this.dial()
        }
    }

    private dial(): void {
        const self = this
        this.generation++
        const gen = this.generation
        const handler: CoapTcpHandler = {
            onRequest: (req: CoapMessage, reply: CoapReply) => self.handler.onRequest(req, reply),
            onReady: () => {
                if (gen !== self.generation) return
                self.up = true
                resetBackoff(self.backoff)
                self.handler.onUp()
            },
            onClosed: (reason: string, holdOffMs: number) => self.onConnClosed(gen, reason, holdOffMs),
        }
        const conn = new CoapTcpConnection(
            (bytes: Buffer) => {
                if (gen === self.generation && self.stream) self.stream.write(bytes)
            },
            () => {
                if (gen === self.generation && self.stream) {
                    const s = self.stream
                    self.stream = undefined
                    s.close()
                }
            },
            this.clock,
            this.random,
            handler,
            this.options
        )
        this.conn = conn
        // A connector may report onOpen before open() returns: start the CSM only once the
        // stream is known, or the CSM would have nowhere to go.
        let openedEarly = false
        const events: StreamEvents = {
            onOpen: () => {
                if (gen !== self.generation) return
                if (self.stream) conn.start()
                else openedEarly = true
            },
            onData: (chunk: Buffer) => {
                if (gen === self.generation) conn.onData(chunk)
            },
            onClose: (reason: string) => {
                if (gen !== self.generation) return
                self.stream = undefined
                conn.onStreamClosed(reason)
            },
        }
        this.stream = this.connector.open(this.target, events)
        if (openedEarly && gen === this.generation) conn.start()
    }

    private onConnClosed(gen: number, reason: string, holdOffMs: number): void {
        if (gen !== this.generation) return
        const wasUp = this.up
        this.up = false
        this.conn = undefined
        let delay = -1
        if (this.running) {
            // the MQTT client's rule (src/mqtt/session/backoff): exponential, full jitter
            delay = nextBackoff(this.backoff)
            if (delay < holdOffMs) delay = holdOffMs
            this.reconnectAt = this.clock.now() + delay
        }
        // A link that never came up still reports down, so the application sees every failed dial.
        if (wasUp || this.running) this.handler.onDown(reason, delay)
    }
}

/** True while a connection with exchanged CSMs is open (a free function: see tcpConnectionStatus). */
export function tcpSessionUp(s: CoapTcpSession): boolean {
    return s.up
}
