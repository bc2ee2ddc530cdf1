// The request/response seam (./exchange) for reliable transports (RFC 8323: CoAP over TCP/TLS,
// WebSockets, or CoAP frames carried in MQTT): no message ids, no ACK/RST, no retransmission or
// duplicate detection; requests and responses match by token (RFC 8323 3.3); a notification is
// delivered once written. Framing and signaling (CSM 7.01, Ping/Pong 7.02/7.03, Release 7.04,
// Abort 7.05) belong to the binding that owns the connection (src/coap/transport/tcp-connection.ts); it hands this class the
// decoded request/response messages and calls connectionClosed() when the connection ends.

import { CoapCode, CoapMessage, CoapType, isRequestCode, newMessage } from "../codec/message"
import { Exchange, Outcome, RequestHandler, Transport } from "./exchange"

/** What owns the connection: writes one message to a peer, false when the connection is gone. */
export interface ReliableWriter {
    write(peer: string, msg: CoapMessage): boolean
}

/** One request on a reliable connection: the response is written with the request's token. */
class ReliableExchange implements Exchange {
    private binding: ReliableWriter
    private peerKey: string
    private msg: CoapMessage
    private answered: boolean

    constructor(binding: ReliableWriter, peer: string, msg: CoapMessage) {
        this.binding = binding
        this.peerKey = peer
        this.msg = msg
        this.answered = false
    }
    peer(): string {
        return this.peerKey
    }
    request(): CoapMessage {
        return this.msg
    }
    respond(response: CoapMessage): void {
        if (this.answered) return
        this.answered = true
        // 0.00 means "no response" (RFC 7967); on a reliable transport nothing is sent at all
        if (response.code === CoapCode.Empty) return
        response.token = this.msg.token
        this.binding.write(this.peerKey, response)
    }
}

/**
 * Hands a decoded message from `peer` to `handler` (when there is one) if it is a request, with an
 * exchange that answers through `writer`; returns whether it was a request. Responses and 7.xx
 * signaling are not the request/response layer's business (the binding handles signaling before
 * this, and a server has no requests of its own outstanding).
 */
export function deliverRequest(handler: RequestHandler | undefined, writer: ReliableWriter, peer: string, msg: CoapMessage): boolean {
    if (!isRequestCode(msg.code) || handler === undefined) return false
    const ex = new ReliableExchange(writer, peer, msg)
    try {
        handler.handleRequest(ex)
    } catch (e) {
        // the request layer answers its own failures; this is a last resort (5.00)
        ex.respond(newMessage(CoapType.CON, CoapCode.InternalServerError, 0, msg.token))
    }
    return true
}

export class ReliableBinding implements Transport, ReliableWriter {
    private writeFn: (peer: string, msg: CoapMessage) => boolean
    private szx: number
    private handler: RequestHandler | undefined

    /**
     * `write` sends one message on the peer's connection (the binding frames it, e.g. with
     * encodeTcpMessage) and returns false when the connection is gone. `maxBlockSzx` is 6
     * (1024 bytes) unless the peer's CSM allows more (BERT, szx 7, RFC 8323 6).
     */
    constructor(write: (peer: string, msg: CoapMessage) => boolean, maxBlockSzx?: number) {
        this.writeFn = write
        this.szx = maxBlockSzx ?? 6
        this.handler = undefined
    }

    attach(handler: RequestHandler): void {
        this.handler = handler
    }

    /** A decoded message from `peer`; returns whether it was a request (see deliverRequest). */
    receive(peer: string, msg: CoapMessage): boolean {
        return deliverRequest(this.handler, this, peer, msg)
    }

    /** The connection to `peer` ended (closed, Release, Abort): drop its observations. */
    connectionClosed(peer: string): void {
        if (this.handler !== undefined) this.handler.peerGone(peer)
    }

    write(peer: string, msg: CoapMessage): boolean {
        return this.writeFn(peer, msg)
    }

    // ---- Transport ----

    notify(peer: string, msg: CoapMessage, confirmable: boolean, key: string, done: (outcome: Outcome) => void): void {
        // RFC 8323 has no CON/NON: a written notification is delivered, a dead connection is gone
        done(this.writeFn(peer, msg) ? Outcome.Delivered : Outcome.PeerGone)
    }

    maxBlockSzx(peer: string): number {
        return this.szx
    }
}
