// The gateway's MQTT side: reaches boards on the CoAP-over-MQTT binding.
//   subscribes <prefix>/+/coap/res (responses, notifications), <prefix>/+/coap/req (other
//   gateways' observation requests, ./shared-observations) and <prefix>/+/status (retained
//   {"state":"online"|"offline",...}); publishes requests to <prefix>/<id>/coap/req, QoS 1.
// A board is known once its status says online (retained: a gateway started later knows every
// board at once); its resources are learned by a GET of /.well-known/core over the binding
// (retried until it answers).
// An "offline" status for a board listed online over MQTT is confirmed before it is believed
// (confirmOffline below): on a clustered broker the will of a board's lost connection can reach
// the gateway after the "online" of its new one.
// The retained statuses are read again after every connect, and then at growing intervals
// (rereadStatuses below): a broker can fail to deliver a board's only "online".
// Any number of gateways may share a broker: each has a random instance id, which is its MQTT
// client id and the first 4 bytes of every token it sends. The board echoes the token, so each
// gateway keeps the responses to its own requests and drops the others' without a word.

import { ContentFormat, CoapCode, CoapMessage, CoapType } from "../../coap/codec/message"
import { parseLinks } from "../../coap/formats/linkformat"
import { boardIdFromResponseTopic, coapRequestTopic, CoapMqttClientBinding } from "../../coap/transport/mqtt-binding"
import { decodeTcpMessage, encodeTcpMessage } from "../../coap/codec/codec"
import { randomBytes } from "node:crypto"
import { CoapResponseCallback } from "../../coap/transport/token-matcher"
import { MqttClient } from "../../mqtt/client/client"
import { ClientErrorCode, MqttClientError } from "../../mqtt/session/session-errors"
import { connectNode, NodeClientOptions } from "../mqtt"
import { nodeClock, nodeRandom } from "../node-platform"
import { forward } from "./forward"
import { BoardLink, BoardRegistry } from "./registry"
import { guard } from "./boundary"
import { SharedObservations } from "./shared-observations"

export interface MqttSideOptions {
    /** mqtt:// or mqtts:// broker URL. */
    url: string
    prefix?: string
    /** A request to a board fails (5.04) after this. Default 3000 ms. */
    requestTimeoutMs?: number
    /** Retry /.well-known/core of a board that has not answered it yet. Default 5000 ms. */
    discoveryRetryMs?: number
    mqtt?: Partial<NodeClientOptions>
    /** This gateway's instance id, 8 hex digits; default random. Unique among gateways on a broker. */
    instanceId?: string
    /**
     * How long a board listed online has to answer the check an "offline" status starts before it
     * is listed offline. Default requestTimeoutMs; the request timeout also caps it.
     */
    offlineCheckMs?: number
    /**
     * The first re-read of the boards' retained statuses this long after each connect; each next
     * one twice as long after the one before, up to statusRereadMaxMs. Default 2000 ms; 0: none.
     */
    statusRereadMs?: number
    /** The longest interval between two re-reads of the retained statuses. Default 60000 ms. */
    statusRereadMaxMs?: number
}

/** A board's "offline" status being confirmed: the token of the probe and when it gives up. */
interface OfflineCheck {
    token: Buffer
    deadline: number
}

/** Length of the instance id at the start of every token this gateway sends. */
const INSTANCE_BYTES = 4

