// The reliable-transport side of the exchange seam (./exchange): lets the transport-independent
// server (./endpoint CoapServer) run over RFC 8323 connections and over the CoAP-over-MQTT
// binding. Those have no message ids, ACKs or retransmission (RFC 8323 2-3): a response is a
// frame with the request's token, a notification is another frame with the same token.
// Peers are named by the caller ("tcp", "mqtt", or a connection id on the gateway); each
// binding hands every request in through deliver() with its reply function.

import { CoapMessage, codeClass, getUintOption } from "./message"
import { OptionNumber } from "./options"
import { Exchange, Outcome, RequestHandler, Transport } from "./exchange"
import { CoapReply } from "./tcp-connection"

class ReliableExchange implements Exchange {
    private peerKey: string
    private msg: CoapMessage
    private transport: ReliableTransport
    private reply: CoapReply
    private answered: boolean

    constructor(transport: ReliableTransport, peer: string, msg: CoapMessage, reply: CoapReply) {
        this.transport = transport
        this.peerKey = peer
        this.msg = msg
        this.reply = reply
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
        this.reply(response)
        this.transport.responded(this.peerKey, this.msg, response, this.reply)
    }
}

export class ReliableTransport implements Transport {
    private handler: RequestHandler
    /** Reply functions of live observations, by peer|token (notifications reuse them). */
    private observations: Record<string, CoapReply>
    private order: string[]
    private szx: number
    private maxObservations: number

    /** maxBlockSzx 6 = 1024-byte blocks, which fit RFC 8323's default Max-Message-Size of 1152. */
    constructor(maxBlockSzx: number, maxObservations: number) {
        this.handler = undefined
        this.observations = {}
        this.order = []
        this.szx = maxBlockSzx
        this.maxObservations = maxObservations
    }

    attach(handler: RequestHandler): void {
        this.handler = handler
    }

    /** A request arrived from `peer`; `reply` sends a frame back with the request's token. */
    deliver(peer: string, req: CoapMessage, reply: CoapReply): void {
        if (this.handler === undefined) return
        this.handler.handleRequest(new ReliableExchange(this, peer, req, reply))
    }

    /** The connection to `peer` ended (RFC 8323 5.5/5.6): its observations end with it. */
    peerGone(peer: string): void {
        const prefix = peer + "|"
        const keep: string[] = []
        for (const k of this.order) {
            if (k.startsWith(prefix)) delete this.observations[k]
            else keep.push(k)
        }
        this.order = keep
        if (this.handler !== undefined) this.handler.peerGone(peer)
    }

    observationCount(): number {
        return this.order.length
    }

    // ---- Transport ----

    maxBlockSzx(peer: string): number {
        return this.szx
    }

    notify(peer: string, msg: CoapMessage, confirmable: boolean, key: string, done: (outcome: Outcome) => void): void {
        const k = peer + "|" + msg.token.toString("hex")
        const reply = this.observations[k]
        if (reply === undefined || !reply(msg)) {
            this.forget(k)
            done(Outcome.PeerGone)
            return
        }
        // RFC 7641 3.2: a notification that is not 2.xx ends the observation
        if (codeClass(msg.code) !== 2) this.forget(k)
        done(Outcome.Delivered)
    }

    // ---- internal ----

    /** Remembers the reply of a successful Observe registration (the response carries Observe). */
    responded(peer: string, req: CoapMessage, resp: CoapMessage, reply: CoapReply): void {
        const k = peer + "|" + req.token.toString("hex")
        const registered = getUintOption(resp, OptionNumber.Observe) !== undefined && codeClass(resp.code) === 2
        if (!registered) {
            // a GET with Observe=1 (or a refused registration) ends what hung on this token
            if (getUintOption(req, OptionNumber.Observe) !== undefined) this.forget(k)
            return
        }
        if (this.observations[k] === undefined) this.order.push(k)
        this.observations[k] = reply
        // bounded: the endpoint caps observers too; this only guards against leaks
        while (this.order.length > this.maxObservations) this.forget(this.order[0])
    }

    private forget(k: string): void {
        if (this.observations[k] === undefined) return
        delete this.observations[k]
        const keep: string[] = []
        for (const x of this.order) if (x !== k) keep.push(x)
        this.order = keep
    }
}
