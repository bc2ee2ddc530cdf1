// One CoAP-over-TCP/TLS connection (RFC 8323), either side: the board's dialled link or a
// connection the gateway accepted. Owns the protocol state of ONE byte stream:
//   - CSM exchange (RFC 8323 5.3): ours first, the peer's must come first too,
//   - Ping/Pong (5.4) both ways; our own Ping when the link was idle, a missing Pong closes it,
//   - Release (5.5) and Abort (5.6),
//   - token-matched requests in BOTH directions (3.3: no message ids, no ACKs on this transport).
// Time only moves through tick(): the platform calls it periodically (or a test with a fake
// clock). Bytes come in through onData(); bytes go out through the `send` callback in one write
// per message. Reconnecting is not this class's business (see ./tcp-session).

import { Clock, Random } from "../../io"
import {
    CoapCode,
    CoapMessage,
    CoapType,
    getUintOption,
    hasOption,
    isRequestCode,
    isResponseCode,
    isSignalingCode,
    newMessage,
    setUintOption,
    setOption,
} from "../codec/message"
import { SignalingOption, isCritical } from "../codec/options"
import { CoapTcpFrameReader, encodeTcpMessage } from "../codec/codec"
import { CoapResponseCallback, TokenMatcher } from "./token-matcher"

/** RFC 8323 5.3.1: the Max-Message-Size every peer may assume before the CSM says otherwise. */
export const DEFAULT_MAX_MESSAGE_SIZE = 1152

export interface CoapTcpOptions {
    /** Largest message we accept (advertised in our CSM). Default 1152 (RFC 8323 5.3.1). */
    maxMessageSize?: number
    /** Advertise Block-Wise-Transfer in our CSM (5.3.2). Default true. */
    blockWise?: boolean
    /** Send a Ping after this long without receiving anything. 0 disables. Default 30000. */
    pingIdleMs?: number
    /** A Ping not answered by a Pong within this closes the connection. Default 10000. */
    pongTimeoutMs?: number
    /** The peer's CSM must arrive within this (4.3: a missing CSM is a connection error). Default 10000. */
    csmTimeoutMs?: number
    /** A request without a first response within this fails with "timeout". Default 10000. */
    requestTimeoutMs?: number
}

/** Sends a response to one incoming request; returns false when the connection is gone. */
export type CoapReply = (resp: CoapMessage) => boolean

export interface CoapTcpHandler {
    /** An incoming request; `reply` may be called more than once (Observe notifications). */
    onRequest(req: CoapMessage, reply: CoapReply): void
    /** The peer's CSM arrived: requests can be sent with its limits known. */
    onReady(): void
    /** The connection ended (reason in plain words); holdOffMs > 0 when the peer asked for it (7.04). */
    onClosed(reason: string, holdOffMs: number): void
}

function orDefault(v: number | undefined, d: number): number {
    return v === undefined || v === null ? d : v
}

export class CoapTcpConnection {
    private reader: CoapTcpFrameReader
    // read by tcpConnectionStatus (below); written only here
    pending: TokenMatcher
    closed: boolean
    peerCsmSeen: boolean
    peerMaxSize: number
    peerBlockWise: boolean
    private lastRxAt: number
    private startedAt: number
    private pingToken: Buffer | undefined
    private pingSentAt: number
    private maxMessageSize: number
    private blockWise: boolean
    private pingIdleMs: number
    private pongTimeoutMs: number
    private csmTimeoutMs: number
    private requestTimeoutMs: number

    private send: (bytes: Buffer) => void
    private closeStream: () => void
    private clock: Clock
    private random: Random
    private handler: CoapTcpHandler

    constructor(
        send: (bytes: Buffer) => void,
        closeStream: () => void,
        clock: Clock,
        random: Random,
        handler: CoapTcpHandler,
        options: CoapTcpOptions
    ) {
        this.send = send
        this.closeStream = closeStream
        this.clock = clock
        this.random = random
        this.handler = handler
        const o: CoapTcpOptions = options ? options : {}
        this.maxMessageSize = orDefault(o.maxMessageSize, DEFAULT_MAX_MESSAGE_SIZE)
        this.blockWise = o.blockWise === undefined ? true : o.blockWise
        this.pingIdleMs = orDefault(o.pingIdleMs, 30000)
        this.pongTimeoutMs = orDefault(o.pongTimeoutMs, 10000)
        this.csmTimeoutMs = orDefault(o.csmTimeoutMs, 10000)
        this.requestTimeoutMs = orDefault(o.requestTimeoutMs, 10000)
        this.reader = new CoapTcpFrameReader(this.maxMessageSize)
        this.pending = new TokenMatcher(random)
        this.closed = false
        this.peerCsmSeen = false
        this.peerMaxSize = DEFAULT_MAX_MESSAGE_SIZE
        this.peerBlockWise = false
        this.pingToken = undefined
        this.pingSentAt = 0
        this.lastRxAt = clock.now()
        this.startedAt = this.lastRxAt
    }

