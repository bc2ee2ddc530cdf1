// Scenarios over a shaped link, shared by the tests (bounded, condition-waiting) and the bench
// (figures): this project's MQTT client through a Wi-Fi-like TCP link to a real Mosquitto, and a
// CoAP client through a lossy UDP link to the gateway, which forwards to a board simulated in Node.
import mqtt from "mqtt"
import { createSocket, type Socket as UdpSocket } from "node:dgram"
import type { Socket } from "node:net"
import { performance } from "node:perf_hooks"
import { connectNodeAsync, type MqttClient } from "../../src/host/mqtt"
import { startGateway, type Gateway } from "../../src/host/gateway/gateway"
import { decodeMessage, encodeMessage } from "../../src/coap/codec/codec"
import { CoapType, newMessage, setUriPath, type CoapMessage } from "../../src/coap/codec/message"
import { RFC7252_4_8, type TransmissionParams } from "../../src/coap/transport/messagelayer-params"
import { startFaultProxy, type FaultProxy, type LinkShape } from "./fault-proxy"
import { startMosquitto, type Mosquitto } from "./mosquitto"
import { startUdpShaper, type DatagramShape, type UdpShaper } from "./udp-shaper"
import { seededRandom } from "./link-model"
import { until } from "./wait"
import { tcpBoard, type SimBoard } from "../interop/coap-tcp/sim-board"

/** 256 kbit/s, in bytes per second. */
export const WIFI_BYTES_PER_SEC = 32000

/** A slow Wi-Fi link: 40 ms +- 20 ms each way, 256 kbit/s each way. */
export function wifiShape(seed = 1): LinkShape {
    const way = { latencyMs: 40, jitterMs: 20, bytesPerSec: WIFI_BYTES_PER_SEC }
    return { toBroker: way, toClient: way, seed }
}

export interface ShapedMqtt {
    broker: Mosquitto
    proxy: FaultProxy
    /** This project's client, behind the shaped link (where a board is). */
    device: MqttClient
    /** An npm `mqtt` client on the broker's side of the link (a server, an app). */
    peer: mqtt.MqttClient
    stop(): Promise<void>
}

export async function startShapedMqtt(opts: {
    shape: LinkShape
    window?: number
    clientId?: string
    brokerNodelay?: boolean
}): Promise<ShapedMqtt> {
    // Mosquitto's default (set_tcp_nodelay false) leaves Nagle on for its writes: a PUBACK then waits for
    // the ACK of the one before, which costs pipelined QoS 1 about a quarter of its rate (docs/link-shaping.md)
    const broker = await startMosquitto({ persistence: false, extraConfig: opts.brokerNodelay ? "set_tcp_nodelay true" : "" })
    const proxy = await startFaultProxy(broker.port)
    proxy.shape(opts.shape)
    const device = await connectNodeAsync({
        url: proxy.url,
        clientId: opts.clientId ?? "shaped-device",
        inflightWindow: opts.window ?? 16,
        outboxMaxMessages: 10000,
        outboxMaxBytes: 10_000_000,
    })
    const peer = await mqtt.connectAsync(broker.url, { clientId: "shaped-peer", reconnectPeriod: 0 })
    // MQTT.js leaves Nagle on: its request would wait for the ACK of its previous PUBACK (a delayed
    // ACK, up to 40 ms on Linux) and that wait would be counted as the link's
    ;(peer.stream as unknown as Socket).setNoDelay(true)
    return {
        broker,
        proxy,
        device,
        peer,
        async stop() {
            device.end()
            await peer.endAsync()
            await proxy.close()
            await broker.stop()
        },
    }
}

