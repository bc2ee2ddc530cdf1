// The board's CoAP-over-MQTT mode (the default): the board's CoapServer answers requests that
// arrive inside its MQTT session (./mqtt-binding), so MQTT and CoAP share the one socket.
//   const link = new CoapBoardMqttLink("devices", id, (t, p) => client.publishNoWait(t, p, { qos: 1 }))
//   const server = new CoapServerCore(link.transport, { clock }); link.serve(server)
//   client.subscribe(link.requestTopic(), { qos: 1 }); on message: link.onMessage(topic, payload)
// Observations survive a broker outage: notifications go to the MQTT client's outbox, and the
// gateway keeps the token; they end when the gateway deregisters or publish fails.

import { CoapMessage } from "./message"
import { RequestHandler } from "./exchange"
import { CoapReply } from "./tcp-connection"
import { CoapMqttServerBinding, MqttPublish } from "./mqtt-binding"
import { ReliableBinding } from "./exchange-reliable"

/** The peer name requests from the MQTT binding carry inside the server. */
export const MQTT_PEER = "mqtt"

export class CoapBoardMqttLink {
    transport: ReliableBinding
    binding: CoapMqttServerBinding

    constructor(prefix: string, id: string, publish: MqttPublish) {
        const self = this
        this.binding = new CoapMqttServerBinding(prefix, id, publish, (req: CoapMessage, reply: CoapReply) => {
            self.transport.receive(MQTT_PEER, req)
        })
        // A publish that throws (outbox full, client ended) reports the peer unreachable, so the
        // server drops that observer instead of crashing the board.
        this.transport = new ReliableBinding((peer: string, msg: CoapMessage) => {
            try {
                return self.binding.send(msg)
            } catch (e) {
                return false
            }
        }, 6)
    }

    serve(server: RequestHandler): void {
        this.transport.attach(server)
    }

    requestTopic(): string {
        return this.binding.requestTopic()
    }

    /** Feed every MQTT message; true when it was a CoAP request for this board. */
    onMessage(topic: string, payload: Buffer): boolean {
        return this.binding.onMessage(topic, payload)
    }
}
