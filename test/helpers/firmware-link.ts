// The firmware (devs/main.ts) in the DeviceScript simulator behind a shaped TCP link
// (fault-proxy.ts shape()) to a real Mosquitto, seen by an npm `mqtt` peer on the broker's side.
// Shared by test/e2e/firmware-shaped-link.spec.ts (outcomes) and the bench's link-firmware phase
// (figures), so both drive the board the same way:
//   startFirmwareLink()  broker, proxy, peer, then the simulator lock, the firmware, online
//   rpc()/rpcBatch()     JSON-RPC on devices/<id>/rx, answers on devices/<id>/tx
//   telemetryNow()       telemetry.now n times: what the board says it published vs what arrived
//   ledToggles()         led.set n times: each change is a retained QoS 1 state publish
//   boardBurst()         test/devs/e2e/shaped-burst.ts in the same simulator: pipelined QoS 1
import mqtt, { type MqttClient } from "mqtt"
import type { Socket } from "node:net"
import { performance } from "node:perf_hooks"
import { startFaultProxy, type FaultProxy, type LinkShape } from "./fault-proxy"
import { startMosquitto, type Mosquitto } from "./mosquitto"
import { startSimulator, type SimRun, type Simulator } from "./simulator"
import { until } from "./wait"

export interface PeerMsg {
    topic: string
    text: string
    retain: boolean
    /** performance.now() at arrival. */
    at: number
}

export interface FirmwareLink {
    broker: Mosquitto
    proxy: FaultProxy
    sim: Simulator
    /** The firmware's run (replaced by boardBurst()). */
    run: SimRun
    /** On the broker's side of the link, subscribed at QoS 1 to the device's topics and discovery. */
    peer: MqttClient
    deviceId: string
    /** devices/<id> */
    topic: string
    /** Every message the peer received, in arrival order. */
    msgs: PeerMsg[]
    /** Messages (index >= from) matching pred, waiting until there are `count` of them. */
    collect(pred: (m: PeerMsg) => boolean, count: number, timeoutMs: number, from?: number): Promise<PeerMsg[]>
    stop(): Promise<void>
}

export interface FirmwareLinkOptions {
    shape: LinkShape
    deviceId: string
    /** Mosquitto's set_tcp_nodelay (docs/link-shaping.md: its default, false, delays pipelined PUBACKs). */
    brokerNodelay?: boolean
    /** TELEMETRY_MS (default 30000: periodic telemetry stays out of the way). */
    telemetryMs?: number
}

export async function startFirmwareLink(opts: FirmwareLinkOptions): Promise<FirmwareLink> {
    const topic = `devices/${opts.deviceId}`
    const msgs: PeerMsg[] = []
    let broker: Mosquitto | undefined
    let proxy: FaultProxy | undefined
    let peer: MqttClient | undefined
    let sim: Simulator | undefined
    const stop = async () => {
        await sim?.stop()
        await peer?.endAsync()
        await proxy?.close()
        await broker?.stop()
    }
    try {
        broker = await startMosquitto({ persistence: false, extraConfig: opts.brokerNodelay ? "set_tcp_nodelay true" : "" })
        proxy = await startFaultProxy(broker.port)
        proxy.shape(opts.shape)
        peer = await mqtt.connectAsync(broker.url, { clientId: `firmware-link-peer-${process.pid}`, reconnectPeriod: 0 })
        // MQTT.js leaves Nagle on: a request would wait for the ACK of its previous PUBACK, and
        // that wait would be counted as the link's (docs/link-shaping.md)
        ;(peer.stream as unknown as Socket).setNoDelay(true)
        peer.on("message", (t, p, packet) =>
            msgs.push({ topic: t, text: p.toString("utf8"), retain: packet.retain, at: performance.now() })
        )
        await peer.subscribeAsync([`${topic}/#`, "homeassistant/#"], { qos: 1 })
        // everything that needs no simulator is up: only now take the machine-wide lock
        sim = await startSimulator()
        const run = await sim.run("devs/main.ts", {
            deviceId: opts.deviceId,
            settings: { MQTT_URL: proxy.url, TELEMETRY_MS: opts.telemetryMs ?? 30000, KEEPALIVE_S: 30, CHANGE_THRESH: 0 },
        })
        await run.log.waitFor(/^mqtt: online as /, 180_000)
        const link: FirmwareLink = {
            broker,
            proxy,
            sim,
            run,
            peer,
            deviceId: opts.deviceId,
            topic,
            msgs,
            async collect(pred, count, timeoutMs, from = 0) {
                const got = () => msgs.slice(from).filter(pred)
                await until(() => got().length >= count, timeoutMs, `${count} matching messages at the peer (have ${got().length})`)
                return got()
            },
            stop,
        }
        return link
    } catch (e) {
        await stop()
        throw e
    }
}