    /** The stream is open: send our CSM (RFC 8323 5.3: the first message on the connection). */
    start(): void {
        const csm = newMessage(CoapType.CON, CoapCode.CSM, 0)
        setUintOption(csm, SignalingOption.MaxMessageSize, this.maxMessageSize)
        if (this.blockWise) setOption(csm, SignalingOption.BlockWiseTransfer, Buffer.alloc(0))
        this.lastRxAt = this.clock.now()
        this.startedAt = this.lastRxAt
        this.write(csm)
    }

    /**
     * Sends a request with a fresh token (or its own, when set and not in use), which is returned. The callback gets each
     * response; with Observe=0 in the request it keeps getting notifications until cancel(),
     * an error response, or a response without Observe.
     */
    request(req: CoapMessage, cb: CoapResponseCallback): Buffer | undefined {
        if (this.closed) {
            cb(undefined, "closed")
            return undefined
        }
        // Size check before a token is taken (a fresh token is 4 bytes; a reused one is kept).
        const given = req.token
        if (given === undefined || given.length === 0) req.token = Buffer.alloc(4)
        const size = encodeTcpMessage(req).length
        req.token = given
        if (size > this.peerMaxSize) {
            cb(undefined, "request larger than the peer's Max-Message-Size")
            return undefined
        }
        const token = this.pending.add(req, cb, this.clock.now() + this.requestTimeoutMs)
        this.send(encodeTcpMessage(req))
        return token
    }

    /**
     * Writes one response or notification as is (its token already set); false when the
     * connection is closed. The server side of the exchange seam writes through this.
     */
    sendMessage(msg: CoapMessage): boolean {
        if (this.closed) return false
        this.write(msg)
        return true
    }

    /** Forgets a pending request or observation (its callback is not called again). */
    cancel(token: Buffer): void {
        this.pending.cancel(token)
    }

    /** Graceful close (RFC 8323 5.5): Release, then close the stream. */
    release(reason: string): void {
        if (this.closed) return
        this.write(newMessage(CoapType.CON, CoapCode.Release, 0))
        this.finish(reason, 0)
    }

    /** Connection error (RFC 8323 5.6): Abort with a diagnostic payload, then close the stream. */
    abort(reason: string, badCsmOption: number): void {
        if (this.closed) return
        const m = newMessage(CoapType.CON, CoapCode.Abort, 0)
        if (badCsmOption >= 0) setUintOption(m, SignalingOption.BadCsmOption, badCsmOption)
        m.payload = Buffer.from(reason)
        this.write(m)
        this.finish("aborted: " + reason, 0)
    }

    /** The transport closed underneath us (peer closed, network error). */
    onStreamClosed(reason: string): void {
        this.finish(reason, 0)
    }

    /** Bytes from the stream, in any chunking. */
    onData(chunk: Buffer): void {
        if (this.closed) return
        this.lastRxAt = this.clock.now()
        this.reader.push(chunk)
        while (true) {
            if (this.closed) return
            let msg: CoapMessage | undefined
            try {
                msg = this.reader.nextMessage()
            } catch (e) {
                // 5.6: a malformed frame leaves the stream unsynchronised: abort.
                this.abort("malformed message: " + (e as Error).message, -1)
                return
            }
            if (msg === undefined) return
            this.dispatch(msg)
        }
    }

    /** Timers: CSM wait, keepalive Ping, missing Pong, request timeouts. */
    tick(): void {
        if (this.closed) return
        const now = this.clock.now()
        if (!this.peerCsmSeen && now - this.startedAt >= this.csmTimeoutMs) {
            this.abort("no CSM received", -1)
            return
        }
        if (this.pingToken !== undefined) {
            if (now - this.pingSentAt >= this.pongTimeoutMs) {
                this.abort("no Pong within " + this.pongTimeoutMs + " ms", -1)
                return
            }
        } else if (this.pingIdleMs > 0 && this.peerCsmSeen && now - this.lastRxAt >= this.pingIdleMs) {
            this.ping()
        }
        this.pending.expire(now)
    }

    /** Sends a Ping now (5.4); a Pong must come back within pongTimeoutMs. */
    ping(): void {
        if (this.closed || this.pingToken !== undefined) return
        const t = this.freshToken()
        this.pingToken = t
        this.pingSentAt = this.clock.now()
        this.write(newMessage(CoapType.CON, CoapCode.Ping, 0, t))
    }

