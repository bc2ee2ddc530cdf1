// Client options in the MQTT.js idiom and their defaults (the `url` option is parsed by
// src/config/url.ts, the parser the firmware's settings use too).
// Kept apart from client.ts so the defaults are one table a reader can check.

import { Random, StreamTarget } from "../io"
import { QoS, Will } from "./packets"
import { ClientErrorCode, MqttClientError } from "./session-errors"
import { SessionOptions } from "./session"
import { Endpoint, parseUrl } from "../config/url"

export interface WillOptions {
    topic: string
    payload: string | Buffer
    qos?: QoS
    retain?: boolean
}

export interface ClientOptions {
    /** mqtt://host:port, mqtts://host:port (also tcp://, tls://, ssl://); user:pass@ is taken as credentials, a path ignored. */
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
    /** QoS 1/2 messages awaiting acknowledgement at once; default 16. */
    inflightWindow?: number
    /** Outbox bound (messages not yet written); default 64 messages ... */
    outboxMaxMessages?: number
    /** ... and 16384 bytes (topic characters + payload bytes). */
    outboxMaxBytes?: number
    /**
     * Largest incoming packet accepted (bytes, fixed header included); default 65536. A larger one
     * is refused from its header, before its body is buffered, and the connection is closed.
     */
    maxPacketSize?: number
}

/** The defaults, as a const enum: inlined where used, so no table is built at start-up on the board. */
export const enum DEFAULTS {
    keepalive = 60,
    reconnectPeriod = 1000,
    reconnectPeriodMax = 60000,
    connectTimeout = 30000,
    inflightWindow = 16,
    outboxMaxMessages = 64,
    outboxMaxBytes = 16384,
    /** Without a bound, a broker declaring a 256 MB PUBLISH had its body buffered until a ping timeout. */
    maxPacketSize = 65536,
    tcpPort = 1883,
    tlsPort = 8883,
}

export function toBuffer(v: string | Buffer): Buffer {
    if (v === undefined || v === null) return Buffer.alloc(0)
    return typeof v === "string" ? Buffer.from(v as string) : (v as Buffer)
}

function bad(what: string): MqttClientError {
    return new MqttClientError(ClientErrorCode.INVALID_ARGUMENT, what)
}

const HEX = "0123456789abcdef"

function randomHex(random: Random, digits: number): string {
    let s = ""
    for (let i = 0; i < digits; i++) s += HEX.charAt(Math.floor(random.next() * 16) & 15)
    return s
}

function orDefault(v: number, d: number): number {
    return v === undefined || v === null ? d : v
}

export interface ResolvedOptions {
    target: StreamTarget
    session: SessionOptions
}

/** Where to connect and the session's options, with every default filled in (the url is parsed once). */
export function resolveOptions(o: ClientOptions, random: Random): ResolvedOptions {
    if (o.proto && o.proto !== "tls" && o.proto !== "tcp") throw bad("proto must be tcp or tls")
    let host = o.host
    let tls = o.proto === "tls"
    let port = o.port
    let username = o.username
    let password: Buffer = o.password === undefined ? undefined : toBuffer(o.password)
    if (o.url) {
        const r = parseUrl(o.url, ["mqtt", "mqtts", "tcp", "tls", "ssl"], true)
        if (typeof r === "string") throw bad("url " + r)
        const u = r as Endpoint
        host = u.host
        if (!o.proto) tls = u.tls
        if (!port) port = u.port
        if (username === undefined) username = u.username
        if (password === undefined && u.password !== undefined) password = Buffer.from(u.password)
    }
    if (!host) throw bad("host or url required")
    if (!port) port = tls ? DEFAULTS.tlsPort : DEFAULTS.tcpPort
    let will: Will = undefined
    if (o.will) {
        will = {
            topic: o.will.topic,
            payload: toBuffer(o.will.payload),
            qos: o.will.qos === undefined ? 0 : o.will.qos,
            retain: !!o.will.retain,
        }
    }
    const window = orDefault(o.inflightWindow, DEFAULTS.inflightWindow)
    if (!(window >= 1 && window <= 65535)) throw bad("inflightWindow must be 1..65535")
    return {
        target: { host, port, tls },
        session: {
            clientId: o.clientId === undefined ? "devs-link-" + randomHex(random, 6) : o.clientId,
            clean: o.clean === undefined ? true : o.clean,
            keepalive: orDefault(o.keepalive, DEFAULTS.keepalive),
            username,
            password,
            will,
            reconnectMin: orDefault(o.reconnectPeriod, DEFAULTS.reconnectPeriod),
            reconnectMax: orDefault(o.reconnectPeriodMax, DEFAULTS.reconnectPeriodMax),
            connectTimeout: orDefault(o.connectTimeout, DEFAULTS.connectTimeout),
            pingTimeout: o.pingTimeout,
            inflightWindow: window,
            outboxMaxMessages: orDefault(o.outboxMaxMessages, DEFAULTS.outboxMaxMessages),
            outboxMaxBytes: orDefault(o.outboxMaxBytes, DEFAULTS.outboxMaxBytes),
            maxPacketSize: orDefault(o.maxPacketSize, DEFAULTS.maxPacketSize),
        },
    }
}
