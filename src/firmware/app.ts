// The device application, portable: settings, identity, topics, status, discovery, telemetry and
// JSON-RPC over rx/tx. Platform pieces come in through interfaces (MessageBus, Clock, SettingsStore
// via Config, BoardHardware, Restarter), so all of it runs under vitest too.

import { Clock } from "../io"
import { Config, Logger } from "../config/config"
import { parseUrl, Endpoint, MQTT_SCHEMES } from "../config/url"
import { Dispatcher } from "../rpc/jsonrpc"
import { pause } from "../util/pause"
import { Reading, makeReading } from "../telemetry/reading"
import { TelemetryPolicy } from "../telemetry/policy"
import { telemetryJson } from "../telemetry/telemetry"
import { BoardHardware, Restarter } from "./hardware"
import { DeviceTopics, deviceTopics } from "./topics"
import { OFFLINE_STATUS, onlineStatus } from "./status"
import { discoveryPayload, discoveryTopic, DiscoveryInput } from "./discovery"
import { MessageBus, ConnectPlan, PublishOptions } from "./bus"
import { registerDeviceMethods } from "./methods"
import { FIRMWARE_NAME } from "./version"

export interface AppDeps {
    hw: BoardHardware
    config: Config
    clock: Clock
    restarter: Restarter
    log: Logger
    /** Hardware identifier (ds.deviceIdentifier("self")); DEVICE_ID overrides it. */
    hardwareId: string
}

/**
 * Requests waiting for the worker; beyond this, new requests are dropped (and counted). On the board
 * only a broker with an in-flight window over 64 gets here: the transport releases the PUBACK that
 * lets the broker send more only while nothing is pending() (src/mqtt/held-acks.ts).
 */
export const MAX_QUEUED_REQUESTS = 64

/** Replies and telemetry: QoS 0, never retained. Shared objects (the buses only read them). */
const PLAIN: PublishOptions = { qos: 0, retain: false }
/** Status and discovery: QoS 1, retained. */
const RETAINED: PublishOptions = { qos: 1, retain: true }

/**
 * The application without its MQTT side: identity, topics, settings, sensors, telemetry policy and
 * the JSON-RPC methods. The CoAP firmware (devs/firmware-coap.ts) uses this class alone: a class's
 * methods are all compiled into a board image, and the MQTT side (connect plan, announce, Home
 * Assistant discovery, request queue) would only take room in its 64 KB (docs/bytecode-size.md).
 */
export class DeviceCore {
    readonly deviceId: string
    readonly topics: DeviceTopics
    readonly dispatcher: Dispatcher
    readonly policy: TelemetryPolicy
    protected bus: MessageBus | undefined
    private failing: Record<string, boolean> = {}
    /** Requests dropped because the queue was full (reported by sys.info). */
    dropped = 0
    lastTelemetry: string | undefined

    constructor(public deps: AppDeps) {
        const cfg = deps.config
        const override = cfg.get("DEVICE_ID") as string
        this.deviceId = override ? override : deps.hardwareId
        this.topics = deviceTopics(cfg.get("MQTT_PREFIX"), this.deviceId)
        this.dispatcher = new Dispatcher({ pause: pause })
        // apply() below gives the policy its options before anything reads them
        const policy = new TelemetryPolicy(deps.clock, undefined as any)
        this.policy = policy
        // The telemetry settings apply at once: now, and again after every config.set.
        const apply = () => {
            policy.opts = { intervalMs: cfg.get("TELEMETRY_MS") as number, threshold: cfg.get("CHANGE_THRESH") as number }
        }
        apply()
        cfg.onChange(apply)
        registerDeviceMethods(this)
    }

    uptimeMs(): number {
        return this.deps.clock.now()
    }

    broker(): Endpoint | string {
        return parseUrl(this.deps.config.get("MQTT_URL"), MQTT_SCHEMES)
    }

    /** Reads every sensor; a sensor that fails is left out and logged once per failure streak. */
    async readSensors(): Promise<Reading[]> {
        const out: Reading[] = []
        const failing = this.failing
        const log = this.deps.log
        for (const s of this.deps.hw.sensors) {
            const key = s.key
            let v: number | undefined = undefined
            let problem = ""
            try {
                v = await s.read()
                if (typeof v !== "number" || v - v !== 0) problem = "no value"
            } catch (e) {
                problem = (e as Error)?.message || "read failed"
            }
            if (problem) {
                if (!failing[key]) log("sensor " + key + ": " + problem)
                failing[key] = true
                continue
            }
            if (failing[key]) log("sensor " + key + ": back")
            failing[key] = false
            out.push(makeReading(key, v as number, s.decimals)) // a number: problem is set otherwise
        }
        return out
    }