/** Milliseconds from the first publish to the last PUBACK of n pipelined QoS 1 publishes, and who got what. */
export async function pipelinedQos1(
    m: ShapedMqtt,
    topic: string,
    n: number,
    payloadBytes = 32,
    device: MqttClient = m.device
): Promise<{ ms: number; received: number[] }> {
    const received: number[] = []
    const onMessage = (t: string, p: Buffer) => {
        if (t === topic) received.push(p.readUInt32BE(0))
    }
    m.peer.on("message", onMessage)
    await m.peer.subscribeAsync(topic, { qos: 1 })
    let acked = 0
    let lastAckAt = 0
    let failed: Error | undefined
    const t0 = performance.now()
    for (let i = 0; i < n; i++) {
        const p = Buffer.alloc(Math.max(4, payloadBytes), 0x61)
        p.writeUInt32BE(i, 0)
        device.publishNoWait(topic, p, { qos: 1 }, (err) => {
            if (err) failed = err
            else if (++acked === n) lastAckAt = performance.now()
        })
    }
    await until(() => acked === n || failed !== undefined, 60000, `${n} PUBACKs`)
    const ms = lastAckAt - t0
    if (failed) throw failed
    // QoS 1 may deliver a message twice (after a reconnect): wait for n different ones
    await until(() => new Set(received).size >= n, 10000, `${n} messages at the peer`)
    m.peer.off("message", onMessage)
    return { ms, received }
}

/** One QoS 1 publish at a time: each sample is a publish -> PUBACK round trip through the link. */
export async function publishRoundTrips(m: ShapedMqtt, n: number): Promise<number[]> {
    const out: number[] = []
    for (let i = 0; i < n; i++) {
        const t0 = performance.now()
        await m.device.publish("rtt/probe", "x", { qos: 1 })
        out.push(performance.now() - t0)
    }
    return out
}

/**
 * JSON-RPC request/response over devices/<id>/rx|tx: the peer publishes a request on rx (QoS 1),
 * the device (behind the link) answers on tx; each sample is the peer's wait for its answer.
 */
export async function rpcRoundTrips(m: ShapedMqtt, id: string, n: number): Promise<number[]> {
    const rx = `devices/${id}/rx`
    const tx = `devices/${id}/tx`
    await m.device.subscribe(rx, {
        qos: 1,
        onMessage: (_t: string, p: Buffer) => {
            const req = JSON.parse(p.toString()) as { id: number; method: string }
            m.device.publishNoWait(tx, JSON.stringify({ jsonrpc: "2.0", id: req.id, result: { method: req.method, uptime: 1 } }), {
                qos: 1,
            })
        },
    })
    let answered = -1
    let answeredAt = 0
    // the arrival time is taken here, not when the polling wait below notices it
    const onMessage = (t: string, p: Buffer) => {
        if (t !== tx) return
        answered = (JSON.parse(p.toString()) as { id: number }).id
        answeredAt = performance.now()
    }
    m.peer.on("message", onMessage)
    await m.peer.subscribeAsync(tx, { qos: 1 })
    const out: number[] = []
    for (let i = 0; i < n; i++) {
        const t0 = performance.now()
        await m.peer.publishAsync(rx, JSON.stringify({ jsonrpc: "2.0", id: i, method: "sys.info" }), { qos: 1 })
        await until(() => answered === i, 10000, `the answer to request ${i}`)
        out.push(answeredAt - t0)
    }
    m.peer.off("message", onMessage)
    return out
}

export function percentile(xs: number[], p: number): number {
    const s = [...xs].sort((a, b) => a - b)
    if (s.length === 0) return NaN
    return s[Math.max(0, Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1))]
}

export interface ShapedCoap {
    gateway: Gateway
    board: SimBoard
    shaper: UdpShaper
    stop(): Promise<void>
}

/** The gateway's UDP front behind a shaped link, one board on its coap+tcp head-end (id "sb1"). */
export async function startShapedCoap(shape: { toServer?: DatagramShape; toClient?: DatagramShape; seed?: number }): Promise<ShapedCoap> {
    const gateway = await startGateway({ coap: { port: 0 }, tcp: { port: 0 }, http: false, mqtt: false })
    const board = tcpBoard("sb1", gateway.ports.tcp as number)
    await until(
        () => {
            const b = gateway.registry.get("sb1")
            return !!b && b.online && b.links.length > 0
        },
        10000,
        "the board registered at the gateway"
    )
    const shaper = await startUdpShaper(gateway.ports.coap as number, shape)
    return {
        gateway,
        board,
        shaper,
        async stop() {
            board.stop()
            await shaper.close()
            await gateway.stop()
        },
    }
}

