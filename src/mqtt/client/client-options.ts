// Client options in the MQTT.js idiom and their defaults (the `url` option is parsed by
// src/config/url.ts, the parser the firmware's settings use too).
// Kept apart from client.ts so the defaults are one table a reader can check.

import { Random, StreamTarget } from "../../io"
import { QoS } from "../codec/packets"
import { invalid as bad } from "../session/session-errors"
import { SessionOptions } from "../session/session"
import { Endpoint, parseUrlWithCredentials } from "../../config/url"

export interface WillOptions {
    topic: string
    payload: string | Buffer
    qos?: QoS
    retain?: boolean
}

export interface ClientOptions {
    /** mqtt://host:port, mqtts://host:port (also tcp://, tls://, ssl://); user:pass@ is taken as credentials, a path ignored. MqttClient only (withUrl). */
    url?: string
    host?: string
    /** Default 1883, or 8883 with TLS. */
    port?: number
    /** Default "tcp" (or from the url scheme). */
    proto?: "tcp" | "tls"
    /** Default "devs-link-" + 6 random hex digits. */
    clientId?: string
    /** CleanSession (3.1.2.4); default true. */
    clean?: boolean
    /** Seconds, 0..65535; default 60. */
    keepalive?: number
    username?: string
    password?: string | Buffer
    will?: WillOptions
    /** Backoff floor in ms; default 1000; 0 turns automatic reconnect off. */
    reconnectPeriod?: number
    /** Backoff ceiling in ms; default 60000. */
    reconnectPeriodMax?: number
    /** ms from opening the stream to CONNACK; default 30000. */
    connectTimeout?: number
    /** ms to wait for PINGRESP; default keepalive/2 (half-open link found within 1.5 x keepalive). */
    pingTimeout?: number
    /** QoS 1/2 messages awaiting acknowledgement at once; default 16. Keep it within the broker's quota (Mosquitto: max_inflight_messages, 20): over it, Mosquitto 2.0 acknowledges messages it then drops (QoS 2 beyond the quota; QoS 1 while the quota is full of QoS 2 messages awaiting release; docs/faults.md). */
    inflightWindow?: number
    /** Outbox bound (messages not yet written); default 64 messages ... */
    outboxMaxMessages?: number
    /** ... and 16384 bytes (topic characters + payload bytes). */
    outboxMaxBytes?: number
    /**
     * Largest incoming packet accepted (bytes, fixed header included); default 65536. A larger
     * PUBLISH is counted through without being stored, acknowledged per its QoS, not delivered,
     * and reported by the "oversize" event; any other larger packet (or a PUBLISH whose topic alone
     * is over the limit) is refused from its header and the connection is closed.
     */
    maxPacketSize?: number
    /**
     * Messages received but not yet handled. Given, QoS 1 PUBACKs are held back and released one at
     * a time while it returns 0, so a broker cannot send faster than the application handles
     * (src/mqtt/session/held-acks.ts). QoS 2 is not held.
     */
    backlog?: () => number
}

/**
 * The numeric options with a default, as data: option name, SessionOptions field, default. One
 * string split at run time, so the board builds no table at start-up and resolveOptions has one
 * loop instead of a call per option. maxPacketSize: without a bound, a broker declaring a 256 MB
 * PUBLISH had its body buffered until a ping timeout.
 */
const NUMERIC_DEFAULTS =
    "keepalive keepalive 60 reconnectPeriod reconnectMin 1000 reconnectPeriodMax reconnectMax 60000 " +
    "connectTimeout connectTimeout 30000 inflightWindow inflightWindow 16 outboxMaxMessages outboxMaxMessages 64 " +
    "outboxMaxBytes outboxMaxBytes 16384 maxPacketSize maxPacketSize 65536"

export function toBuffer(v: string | Buffer): Buffer {
    if (v == null) return Buffer.alloc(0)
    return typeof v === "string" ? Buffer.from(v as string) : (v as Buffer)
}

const HEX = "0123456789abcdef"

export interface ResolvedOptions {
    target: StreamTarget
    session: SessionOptions
}

/**
 * The options with the `url` option read into host, port, proto (unless given), username and
 * password (unless given), as MQTT.js does. MqttClient does this before resolveOptions; the
 * board's MqttClientCore takes host and port, so the boards do not link the URL reading.
 */
export function withUrl(o: ClientOptions): ClientOptions {
    const proto = o.proto
    // a bad proto is resolveOptions' error, as before any URL error
    if (!o.url || (proto && proto !== "tls" && proto !== "tcp")) return o
    const r = parseUrlWithCredentials(o.url, ["mqtt", "mqtts", "tcp", "tls", "ssl"])
    if (typeof r === "string") throw bad("url " + r)
    const u = r as Endpoint
    const out: any = {}
    const given: any = o
    for (const k of Object.keys(given)) out[k] = given[k]
    out.host = u.host
    if (!proto) out.proto = u.tls ? "tls" : "tcp"
    out.port = o.port || u.port
    out.username = o.username ?? u.username
    out.password = o.password ?? u.password
    return out as ClientOptions
}

/** Where to connect and the session's options, with every default filled in (`url` is withUrl's). */
export function resolveOptions(o: ClientOptions, random: Random): ResolvedOptions {
    const proto = o.proto
    if (proto && proto !== "tls" && proto !== "tcp") throw bad("proto must be tcp or tls")
    const host = o.host
    if (!host) throw bad("host or url required (url: MqttClient only)")
    let clientId = o.clientId
    if (clientId === undefined) {
        clientId = "devs-link-"
        for (let i = 0; i < 6; i++) clientId += HEX.charAt(Math.floor(random.next() * 16) & 15)
    }
    const w = o.will
    const session: SessionOptions = {
        clientId,
        clean: o.clean ?? true,
        username: o.username,
        password: o.password === undefined ? undefined : toBuffer(o.password),
        will: w ? { topic: w.topic, payload: toBuffer(w.payload), qos: w.qos ?? 0, retain: !!w.retain } : undefined,
        pingTimeout: o.pingTimeout,
        backlog: o.backlog,
    } as SessionOptions
    const given: any = o
    const fields: any = session
    const f = NUMERIC_DEFAULTS.split(" ")
    for (let i = 0; i < f.length; i += 3) fields[f[i + 1]] = given[f[i]] ?? parseInt(f[i + 2])
    const window = session.inflightWindow
    if (!(window >= 1 && window <= 65535)) throw bad("inflightWindow must be 1..65535")
    const tls = proto === "tls"
    return { target: { host, port: o.port || (tls ? 8883 : 1883), tls }, session }
}