    /**
     * One telemetry step, called by the platform about once a second: samples the sensors and
     * publishes when the policy says so (or always, when forced by telemetry.now). Returns the
     * published document, or undefined.
     */
    async sample(force: boolean): Promise<string | undefined> {
        const readings = await this.readSensors()
        const reason = this.policy.offer(readings)
        if (!force && reason === undefined) return undefined
        const doc = telemetryJson(this.uptimeMs(), readings)
        this.lastTelemetry = doc
        if (this.bus) {
            try {
                await this.bus.publish(this.topics.telemetry, doc, PLAIN)
                this.policy.published(readings)
            } catch (e) {
                return doc
            }
        }
        return doc
    }
}

/** DeviceCore + the MQTT side (devs/firmware.ts): connect plan, announce, the rx queue and its worker. */
export class DeviceApp extends DeviceCore {
    private queue: string[] = []

    /**
     * How to connect, or a sentence saying why not (logged by the caller). The URL was validated
     * when settings were loaded; TLS is refused on boards whose runtime has none (Pico W) instead of
     * letting connect() sit out its 30 s timeout.
     */
    connectPlan(): ConnectPlan | string {
        const cfg = this.deps.config
        const ep = this.broker()
        if (typeof ep === "string") return "MQTT_URL " + ep
        const e = ep as Endpoint
        if (e.tls && !this.deps.hw.tls)
            return "MQTT_URL is " + cfg.get("MQTT_URL") + " but the " + this.deps.hw.board + " runtime has no TLS: set MQTT_URL=mqtt://" + e.host + " (plain TCP); not connecting"
        return {
            host: e.host,
            port: e.port,
            tls: e.tls,
            username: cfg.get("MQTT_USER"),
            password: cfg.get("MQTT_PASS"),
            keepaliveS: cfg.get("KEEPALIVE_S"),
            clientId: FIRMWARE_NAME + "_" + this.deviceId,
            will: { topic: this.topics.status, payload: OFFLINE_STATUS, qos: 1, retain: true },
        }
    }

    /**
     * After every (re)connect: subscribe to rx first (so no request is missed), announce online
     * (retained), then publish (or, when turned off, remove) the discovery documents.
     */
    async onConnected(bus: MessageBus): Promise<void> {
        const hw = this.deps.hw
        this.bus = bus
        await bus.subscribe(this.topics.rx, 1)
        await bus.publish(this.topics.status, onlineStatus(hw.board, this.uptimeMs()), RETAINED)
        const on = this.deps.config.get("HA_DISCOVERY") as boolean
        const input: DiscoveryInput = { haPrefix: this.deps.config.get("HA_PREFIX"), deviceId: this.deviceId, board: hw.board, model: hw.model, topics: this.topics, sensors: hw.sensors }
        // One document at a time: each stays in memory until its PUBACK, and the heap is 64 KB.
        // Turned off: an empty retained payload removes each entity again.
        for (const s of hw.sensors) await bus.publish(discoveryTopic(input, s), on ? discoveryPayload(input, s) : "", RETAINED)
    }

    onDisconnected(): void {
        this.bus = undefined
    }

    /**
     * Called by the adapter for every incoming message. Only queues (the MQTT receive path must not
     * block); returns false when the request was dropped because the queue is full.
     */
    onMessage(topic: string, payload: string): boolean {
        if (topic !== this.topics.rx) return true
        if (this.queue.length >= MAX_QUEUED_REQUESTS) {
            this.dropped++
            return false
        }
        this.queue.push(payload)
        return true
    }

    /** Requests received and not answered yet (the transport's flow control reads it). */
    pending(): number {
        return this.queue.length
    }

    /**
     * Answers queued requests in arrival order on tx; pause() between requests keeps DeviceScript's
     * watchdog happy during bursts. Never throws. Returns how many requests were handled.
     */
    async processRequests(): Promise<number> {
        let n = 0
        while (this.queue.length > 0) {
            const text = this.queue.shift() as string // the queue is not empty
            const reply = await this.dispatcher.handle(text)
            n++
            if (reply !== undefined && this.bus) {
                try {
                    await this.bus.publish(this.topics.tx, reply, PLAIN)
                } catch (e) {
                    // Offline or outbox full: the requester times out and retries; nothing to crash for.
                }
            }
            await pause()
        }
        return n
    }
}