export interface RpcReply {
    id: number
    result?: any
    error?: { code: number; message: string; data?: unknown }
    /** ms from the request's publish to the reply's arrival at the peer. */
    ms: number
}

let nextId = 1

function parseReply(m: PeerMsg): { id: unknown; result?: any; error?: any } | undefined {
    try {
        return JSON.parse(m.text) as { id: unknown }
    } catch {
        return undefined
    }
}

/** Requests sent at once (each a QoS 1 publish on rx); resolves with the replies in arrival order. */
export async function rpcBatch(link: FirmwareLink, calls: { method: string; params?: unknown }[], timeoutMs = 30_000): Promise<RpcReply[]> {
    const from = link.msgs.length
    const sentAt = new Map<number, number>()
    const ids: number[] = []
    for (const c of calls) {
        const id = nextId++
        ids.push(id)
        const req: Record<string, unknown> = { jsonrpc: "2.0", method: c.method, id }
        if (c.params !== undefined) req["params"] = c.params
        sentAt.set(id, performance.now())
        link.peer.publish(`${link.topic}/rx`, JSON.stringify(req), { qos: 1 })
    }
    const mine = new Set(ids)
    const replies = await link.collect(
        (m) => m.topic === `${link.topic}/tx` && mine.has(parseReply(m)?.id as number),
        ids.length,
        timeoutMs,
        from
    )
    return replies.map((m) => {
        const r = parseReply(m) as { id: number; result?: any; error?: any }
        return { id: r.id, result: r.result, error: r.error, ms: m.at - (sentAt.get(r.id) as number) }
    })
}

/** One request; resolves with its reply. */
export async function rpc(link: FirmwareLink, method: string, params?: unknown, timeoutMs = 30_000): Promise<RpcReply> {
    return (await rpcBatch(link, [{ method, params }], timeoutMs))[0]
}

/** n requests one at a time: the round trip of each (request on rx -> reply on tx, both through the link). */
export async function firmwareRpcRoundTrips(link: FirmwareLink, n: number, method = "led.get"): Promise<RpcReply[]> {
    const out: RpcReply[] = []
    for (let i = 0; i < n; i++) out.push(await rpc(link, method))
    return out
}

/**
 * telemetry.now n times, one at a time: each reply is the document the board published (QoS 0,
 * docs/firmware.md). Resolves with those documents and the telemetry the peer saw meanwhile.
 */
export async function telemetryNow(link: FirmwareLink, n: number, timeoutMs = 30_000): Promise<{ sent: string[]; arrived: string[] }> {
    const from = link.msgs.length
    const sent: string[] = []
    for (let i = 0; i < n; i++) {
        const r = await rpc(link, "telemetry.now")
        if (r.error) throw new Error(`telemetry.now failed: ${JSON.stringify(r.error)}`)
        sent.push(JSON.stringify(r.result))
    }
    const isTel = (m: PeerMsg) => m.topic === `${link.topic}/telemetry`
    const canon = (m: PeerMsg) => JSON.stringify(JSON.parse(m.text))
    // the replies come after their documents on the same connection, but QoS 0 is allowed to be
    // lost: wait until every one is there, or say which are not
    await until(
        () => {
            const have = new Set(link.msgs.slice(from).filter(isTel).map(canon))
            return sent.every((s) => have.has(s))
        },
        timeoutMs,
        "every telemetry document the board published"
    ).catch((): void => undefined)
    return { sent, arrived: link.msgs.slice(from).filter(isTel).map(canon) }
}

