// A full CoapServer(Core) on the CoAP-over-MQTT binding: it answers requests that arrive inside an
// MQTT session (./mqtt-binding), so MQTT and CoAP share the one socket. The default firmware uses
// the smaller ../server/board-coap instead (the gateway does the proxy's share for it); this link serves a
// general server over MQTT (Node-side boards, test/interop/coap-tcp/sim-board.ts).
//   const link = new CoapBoardMqttLink("devices", id, (t, p) => client.publishNoWait(t, p, { qos: 1 }))
//   const server = new CoapServerCore(link.transport, { clock }); link.serve(server)
//   client.subscribe(link.requestTopic(), { qos: 1 }); on message: link.onMessage(topic, payload)
// Observations survive a broker outage: notifications go to the MQTT client's outbox, and the
// gateway keeps the token; they end when the gateway deregisters or publish fails.
// One class is the whole binding on the board (topic check, framing, the Transport of
// ./exchange-reliable's rules): every class and method costs board bytecode, and the general
// pieces (CoapMqttServerBinding + ReliableBinding) carry what this link never uses (online state,
// drop counter, attach/connectionClosed).

import { CoapMessage } from "../codec/message"
import { Outcome, RequestHandler, Transport } from "./exchange"
import { decodeTcpMessage, encodeTcpMessage } from "../codec/codec"
import { MqttPublish, coapRequestTopic, coapResponseTopic } from "./mqtt-binding"
import { ReliableWriter, deliverRequest } from "./exchange-reliable"

/** The peer name requests from the MQTT binding carry inside the server. */
export const MQTT_PEER = "mqtt"

export class CoapBoardMqttLink implements Transport, ReliableWriter {
    /** The Transport to give the server: the link itself. */
    transport: Transport
    private handler: RequestHandler | undefined
    private publish: MqttPublish
    private reqTopic: string
    private resTopic: string

    constructor(prefix: string, id: string, publish: MqttPublish) {
        this.transport = this
        this.handler = undefined
        this.publish = publish
        this.reqTopic = coapRequestTopic(prefix, id)
        this.resTopic = coapResponseTopic(prefix, id)
    }

    serve(server: RequestHandler): void {
        this.handler = server
    }

    /** The topic the board must subscribe to (QoS 1). */
    requestTopic(): string {
        return this.reqTopic
    }

    /**
     * Feed every MQTT message; true when it was on the request topic. Each payload is one RFC 8323
     * frame; a malformed one or a non-request is dropped (there is nothing to answer on this binding).
     */
    onMessage(topic: string, payload: Buffer): boolean {
        if (topic !== this.reqTopic) return false
        let req: CoapMessage | undefined = undefined
        try {
            req = decodeTcpMessage(payload)
        } catch (e) {}
        if (req !== undefined) deliverRequest(this.handler, this, MQTT_PEER, req)
        return true
    }

    /**
     * Publishes one response or notification (token set) on the response topic. A publish that
     * throws (outbox full, client ended) reports the peer unreachable, so the server drops that
     * observer instead of crashing the board.
     */
    write(peer: string, msg: CoapMessage): boolean {
        try {
            this.publish(this.resTopic, encodeTcpMessage(msg))
            return true
        } catch (e) {
            return false
        }
    }

    // ---- Transport (RFC 8323 rules: a written notification is delivered) ----

    notify(peer: string, msg: CoapMessage, confirmable: boolean, key: string, done: (outcome: Outcome) => void): void {
        done(this.write(peer, msg) ? Outcome.Delivered : Outcome.PeerGone)
    }

    maxBlockSzx(peer: string): number {
        return 6
    }
}
