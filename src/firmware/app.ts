// The device application, portable: settings, identity, topics, status, discovery, telemetry and
// JSON-RPC over rx/tx. Platform pieces come in through interfaces (MessageBus, Clock, SettingsStore
// via Config, BoardHardware, Restarter), so all of it runs under vitest too.

import { Clock } from "../io"
import { Config, Logger } from "../config/config"
import { Endpoint, MQTT_SCHEMES } from "../config/url"
import { parseBrokerList } from "../config/broker-list"
import { Dispatcher } from "../rpc/jsonrpc"
import { pause } from "../util/pause"
import { Reading, makeReading } from "../telemetry/reading"
import { PolicyOptions, TelemetryPolicy } from "../telemetry/policy"
import { telemetryJson } from "../telemetry/telemetry"
import { Actuator, BoardHardware, Restarter } from "./hardware"
import { DeviceTopics, deviceTopics } from "./topics"
import { OFFLINE_STATUS, ONLINE_PREFIX, onlineStatus } from "./status"
import { DiscoveryInput } from "./discovery"
import { MessageBus, ConnectPlan, PLAIN, RETAINED } from "./bus"
import { registerDeviceMethods } from "./methods"
import { FIRMWARE_NAME } from "./version"
import { appActuators, commandRequest, discoveryEntity, syncStates } from "./control"

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
 * lets the broker send more only while nothing is pending() (src/mqtt/session/held-acks.ts).
 */
export const MAX_QUEUED_REQUESTS = 64

/**
 * The longest request the board reads, in bytes of the MQTT payload. Together with QUEUE_MAX_CHARS
 * it bounds what requests can take of the 64 KB heap (docs/faults.md, "Memory"): a request exists
 * up to four times while it is received and parsed (stream chunks, the packet, the payload, its
 * text, then the parsed tree).
 */
export const MAX_REQUEST_BYTES = 1024
/** Largest MQTT packet the board accepts: a request plus its topic (prefix 64 + id 32 + "/coap/req") and headers. */
export const MAX_PACKET_BYTES = MAX_REQUEST_BYTES + 256
/** Request text waiting for the worker, all requests together; beyond it new requests are dropped (and counted). */
export const QUEUE_MAX_CHARS = 2048

/** A request is refused when its id is one of the last RECENT_IDS ids that ran (the dedup window). */
export const RECENT_IDS = 16
/** Longer ids are refused: the board remembers recent ids (RECENT_IDS) and they must stay small. */
export const MAX_ID_LENGTH = 64

/** How often the status document (with the diagnostics Home Assistant shows) is published again. */
export const STATUS_MS = 60000

/**
 * Whether a request with this id may run (JSON-RPC over MQTT, and CoAP's /rpc): an id among the
 * last RECENT_IDS that ran (`ids`, oldest first) is refused, so a request delivered twice is acted
 * on once. A function, not a method: a method also costs an entry in the compiler-made prototype.
 */
function checkId(ids: string[], idText: string): string | undefined {
    if (idText.length > MAX_ID_LENGTH) return "id longer than " + MAX_ID_LENGTH + " characters"
    // a Home Assistant command (commandRequest's id "set/<key>") is a new event every time
    if (idText.startsWith('"set/')) return undefined
    if (ids.indexOf(idText) >= 0) return "id " + idText + " is one of the last " + RECENT_IDS + " ids that ran; not run again"
    ids.push(idText)
    if (ids.length > RECENT_IDS) ids.shift()
    return undefined
}

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
    /** The LED, the board's and the user's actuators and the restart button (./control). */
    readonly actuators: Actuator[]
    protected bus: MessageBus | undefined
    private failing: Record<string, boolean> = {}
    /** Requests dropped because the queue was full (reported by sys.info). */
    dropped = 0
    lastTelemetry: string | undefined

    constructor(public deps: AppDeps) {
        const cfg = deps.config
        const override = cfg.get("DEVICE_ID") as string
        this.deviceId = override || deps.hardwareId
        this.topics = deviceTopics(cfg.get("MQTT_PREFIX"), this.deviceId)
        // the ids of the last RECENT_IDS requests that ran (checkId)
        const ids: string[] = []
        this.dispatcher = new Dispatcher({ pause: pause, maxLength: MAX_REQUEST_BYTES, checkId: (idText: string) => checkId(ids, idText) })
        // its options come from the settings: apply() below, before any use
        const policy = new TelemetryPolicy(deps.clock, undefined as unknown as PolicyOptions)
        this.policy = policy
        // The telemetry settings apply at once: now, and again after every config.set.
        const apply = () => {
            policy.opts = { intervalMs: cfg.get("TELEMETRY_MS") as number, threshold: cfg.get("CHANGE_THRESH") as number }
        }
        apply()
        cfg.changed = apply
        this.actuators = appActuators(this)
        registerDeviceMethods(this)
    }

    uptimeMs(): number {
        return this.deps.clock.now()
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
            // no problem: v is a number
            out.push(makeReading(key, v as number, s.decimals))
        }
        return out
    }

    /**
     * One telemetry step, called by the platform about once a second: samples the sensors and
     * publishes when the policy says so (or always, when forced by telemetry.now). Returns the
     * published document, or undefined.
     */
    async sample(force: boolean): Promise<string | undefined> {
        await this.housekeeping()
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

    /** Periodic work of the MQTT side, once per sample tick (DeviceApp). */
    async housekeeping(): Promise<void> {}
}