/**
 * led.set n times, alternating on/off, sent at once: every change is published retained at QoS 1
 * on state/led (docs/firmware.md "Actuator states follow every change"). Resolves with the replies
 * and the states the peer saw, in arrival order.
 */
export async function ledToggles(link: FirmwareLink, n: number, timeoutMs = 60_000): Promise<{ replies: RpcReply[]; states: string[] }> {
    const before = (await rpc(link, "led.get")).result as { on: boolean }
    const from = link.msgs.length
    const calls = Array.from({ length: n }, (_, i) => ({ method: "led.set", params: { on: (i % 2 === 0) !== before.on } }))
    const replies = await rpcBatch(link, calls, timeoutMs)
    const isState = (m: PeerMsg) => m.topic === `${link.topic}/state/led`
    await until(() => link.msgs.slice(from).filter(isState).length >= n, timeoutMs, `${n} state/led messages`).catch((): void => undefined)
    return {
        replies,
        states: link.msgs
            .slice(from)
            .filter(isState)
            .map((m) => m.text),
    }
}

export interface BurstResult {
    n: number
    ok: number
    failed: number
    /** Board clock: first publish to last PUBACK. */
    ms: number
    /** Board clock: publish -> PUBACK one at a time. */
    rttSamples: number[]
    /** Payloads ("<i>") the peer received on the burst topic, in arrival order. */
    received: number[]
}

/**
 * Stops the firmware and runs test/devs/e2e/shaped-burst.ts in the same simulator, through the same
 * link: the board's MQTT client pipelining n QoS 1 publishes with an in-flight window of `window`.
 */
export async function boardBurst(link: FirmwareLink, n: number, window: number, rttN = 30): Promise<BurstResult> {
    const prefix = `devs-link/shaped/${process.pid}-${Date.now()}`
    const burstTopic = `${prefix}/burst`
    const received: number[] = []
    const onMessage = (t: string, p: Buffer) => {
        if (t === burstTopic) received.push(Number(p.toString()))
    }
    link.peer.on("message", onMessage)
    try {
        await link.peer.subscribeAsync(`${prefix}/#`, { qos: 1 })
        link.run = await link.sim.run("test/devs/e2e/shaped-burst.ts", {
            applyEnvFiles: false,
            settings: {
                MQTT_HOST: link.proxy.host,
                MQTT_PORT: link.proxy.port,
                E2E_PREFIX: prefix,
                E2E_N: n,
                E2E_WINDOW: window,
                E2E_RTT_N: rttN,
            },
        })
        const rtt = await link.run.log.waitFor(/^E2E rtt samples=([\d,]*)$/, 180_000)
        const m = await link.run.log.waitFor(/^E2E burst n=(\d+) ok=(\d+) failed=(\d+) ms=(\d+)$/, 180_000)
        // QoS 1 may deliver twice after a reconnect: wait for n different ones (or say how many came)
        await until(() => new Set(received).size >= n, 30_000, `${n} burst messages at the peer`).catch((): void => undefined)
        return {
            n: Number(m[1]),
            ok: Number(m[2]),
            failed: Number(m[3]),
            ms: Number(m[4]),
            rttSamples: rtt[1]
                .split(",")
                .filter((s) => s !== "")
                .map(Number),
            received: [...received],
        }
    } finally {
        link.peer.off("message", onMessage)
    }
}

/** The announce right after connect, as the peer saw it (call it before any request): the QoS 1 documents and their spacing. */
export function announceSpacing(link: FirmwareLink): { count: number; ms: number } {
    const announce = link.msgs.filter(
        (m) => m.topic.startsWith("homeassistant/") || m.topic === `${link.topic}/status` || m.topic.startsWith(`${link.topic}/state/`)
    )
    if (announce.length < 2) return { count: announce.length, ms: 0 }
    return { count: announce.length, ms: announce[announce.length - 1].at - announce[0].at }
}