export class MqttSide {
    client: MqttClient | undefined
    private binding: CoapMqttClientBinding | undefined
    private links = new Map<string, BoardLink>()
    private needLinks = new Map<string, number>()
    private timer: NodeJS.Timeout | undefined
    private prefix: string
    /** Starts every token this gateway sends. */
    readonly instance: Buffer
    readonly shared: SharedObservations
    /** Replies to other gateways' requests, dropped (for tests and status). */
    othersDropped = 0
    private checks = new Map<string, OfflineCheck>()
    private filters: string[] = []
    /** Date.now() at which to subscribe again after a refused SUBACK; 0 when none is due. */
    private resubscribeAt = 0
    /** "offline" statuses not believed: the board answered the check (a late will). */
    offlinesDisproved = 0
    /** Called with the board's id each time an "offline" status is disproved (for logs). */
    onOfflineDisproved: ((id: string) => void) | undefined
    /** Date.now() of the next re-read of the retained statuses; 0 when none is due. */
    private rereadAt = 0
    /** The interval before the re-read after the next one. */
    private rereadGap = 0
    /** Re-reads of the retained statuses sent so far (for tests and status). */
    statusRereads = 0
    /** Re-reads the broker granted: the retained statuses after the first such SUBACK are read again. */
    private rereadsGranted = 0
    /**
     * Boards listed online by a retained status that arrived after a re-read's SUBACK (a broker
     * sends a subscription's retained messages after its SUBACK, and handles a client's packets in
     * order): the boards whose "online" the broker had not delivered yet (lost, or late: a loaded
     * cluster can deliver a live status seconds after a re-read's retained copy), or that came
     * online while the gateway was away (a reconnect's resubscribe also delivers retained statuses).
     */
    statusesRecovered = 0
    /** Called with the board's id for each of statusesRecovered (for logs). */
    onStatusRecovered: ((id: string) => void) | undefined

    constructor(
        private reg: BoardRegistry,
        private opts: MqttSideOptions
    ) {
        this.prefix = opts.prefix ?? "devices"
        const id = opts.instanceId
        if (id !== undefined && !/^[0-9a-fA-F]{8}$/.test(id)) throw new Error(`gateway instance id "${id}" is not 8 hex digits`)
        this.instance = id !== undefined ? Buffer.from(id, "hex") : randomBytes(INSTANCE_BYTES)
        this.shared = new SharedObservations(
            (t) => this.isOurs(t),
            (board, req, cb) => {
                this.binding?.cancel(board, req.token)
                this.send(board, req, cb)
            }
        )
    }

    get instanceId(): string {
        return this.instance.toString("hex")
    }

    private isOurs(token: Buffer): boolean {
        return token.length === 8 && token.subarray(0, INSTANCE_BYTES).equals(this.instance)
    }

    /** Our instance id, then 4 random bytes. */
    private freshToken(): Buffer {
        return Buffer.concat([this.instance, randomBytes(8 - INSTANCE_BYTES)])
    }

    private send(id: string, m: CoapMessage, cb: CoapResponseCallback): Buffer | undefined {
        const binding = this.binding
        if (!binding) return undefined
        if (!m.token || m.token.length === 0) m.token = this.freshToken()
        const out = this.shared.outgoing(id, m, cb)
        if (!out) return m.token
        return binding.request(id, m, out)
    }

    /** A board's response: ours goes to the matcher, another gateway's is adopted or dropped. */
    private onResponse(topic: string, payload: Buffer, binding: CoapMqttClientBinding): boolean {
        const id = boardIdFromResponseTopic(this.prefix, topic)
        if (id === undefined) return false
        let resp: CoapMessage
        try {
            resp = decodeTcpMessage(payload)
        } catch {
            return true
        }
        if (this.isOurs(resp.token)) return binding.onMessage(topic, payload)
        const token = this.shared.adopt(id, resp)
        if (token === undefined) {
            this.othersDropped++
            return true
        }
        resp.token = token
        return binding.onMessage(topic, encodeTcpMessage(resp))
    }

    /** A request on a board's request topic (ours echoed, or another gateway's). */
    private onRequest(topic: string, payload: Buffer): boolean {
        const head = this.prefix + "/"
        const tail = "/coap/req"
        if (!topic.startsWith(head) || !topic.endsWith(tail)) return false
        const id = topic.slice(head.length, topic.length - tail.length)
        if (id.length === 0 || id.includes("/")) return true
        try {
            this.shared.seenRequest(id, decodeTcpMessage(payload))
        } catch {
            // not a well-formed frame: the board drops it too
        }
        return true
    }