/** DeviceCore + the MQTT side (devs/firmware.ts): connect plan, announce, the rx queue and its worker. */
export class DeviceApp extends DeviceCore {
    private queue: string[] = []
    /** Actuator states as last published (./control syncStates). */
    private states: Record<string, string> = {}
    /** Connections made since boot; the status document reports connects - 1 as reconnects. */
    connects = 0
    statusAt = 0
    private queuedChars = 0
    private heardStatus = false

    /**
     * How to connect, or a sentence saying why not (logged by the caller). The URL was validated
     * when settings were loaded; TLS is refused on boards whose runtime has none (Pico W) instead of
     * letting connect() sit out its 30 s timeout.
     */
    connectPlan(): ConnectPlan | string {
        const cfg = this.deps.config
        const list = parseBrokerList(cfg.get("MQTT_URL"), MQTT_SCHEMES)
        if (typeof list === "string") return "MQTT_URL " + list
        const brokers = list as Endpoint[]
        for (const e of brokers)
            if (e.tls && !this.deps.hw.tls)
                return (
                    "MQTT_URL is " +
                    cfg.get("MQTT_URL") +
                    " but the " +
                    this.deps.hw.board +
                    " runtime has no TLS: set MQTT_URL=mqtt://" +
                    e.host +
                    " (plain TCP); not connecting"
                )
        return {
            brokers: brokers,
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
        const cfg = this.deps.config
        this.bus = bus
        this.connects++
        await bus.subscribe(this.topics.rx, 1)
        await bus.subscribe(this.topics.set + "+", 1)
        // trying new connection settings: they are kept once the board hears its own status
        if (cfg.trial) await bus.subscribe(this.topics.status, 1)
        await publishStatus(this, bus)
        const on = cfg.get("HA_DISCOVERY") as boolean
        const input: DiscoveryInput = {
            haPrefix: cfg.get("HA_PREFIX"),
            deviceId: this.deviceId,
            board: hw.board,
            model: hw.model,
            deviceName: cfg.get("DEVICE_NAME"),
            topics: this.topics,
            sensors: hw.sensors,
        }
        // One document at a time: each stays in memory until its PUBACK, and the heap is 64 KB. The
        // last one is let go before the next is built (a 700 B text needs a hole that large).
        // Turned off: an empty retained payload removes each entity again.
        for (let i = 0; ; i++) {
            const e = discoveryEntity(this, input, i, on)
            if (!e) break
            await bus.publish(e[0], e[1], RETAINED)
            e[1] = ""
        }
        await syncStates(this, bus, this.states, true)
    }

    /** States changed by CoAP or the user's code, and the status document every STATUS_MS. */
    override async housekeeping(): Promise<void> {
        const bus = this.bus
        if (!bus) return
        try {
            await syncStates(this, bus, this.states, false)
            if (this.uptimeMs() - this.statusAt >= STATUS_MS) await publishStatus(this, bus)
        } catch (e) {
            // offline or outbox full: the next tick tries again
        }
    }

    onDisconnected(): void {
        this.bus = undefined
    }

    /**
     * Called by the adapter for every incoming message. Only queues (the MQTT receive path must not
     * block); returns false when the request was dropped because the queue is full.
     */
    onMessage(topic: string, payload: string, retained?: boolean): boolean {
        const cfg = this.deps.config
        // the board's own status came back: the connection settings on trial work (kept by the worker)
        if (topic === this.topics.status && cfg.trial && payload.startsWith(ONLINE_PREFIX)) this.heardStatus = true
        const set = this.topics.set
        if (topic.startsWith(set)) {
            // A command is an event: a retained one would be replayed on every connect (a retained
            // restart press would restart the board forever), so it is ignored.
            if (retained) return true
            // a command from Home Assistant is queued as the actuator.set request it stands for
            payload = commandRequest(set, topic, payload)
        } else if (topic !== this.topics.rx) return true
        if (this.queue.length >= MAX_QUEUED_REQUESTS || this.queuedChars + payload.length > QUEUE_MAX_CHARS) {
            this.dropped++
            return false
        }
        this.queue.push(payload)
        this.queuedChars += payload.length
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
        const cfg = this.deps.config
        if (this.heardStatus && cfg.trial) {
            this.deps.log("config: the new connection settings work; keeping them")
            await cfg.commitTrial()
        }
        while (this.queue.length > 0) {
            this.queuedChars -= this.queue[0].length
            // no local copy of the text: the dispatcher lets it go once it is parsed
            // the reply as parts, never joined: the MQTT client writes them one after the other
            const reply = await this.dispatcher.handle(this.queue.shift() as string)
            n++
            if (reply !== undefined && this.bus) {
                try {
                    await this.bus.publish(this.topics.tx, reply, PLAIN)
                } catch (e) {
                    // Offline or outbox full: the requester times out and retries; nothing to crash for.
                }
            }
            // whatever the request changed, Home Assistant sees it now
            if (this.bus) await syncStates(this, this.bus, this.states, false)
            await pause()
        }
        return n
    }
}

/** The retained status document with the diagnostics (uptime, reconnects, Wi-Fi signal); a function, as checkId. */
async function publishStatus(app: DeviceApp, bus: MessageBus): Promise<void> {
    let rssi: number | undefined
    const read = app.deps.hw.rssi
    if (read) {
        try {
            rssi = await read()
        } catch (e) {}
    }
    app.statusAt = app.uptimeMs()
    await bus.publish(
        app.topics.status,
        onlineStatus(app.deps.hw.board, app.statusAt, app.connects - 1, rssi, app.deps.config.trialFailed),
        RETAINED
    )
}
