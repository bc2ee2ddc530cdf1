// The gateway's MQTT side: reaches boards on the CoAP-over-MQTT binding.
//   subscribes <prefix>/+/coap/res (responses, notifications) and <prefix>/+/status (retained
//   {"state":"online"|"offline",...}); publishes requests to <prefix>/<id>/coap/req, QoS 1.
// A board is known once its status says online; its resources are learned by a GET of
// /.well-known/core over the binding (retried until it answers).

import { ContentFormat, CoapCode, CoapMessage } from "../../coap/message"
import { parseLinks } from "../../coap/linkformat"
import { CoapMqttClientBinding } from "../../coap/mqtt-binding"
import { CoapResponseCallback } from "../../coap/token-matcher"
import { MqttClient } from "../../mqtt/client/client"
import { connectNode, NodeClientOptions } from "../mqtt"
import { nodeClock, nodeRandom } from "../node-platform"
import { forward } from "./forward"
import { BoardLink, BoardRegistry } from "./registry"
import { guard } from "./boundary"

export interface MqttSideOptions {
    /** mqtt:// or mqtts:// broker URL. */
    url: string
    prefix?: string
    /** A request to a board fails (5.04) after this. Default 3000 ms. */
    requestTimeoutMs?: number
    /** Retry /.well-known/core of a board that has not answered it yet. Default 5000 ms. */
    discoveryRetryMs?: number
    mqtt?: Partial<NodeClientOptions>
}

export class MqttSide {
    client: MqttClient | undefined
    private binding: CoapMqttClientBinding | undefined
    private links = new Map<string, BoardLink>()
    private needLinks = new Map<string, number>()
    private timer: NodeJS.Timeout | undefined
    private prefix: string

    constructor(
        private reg: BoardRegistry,
        private opts: MqttSideOptions
    ) {
        this.prefix = opts.prefix ?? "devices"
    }

    start(): void {
        const client = connectNode({
            url: this.opts.url,
            clientId: "devs-link-gateway-" + Math.floor(Math.random() * 1e6).toString(16),
            keepalive: 30,
            reconnectPeriod: 500,
            reconnectPeriodMax: 5000,
            ...this.opts.mqtt,
        })
        this.client = client
        const binding = new CoapMqttClientBinding(
            this.prefix,
            (topic, payload) => {
                try {
                    client.publishNoWait(topic, payload, { qos: 1 })
                } catch {
                    // outbox full while the broker is away: the request times out (5.04)
                }
            },
            nodeClock,
            nodeRandom,
            this.opts.requestTimeoutMs ?? 3000
        )
        this.binding = binding
        // one message's boundary: a fault drops that message (there is no one to answer on MQTT)
        client.on("message", (topic: string, payload: Buffer) =>
            guard("mqtt", () => {
                if (binding.onMessage(topic, payload)) return
                this.onStatus(topic, payload)
            })
        )
        client.on("error", () => {})
        client.subscribeNoWait([binding.responseFilter(), this.prefix + "/+/status"], { qos: 1 })
        this.timer = setInterval(() => guard("mqtt", () => this.tick()), 50)
    }

    async stop(): Promise<void> {
        if (this.timer) clearInterval(this.timer)
        this.client?.end()
    }

    private tick(): void {
        this.binding?.tick()
        const now = Date.now()
        for (const [id, at] of this.needLinks) if (now >= at) this.discover(id)
    }

    private linkFor(id: string): BoardLink {
        let l = this.links.get(id)
        if (!l) {
            const binding = this.binding!
            l = {
                request: (m: CoapMessage, cb: CoapResponseCallback) => binding.request(id, m, cb),
                cancel: (t: Buffer) => binding.cancel(id, t),
            }
            this.links.set(id, l)
        }
        return l
    }

    private onStatus(topic: string, payload: Buffer): void {
        const head = this.prefix + "/"
        if (!topic.startsWith(head) || !topic.endsWith("/status")) return
        const id = topic.slice(head.length, topic.length - "/status".length)
        if (id.length === 0 || id.includes("/")) return
        let state = ""
        try {
            const j = JSON.parse(payload.toString("utf-8"))
            state = typeof j?.state === "string" ? j.state : ""
        } catch {
            return
        }
        const known = this.reg.get(id)
        if (state === "online") {
            if (known && known.online && known.binding === "mqtt") return
            this.reg.online(id, "mqtt", this.linkFor(id))
            this.discover(id)
        } else if (state === "offline" || payload.length === 0) {
            this.needLinks.delete(id)
            this.binding?.failBoard(id, "board offline")
            this.reg.offline(id, "status offline", this.links.get(id))
        }
    }

    /** GET /.well-known/core over the binding; the answer becomes the board's resource list. */
    private discover(id: string): void {
        this.needLinks.set(id, Date.now() + (this.opts.discoveryRetryMs ?? 5000))
        // forward() reassembles a block-wise answer (a board with many resources)
        forward(this.reg, id, { method: CoapCode.GET, segments: [".well-known", "core"], query: [], accept: ContentFormat.LinkFormat }, (r) => {
            if (r.error !== undefined || r.response.code !== CoapCode.Content) return
            try {
                this.reg.setLinks(id, parseLinks(r.response.payload.toString("utf-8")))
                this.needLinks.delete(id)
            } catch {
                // keep retrying: a board that answers garbage stays without resources
            }
        })
    }
}
