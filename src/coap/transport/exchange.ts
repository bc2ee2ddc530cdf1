// The seam between a CoAP transport binding and the request/response layer.
//
// Below the seam, a binding turns bytes into requests and carries responses back:
//   - UDP (RFC 7252 section 4, ./messagelayer): message ids, CON/NON/ACK/RST, piggybacked and
//     separate responses, retransmission, duplicate detection, ping.
//   - a reliable transport (RFC 8323: TCP/TLS/WebSockets, or CoAP frames inside MQTT) has none of
//     that: no message ids, no ACK or retransmission, matching by token only, plus its own
//     signaling (CSM, Ping/Pong, Release, Abort). Its binding implements these same interfaces.
// Above the seam (../server/endpoint), resources, Observe and block-wise never look at message types or
// message ids; they see an Exchange per request and send notifications through a Transport.

import type { CoapMessage } from "../codec/message"

/** How a server-initiated message (notification, separate response) ended. */
export const enum Outcome {
    /** UDP CON acknowledged, UDP NON sent, or written to a reliable stream. */
    Delivered = 0,
    /** The peer answered with RST (RFC 7252 4.2/4.3; RFC 7641 3.6 / 4.2 deregistration). */
    Reset = 1,
    /** UDP CON not acknowledged after MAX_RETRANSMIT (RFC 7252 4.2); RFC 7641 4.5 removes the observer. */
    TimedOut = 2,
    /** A reliable connection went away before delivery (RFC 8323 5.5/5.6). */
    PeerGone = 3,
}

/** One request received from a peer, answered exactly once through respond(). */
export interface Exchange {
    /** Opaque key of the remote endpoint (UDP address:port, a TCP connection id, a board id...). */
    peer(): string
    /** The request; its type and messageId belong to the binding and mean nothing above it. */
    request(): CoapMessage
    /**
     * Sends the response. The binding fills in type, message id and token (piggybacked ACK,
     * separate CON, NON, or a TCP frame). Calls after the first are ignored. A response with code
     * 0.00 (Empty) means "send no response" (RFC 7967 No-Response): UDP still ACKs a CON.
     */
    respond(response: CoapMessage): void
}

/** What the request/response layer can ask of a binding. */
export interface Transport {
    /**
     * Sends a server-initiated message on an existing token (an Observe notification).
     * `confirmable` asks for a CON on UDP; reliable bindings ignore it. `key` names the
     * observation: a binding that is still retransmitting an earlier message with the same key
     * replaces it (RFC 7641 4.5.2) instead of queueing a second one. `done` is called once.
     */
    notify(peer: string, msg: CoapMessage, confirmable: boolean, key: string, done: (outcome: Outcome) => void): void
    /** Largest Block SZX this binding wants for a peer (UDP: 6 = 1024 bytes; RFC 7959 2.2). */
    maxBlockSzx(peer: string): number
}

/** What a binding delivers upwards. */
export interface RequestHandler {
    handleRequest(ex: Exchange): void
    /**
     * The peer rejected a message carrying this token (UDP RST): cancel what hangs on it. Only
     * bindings that have RST (UDP) call it, so a handler for reliable transports may leave it out.
     */
    tokenRejected?(peer: string, token: Buffer): void
    /** The peer is gone (reliable connection closed/aborted): drop all state for it. */
    peerGone(peer: string): void
}