    // ---- receive path ----

    private dispatch(msg: CoapMessage): void {
        const code = msg.code
        // 5.3: the CSM is the first message each side sends.
        if (!this.peerCsmSeen && code !== CoapCode.CSM) {
            this.abort("first message was not a CSM", -1)
            return
        }
        if (isSignalingCode(code)) this.onSignal(msg)
        else if (isRequestCode(code)) this.onRequest(msg)
        else if (isResponseCode(code)) this.onResponse(msg)
        // 3.4: Empty messages (0.00) are keepalives and are ignored; other classes are reserved.
    }

    private onSignal(msg: CoapMessage): void {
        const code = msg.code
        if (code === CoapCode.CSM) this.onCsm(msg)
        else if (code === CoapCode.Ping) {
            // 5.4: answer with a Pong carrying the Ping's token.
            this.write(newMessage(CoapType.CON, CoapCode.Pong, 0, msg.token))
        } else if (code === CoapCode.Pong) {
            // Only one Ping is outstanding, so a Pong with its token or with NO token answers it:
            // libcoap 4.3.1 answers every Ping with an empty-token Pong (seen in interop).
            const t = msg.token
            if (this.pingToken !== undefined && (t.length === 0 || t.toString("hex") === this.pingToken.toString("hex")))
                this.pingToken = undefined
        } else if (code === CoapCode.Release) {
            // 5.5: the peer will close; Hold-Off (seconds) says how long to stay away.
            const hold = getUintOption(msg, SignalingOption.HoldOff)
            this.finish("released by peer", hold === undefined ? 0 : hold * 1000)
        } else if (code === CoapCode.Abort) {
            const why = msg.payload.length > 0 ? msg.payload.toString("utf-8") : "no diagnostic"
            this.finish("aborted by peer: " + why, 0)
        }
        // 5.1: other signaling codes are unknown and ignored.
    }

    private onCsm(msg: CoapMessage): void {
        // 5.3: an unknown critical CSM option is a connection error with Bad-CSM-Option.
        for (const o of msg.options) {
            const known = o.number === SignalingOption.MaxMessageSize || o.number === SignalingOption.BlockWiseTransfer
            if (!known && isCritical(o.number)) {
                this.abort("unsupported critical CSM option", o.number)
                return
            }
        }
        const mms = getUintOption(msg, SignalingOption.MaxMessageSize)
        // 5.3: a later CSM only updates what it carries.
        if (mms !== undefined) this.peerMaxSize = mms
        if (hasOption(msg, SignalingOption.BlockWiseTransfer)) this.peerBlockWise = true
        const first = !this.peerCsmSeen
        this.peerCsmSeen = true
        if (first) this.handler.onReady()
    }

    private onRequest(req: CoapMessage): void {
        const self = this
        const token = req.token
        const reply: CoapReply = (resp: CoapMessage) => {
            if (self.closed) return false
            resp.token = token
            self.write(resp)
            return true
        }
        this.handler.onRequest(req, reply)
    }

    private onResponse(resp: CoapMessage): void {
        // Late, cancelled or unknown tokens match nothing and are dropped (no RST on TCP).
        this.pending.match(resp)
    }

    // ---- helpers ----

    private write(msg: CoapMessage): void {
        if (this.closed) return
        this.send(encodeTcpMessage(msg))
    }

    private finish(reason: string, holdOffMs: number): void {
        if (this.closed) return
        this.closed = true
        this.closeStream()
        this.pending.failAll("closed: " + reason)
        this.handler.onClosed(reason, holdOffMs)
    }

    private freshToken(): Buffer {
        return this.pending.freshToken()
    }
}

/** What tcpConnectionStatus reports. */
export interface TcpConnectionStatus {
    open: boolean
    /** True once the peer's CSM arrived (and still open). */
    ready: boolean
    /** The peer's Max-Message-Size (1152 until its CSM says otherwise). */
    peerMaxMessageSize: number
    /** Whether the peer advertised Block-Wise-Transfer in its CSM. */
    peerBlockWise: boolean
    /** Requests still waiting for a (first or further) response. */
    pending: number
}

/**
 * A connection's state for tests and diagnostics. A free function, not methods: every method of a
 * class is compiled into a board image, and the board never asks.
 */
export function tcpConnectionStatus(c: CoapTcpConnection): TcpConnectionStatus {
    return {
        open: !c.closed,
        ready: c.peerCsmSeen && !c.closed,
        peerMaxMessageSize: c.peerMaxSize,
        peerBlockWise: c.peerBlockWise,
        pending: c.pending.count(),
    }
}