export interface CoapResult {
    code: number
    ms: number
    /** Times the request was sent again (RFC 7252 4.2: no ACK or answer before the timeout). */
    retransmissions: number
}

/** How long an acknowledged request waits for its separate response: 16 ACK_TIMEOUTs (32 s at RFC 7252's defaults). */
const separateResponseDeadline = (p: TransmissionParams) => p.ackTimeout * 16

/**
 * A CoAP client over UDP with RFC 7252 section 4.2 reliability: a CON request is sent again after
 * ackTimeout * [1, ackRandomFactor), doubling, up to maxRetransmit times; an empty ACK stops that and
 * the separate response (CON, which it acknowledges, or NON) is awaited. One request at a time (NSTART 1).
 */
export class CoapUdpClient {
    private sock: UdpSocket
    private nextMid: number
    private nextToken = 1
    private waiting: ((m: CoapMessage) => void) | undefined
    private random: () => number

    private constructor(
        sock: UdpSocket,
        private host: string,
        private port: number,
        private params: TransmissionParams,
        seed: number
    ) {
        this.sock = sock
        this.random = seededRandom(seed)
        this.nextMid = Math.floor(this.random() * 0x10000)
        sock.on("message", (b) => {
            let m: CoapMessage
            try {
                m = decodeMessage(b)
            } catch {
                return
            }
            // a confirmable separate response is acknowledged every time it comes (our ACK may be lost)
            if (m.type === CoapType.CON) sock.send(encodeMessage(newMessage(CoapType.ACK, 0, m.messageId)), this.port, this.host)
            this.waiting?.(m)
        })
    }

    static async open(host: string, port: number, params: Partial<TransmissionParams> = {}, seed = 1): Promise<CoapUdpClient> {
        const sock = createSocket("udp4")
        await new Promise<void>((r) => sock.bind(0, "127.0.0.1", () => r()))
        return new CoapUdpClient(sock, host, port, { ...RFC7252_4_8, ...params }, seed)
    }

    /** GET path; rejects when every transmission went unanswered. */
    get(path: string): Promise<CoapResult> {
        const mid = this.nextMid
        this.nextMid = (this.nextMid + 1) & 0xffff
        const token = Buffer.alloc(4)
        token.writeUInt32BE(this.nextToken++)
        const req = newMessage(CoapType.CON, 1, mid, token)
        setUriPath(req, path)
        const bytes = encodeMessage(req)
        const t0 = performance.now()
        return new Promise((resolve, reject) => {
            let retransmissions = 0
            let acked = false
            // RFC 7252 4.2's retransmission timer: the protocol's own timeout, not a wait for an outcome
            let retransmitTimeout = this.params.ackTimeout * (1 + this.random() * (this.params.ackRandomFactor - 1))
            let timer: ReturnType<typeof setTimeout> | undefined
            const finish = (err: Error | undefined, m?: CoapMessage) => {
                clearTimeout(timer)
                this.waiting = undefined
                if (err || !m) reject(err)
                else resolve({ code: m.code, ms: performance.now() - t0, retransmissions })
            }
            const send = () => {
                this.sock.send(bytes, this.port, this.host)
                timer = setTimeout(() => {
                    if (acked) return
                    if (retransmissions >= this.params.maxRetransmit)
                        return finish(new Error(`no answer to GET ${path} after ${retransmissions} retransmissions`))
                    retransmissions++
                    retransmitTimeout *= 2
                    send()
                }, retransmitTimeout)
            }
            this.waiting = (m) => {
                if (m.type === CoapType.ACK && m.messageId === mid && m.code === 0) {
                    acked = true
                    clearTimeout(timer)
                    // a separate response still has to come; 5.2.2 sets no bound, so this client's deadline
                    // for it is the exchange's whole span, and missing it fails the request
                    timer = setTimeout(
                        () => finish(new Error(`no separate response to GET ${path}`)),
                        separateResponseDeadline(this.params)
                    )
                    return
                }
                if (m.code !== 0 && m.token.equals(token) && (m.type !== CoapType.ACK || m.messageId === mid)) finish(undefined, m)
            }
            send()
        })
    }

    close(): void {
        this.sock.close()
    }
}
