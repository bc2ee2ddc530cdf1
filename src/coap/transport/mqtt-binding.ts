// CoAP carried inside the MQTT session, so MQTT and CoAP share the board's one socket.
//   <prefix>/<id>/coap/req   requests TO the board        (the gateway publishes, the board subscribes)
//   <prefix>/<id>/coap/res   responses and notifications   (the board publishes, the gateway subscribes)
// Each MQTT payload is exactly ONE CoAP message in RFC 8323 section 3.2 framing: no message id,
// no type, matched by token (RFC 8323 3.3). MQTT already gives ordered, acknowledged delivery
// (publish at QoS 1), so there are no CoAP ACKs or retransmissions here. There is no CSM on
// this binding and no size limit is enforced: RFC 8323's default Max-Message-Size (1152) is the
// size to aim for. A board (../server/board-coap) answers whole bodies, and the gateway takes any size
// and does RFC 7959 towards its own clients. Signaling codes (7.xx) are ignored.
// The MQTT client is not imported: the platform glue passes `publish` in and feeds
// onMessage() from the client's message event (the client is async, these classes are not).

import { Clock, Random } from "../../io"
import { CoapMessage, isRequestCode, isResponseCode } from "../codec/message"
import { decodeTcpMessage, encodeTcpMessage } from "../codec/codec"
import { CoapResponseCallback, TokenMatcher } from "./token-matcher"
import { CoapReply } from "./tcp-connection"

/** Publishes one payload (QoS 1, not retained, is what both sides use). */
export type MqttPublish = (topic: string, payload: Buffer) => void

export function coapRequestTopic(prefix: string, id: string): string {
    return prefix + "/" + id + "/coap/req"
}
export function coapResponseTopic(prefix: string, id: string): string {
    return prefix + "/" + id + "/coap/res"
}
/** The gateway's subscription: every board's responses. */
export function coapResponseFilter(prefix: string): string {
    return prefix + "/+/coap/res"
}

/** The board's `<id>` in `<prefix>/<id>/coap/res`, or undefined for other topics. */
export function boardIdFromResponseTopic(prefix: string, topic: string): string | undefined {
    const head = prefix + "/"
    const tail = "/coap/res"
    if (!topic.startsWith(head) || !topic.endsWith(tail)) return undefined
    const id = topic.slice(head.length, topic.length - tail.length)
    if (id.length === 0 || id.indexOf("/") >= 0) return undefined
    return id
}

/** Decodes one framed payload; undefined when it is not a well-formed RFC 8323 message. */
function decodeOne(payload: Buffer): CoapMessage | undefined {
    try {
        return decodeTcpMessage(payload)
    } catch (e) {
        return undefined
    }
}

/**
 * The board side: requests from <prefix>/<id>/coap/req go to `onRequest`, replies (and later
 * Observe notifications through the same `reply`) go out on <prefix>/<id>/coap/res. The firmware
 * itself uses ../server/board-coap (the same topics and framing with a minimal endpoint); a general server
 * uses ./board-mqtt-link; this one suits any other request handler.
 */
export class CoapMqttServerBinding {
    private publish: MqttPublish
    private onRequest: (req: CoapMessage, reply: CoapReply) => void
    private reqTopic: string
    private resTopic: string
    private online: boolean
    private dropped: number

    constructor(prefix: string, id: string, publish: MqttPublish, onRequest: (req: CoapMessage, reply: CoapReply) => void) {
        this.publish = publish
        this.onRequest = onRequest
        this.reqTopic = coapRequestTopic(prefix, id)
        this.resTopic = coapResponseTopic(prefix, id)
        this.online = true
        this.dropped = 0
    }

    /** The topic the board must subscribe to (QoS 1). */
    requestTopic(): string {
        return this.reqTopic
    }
    responseTopic(): string {
        return this.resTopic
    }

    /** While offline, replies report false, so Observe drops observers it cannot reach. */
    setOnline(online: boolean): void {
        this.online = online
    }

    /** Malformed or unexpected payloads ignored so far (nothing to answer on this binding). */
    droppedCount(): number {
        return this.dropped
    }

    /** Publishes one response or notification as is (token set); false while offline. */
    send(msg: CoapMessage): boolean {
        if (!this.online) return false
        this.publish(this.resTopic, encodeTcpMessage(msg))
        return true
    }

    /** Feed every MQTT message here; returns true when it was for this binding. */
    onMessage(topic: string, payload: Buffer): boolean {
        if (topic !== this.reqTopic) return false
        const req = decodeOne(payload)
        if (req === undefined || !isRequestCode(req.code)) {
            this.dropped++
            return true
        }
        const self = this
        const token = req.token
        const reply: CoapReply = (resp: CoapMessage) => {
            if (!self.online) return false
            resp.token = token
            self.publish(self.resTopic, encodeTcpMessage(resp))
            return true
        }
        this.onRequest(req, reply)
        return true
    }
}

/**
 * The gateway side: sends requests to any board on the MQTT binding and matches the answers
 * by token, per board. Subscribe to coapResponseFilter(prefix) and feed onMessage().
 */
export class CoapMqttClientBinding {
    private prefix: string
    private publish: MqttPublish
    private clock: Clock
    private random: Random
    private requestTimeoutMs: number
    private boards: Record<string, TokenMatcher>

    constructor(prefix: string, publish: MqttPublish, clock: Clock, random: Random, requestTimeoutMs: number) {
        this.prefix = prefix
        this.publish = publish
        this.clock = clock
        this.random = random
        this.requestTimeoutMs = requestTimeoutMs
        this.boards = {}
    }

    responseFilter(): string {
        return coapResponseFilter(this.prefix)
    }

    /** Sends `req` to board `id`; returns the token (to cancel an observation). */
    request(id: string, req: CoapMessage, cb: CoapResponseCallback): Buffer {
        let m = this.boards[id]
        if (m === undefined) {
            m = new TokenMatcher(this.random)
            this.boards[id] = m
        }
        const token = m.add(req, cb, this.clock.now() + this.requestTimeoutMs)
        this.publish(coapRequestTopic(this.prefix, id), encodeTcpMessage(req))
        return token
    }

    cancel(id: string, token: Buffer): void {
        const m = this.boards[id]
        if (m) m.cancel(token)
    }

    /** Fails everything pending for a board (it went offline). */
    failBoard(id: string, reason: string): void {
        const m = this.boards[id]
        if (m) m.failAll(reason)
    }

    pendingCount(id: string): number {
        const m = this.boards[id]
        return m ? m.count() : 0
    }

    tick(): void {
        const now = this.clock.now()
        for (const id of Object.keys(this.boards)) this.boards[id].expire(now)
    }

    /** Feed every MQTT message here; returns true when it was a board's CoAP response. */
    onMessage(topic: string, payload: Buffer): boolean {
        const id = boardIdFromResponseTopic(this.prefix, topic)
        if (id === undefined) return false
        const resp = decodeOne(payload)
        const m = this.boards[id]
        if (resp !== undefined && m !== undefined && isResponseCode(resp.code)) m.match(resp)
        return true
    }
}
