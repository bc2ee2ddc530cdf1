// The board's CoAP-over-TCP/TLS mode in one piece: the RFC 8323 session to the head-end, the
// RFC 9176 registration riding on it, and the reliable transport that lets the board's
// endpoint answer the head-end's requests over the same connection.
//   const link = new CoapBoardTcpLink(connector, target, clock, random, opts)
//   const server = new CoapServerCore(link.transport, { clock }); link.serve(server, server.resources)
//   link.start(); every ~100 ms: link.tick()
// BoardTcpLink is the same without serve()/links(): the firmware serves its small endpoint
// (./board-coap) through it with serveBoardCoapOverTcp, so the general server's discovery code
// (every method of a used class is linked) stays out of its image.
// Registration happens on every (re)connect; a dropped link ends the head-end's observations.

import { Clock, Random, StreamConnector, StreamTarget } from "../../io"
import { CoapMessage } from "../codec/message"
import { Exchange, RequestHandler } from "../transport/exchange"
import { decodeTcpMessage, encodeTcpMessage } from "../codec/codec"
import { BoardCoap, boardCoapLinks, boardCoapMessage } from "./board-coap"
import { ResourceTree } from "./resources"
import { discoveryText } from "./resources-discovery"
import { CoapReply } from "../transport/tcp-connection"
import { CoapTcpSession, CoapTcpSessionOptions } from "../transport/tcp-session"
import { RdClient } from "../rd/rd-client"
import { ReliableBinding } from "../transport/exchange-reliable"
import { CoapResponseCallback } from "../transport/token-matcher"

/** The peer name the head-end's requests carry inside the server. */
export const TCP_PEER = "tcp"

export interface CoapBoardTcpLinkOptions extends CoapTcpSessionOptions {
    /** RD endpoint name (ep=), normally the board id. */
    endpoint: string
    /** Registration lifetime in seconds. Default 300. */
    lifetimeS?: number
    /** Registration interface path. Default "/rd". */
    rdPath?: string
    /** Retry a failed registration after this. Default 10000 ms. */
    rdRetryMs?: number
    /** Skip RD registration (a head-end that finds boards another way). Default false. */
    noRegistration?: boolean
    /** RD endpoint type (et=) to register with. */
    endpointType?: string
}

export interface CoapBoardTcpLinkEvents {
    onUp(): void
    onDown(reason: string, retryInMs: number): void
}

export class BoardTcpLink {
    transport: ReliableBinding
    session: CoapTcpSession
    rd: RdClient
    /** The link-format registered with the RD (set by whoever serves the endpoint). */
    linkText: () => string
    private register: boolean
    private events: CoapBoardTcpLinkEvents | undefined

    constructor(
        connector: StreamConnector,
        target: StreamTarget,
        clock: Clock,
        random: Random,
        options: CoapBoardTcpLinkOptions,
        events?: CoapBoardTcpLinkEvents
    ) {
        const self = this
        this.linkText = () => ""
        this.events = events
        this.register = !options.noRegistration
        // the coap branch's reliable seam: responses and notifications written on the live connection
        this.transport = new ReliableBinding((peer: string, msg: CoapMessage) => {
            const c = self.session.connection()
            return c !== undefined && c.sendMessage(msg)
        }, 6)
        this.session = new CoapTcpSession(
            connector,
            target,
            clock,
            random,
            {
                onRequest: (req: CoapMessage, reply: CoapReply) => {
                    self.transport.receive(TCP_PEER, req)
                },
                onUp: () => {
                    if (self.register) self.rd.start()
                    if (self.events) self.events.onUp()
                },
                onDown: (reason: string, retryInMs: number) => {
                    self.rd.stop()
                    self.transport.connectionClosed(TCP_PEER)
                    if (self.events) self.events.onDown(reason, retryInMs)
                },
            },
            options
        )
        this.rd = new RdClient(
            (req: CoapMessage, cb: CoapResponseCallback) => {
                self.session.request(req, cb)
            },
            clock,
            () => self.linkText(),
            {
                endpoint: options.endpoint,
                lifetimeS: options.lifetimeS,
                rdPath: options.rdPath,
                retryMs: options.rdRetryMs,
                endpointType: options.endpointType,
            }
        )
    }

    start(): void {
        this.session.start()
    }

    stop(): void {
        this.rd.stop()
        this.session.stop()
    }

    tick(): void {
        this.session.tick()
        this.rd.tick()
    }
}

/**
 * The firmware's endpoint (./board-coap) on the link: the head-end's requests go to it as frames,
 * its answers and notifications go out on the connection (a dead one ends the observation), a
 * closed connection drops its observers, and its link-format is what gets registered.
 */
export function serveBoardCoapOverTcp(link: BoardTcpLink, coap: BoardCoap): void {
    coap.publish = (topic: string, frame: Buffer) => {
        if (!link.transport.write(TCP_PEER, decodeTcpMessage(frame))) throw new Error("link down")
    }
    link.transport.attach({
        handleRequest: (ex: Exchange) => {
            boardCoapMessage(coap, coap.reqTopic, encodeTcpMessage(ex.request()))
        },
        peerGone: (peer: string) => {
            coap.observers = {}
        },
    })
    link.linkText = () => boardCoapLinks(coap)
}

/** BoardTcpLink serving a general server (CoapServer/CoapServerCore) and its resource tree. */
export class CoapBoardTcpLink extends BoardTcpLink {
    /** Connects the request/response layer (a CoapServer) and the resources it registers. */
    serve(server: RequestHandler, resources: ResourceTree): void {
        this.transport.attach(server)
        this.linkText = () => discoveryText(resources)
    }

    /** The board's link-format, as registered: every resource not hidden. */
    links(): string {
        return this.linkText()
    }
}