    start(): void {
        const client = connectNode({
            url: this.opts.url,
            clientId: "devs-link-gateway-" + this.instanceId,
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
        client.on("message", (topic: string, payload: Buffer, p: { retain?: boolean } | undefined) =>
            guard("mqtt", () => {
                if (this.onResponse(topic, payload, binding)) return
                if (this.onRequest(topic, payload)) return
                this.onStatus(topic, payload, !!p?.retain)
            })
        )
        const filters = [binding.responseFilter(), coapRequestTopic(this.prefix, "+"), this.prefix + "/+/status"]
        // A refused subscription (SUBACK 0x80) is dropped from the client's session and only
        // reported here: a clustered broker refuses one for seconds after a node dies (a resubscribe
        // after the gateway's reconnect among them), and without its subscriptions the gateway
        // hears no board. So it subscribes again a second later, until granted.
        client.on("error", (e: Error) => {
            if (e instanceof MqttClientError && e.code === ClientErrorCode.SUBSCRIBE_FAILED) this.resubscribeAt = Date.now() + 1000
        })
        this.filters = filters
        // each connect subscribes anew (the first here, later ones by the client's resubscribe)
        client.on("connect", () => this.rereadsFrom(Date.now()))
        client.subscribeNoWait(filters, { qos: 1 })
        this.timer = setInterval(() => guard("mqtt", () => this.tick()), 50)
    }

    async stop(): Promise<void> {
        if (this.timer) clearInterval(this.timer)
        this.client?.end()
    }

    private tick(): void {
        this.binding?.tick()
        const now = Date.now()
        if (this.resubscribeAt > 0 && now >= this.resubscribeAt) {
            this.resubscribeAt = 0
            this.client?.subscribeNoWait(this.filters, { qos: 1 })
            this.rereadsFrom(now)
        }
        if (this.rereadAt > 0 && now >= this.rereadAt) this.rereadStatuses(now)
        for (const [id, at] of this.needLinks) if (now >= at) this.discover(id)
        for (const [id, c] of this.checks)
            if (now >= c.deadline) {
                this.endCheck(id)
                this.goOffline(id, "status offline, no answer to the check")
            }
    }

    private linkFor(id: string): BoardLink {
        let l = this.links.get(id)
        if (!l) {
            l = {
                request: (m: CoapMessage, cb: CoapResponseCallback) => this.send(id, m, cb),
                cancel: (t: Buffer) => this.binding?.cancel(id, t),
            }
            this.links.set(id, l)
        }
        return l
    }

    /** Starts the re-reads over: the first statusRereadMs after `now`. */
    private rereadsFrom(now: number): void {
        const first = this.opts.statusRereadMs ?? 2000
        this.rereadGap = first
        this.rereadAt = first > 0 ? now + first : 0
    }

    /**
     * Why the retained statuses are read again: a subscription does not promise every status. On
     * NATS's MQTT (2.9, measured in docs/fleet.md) a QoS 1 subscription takes its retained
     * messages from the node's copy and the messages published after it from a JetStream consumer
     * that starts only later, with the messages that come after its start; a status published in
     * between is delivered neither way, and a node's copy of the retained statuses published on
     * other nodes lags behind. A board whose only "online" fell there would never be listed. A
     * SUBSCRIBE of a filter already subscribed makes the broker send its retained messages again
     * (MQTT 3.1.1 3.8.4) and keeps the subscription, so a missed status is read within
     * statusRereadMs after a connect, or the re-read after, the intervals doubling to
     * statusRereadMaxMs: a status missed at any time is read within that bound. A retained
     * "offline" read again for a board listed online is confirmed like any other (confirmOffline).
     * A refused re-read drops the status subscription: all of them are made again, as after a refused
     * SUBSCRIBE (start).
     */
    private rereadStatuses(now: number): void {
        const client = this.client
        const max = this.opts.statusRereadMaxMs ?? 60000
        this.rereadGap = Math.min(this.rereadGap * 2, max)
        this.rereadAt = now + this.rereadGap
        if (!client || !client.isConnected()) return
        this.statusRereads++
        client.subscribeNoWait(this.prefix + "/+/status", { qos: 1 }, (err, granted) => {
            // refused: the client dropped the status subscription; all of them are made again
            if (err || !granted || granted[0] === 0x80) this.resubscribeAt = Date.now() + 1000
            else this.rereadsGranted++
        })
    }

    private onStatus(topic: string, payload: Buffer, retained: boolean): void {
        const head = this.prefix + "/"
        if (!topic.startsWith(head) || !topic.endsWith("/status")) return
        const id = topic.slice(head.length, topic.length - "/status".length)
        if (id.length === 0 || id.includes("/")) return
        // an empty retained status: the board was removed, nothing to confirm
        if (payload.length === 0) {
            this.endCheck(id)
            this.goOffline(id, "status removed")
            return
        }
        let state = ""
        try {
            const j = JSON.parse(payload.toString("utf-8"))
            state = typeof j?.state === "string" ? j.state : ""
        } catch {
            return
        }
        const known = this.reg.get(id)
        if (state === "online") {
            this.endCheck(id)
            if (known && known.online && known.binding === "mqtt") return
            if (retained && this.rereadsGranted > 0) {
                this.statusesRecovered++
                this.onStatusRecovered?.(id)
            }
            this.reg.online(id, "mqtt", this.linkFor(id))
            this.discover(id)
        } else if (state === "offline") {
            // a board reached over coap+tcp is not this side's to list
            if (known && known.online && known.binding !== "mqtt") this.goOffline(id, "status offline")
            else this.confirmOffline(id)
        }
    }

    /**
     * Why an "offline" is checked: the board's "offline" is its MQTT will, and a will does not say
     * which connection it belonged to. On a clustered broker a board whose node died reconnects on
     * another node and publishes "online", and the will of its lost connection can reach us after
     * that; believed, it would list a connected board offline until its next status. So the board
     * is asked directly, on the same binding its requests take: a GET with no Uri-Path, which the
     * board answers at once (4.04) without reading its model or sending a body (its endpoint drops
     * 7.xx signals, so there is no RFC 8323 Ping to use). Any answer disproves the "offline"; none
     * within offlineCheckMs lists it offline, failing what is pending. An "online" meanwhile ends
     * the check. The bound for a board that really died: listed offline at most offlineCheckMs
     * (default the request timeout, 3 s; + one 50 ms tick) after its will arrives; a request sent
     * to it meanwhile ends as before the will, with 5.04 at its request timeout, never later.
     * A board not listed online (unknown, or listed offline) is checked too, and listed online if
     * it answers: a check can go unanswered although the board is there (the gateway's own response
     * subscription refused for a while after a cluster node died), and a late will can be the
     * board's last retained status; each re-read of the statuses (rereadStatuses) checks such a
     * board again, so it is listed within the re-read interval once it answers.
     */
    private confirmOffline(id: string): void {
        const binding = this.binding
        if (!binding || this.checks.has(id)) return
        const token = this.freshToken()
        const timeout = this.opts.offlineCheckMs ?? this.opts.requestTimeoutMs ?? 3000
        const check: OfflineCheck = { token, deadline: Date.now() + timeout }
        this.checks.set(id, check)
        const probe: CoapMessage = { type: CoapType.CON, code: CoapCode.GET, messageId: 0, token, options: [], payload: Buffer.alloc(0) }
        binding.request(id, probe, (resp) => {
            if (this.checks.get(id) !== check) return
            this.checks.delete(id)
            if (!resp) return this.goOffline(id, "status offline, no answer to the check")
            this.offlinesDisproved++
            this.onOfflineDisproved?.(id)
            const b = this.reg.get(id)
            if (b && b.online) return
            this.reg.online(id, "mqtt", this.linkFor(id))
            this.discover(id)
        })
    }

    private endCheck(id: string): void {
        const c = this.checks.get(id)
        if (!c) return
        this.checks.delete(id)
        this.binding?.cancel(id, c.token)
    }

    private goOffline(id: string, reason: string): void {
        this.needLinks.delete(id)
        this.shared.boardGone(id)
        this.binding?.failBoard(id, "board offline")
        this.reg.offline(id, reason, this.links.get(id))
    }

    /** GET /.well-known/core over the binding; the answer becomes the board's resource list. */
    private discover(id: string): void {
        this.needLinks.set(id, Date.now() + (this.opts.discoveryRetryMs ?? 5000))
        // forward() reassembles a block-wise answer (a board with many resources)
        forward(
            this.reg,
            id,
            { method: CoapCode.GET, segments: [".well-known", "core"], query: [], accept: ContentFormat.LinkFormat },
            (r) => {
                if (r.error !== undefined || r.response.code !== CoapCode.Content) return
                try {
                    this.reg.setLinks(id, parseLinks(r.response.payload.toString("utf-8")))
                    this.needLinks.delete(id)
                } catch {
                    // keep retrying: a board that answers garbage stays without resources
                }
            }
        )
    }
}
