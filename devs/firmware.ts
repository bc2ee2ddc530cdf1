// The firmware's run loop on DeviceScript, shared by every board's entry (devs/main*.ts):
// settings -> application (src/firmware) -> MQTT client (src/mqtt) over the board's socket.
// This file only adapts; every rule lives in src/. Anything that can throw inside a timer or a
// fiber is caught here, because an uncaught exception in any fiber panics the whole program.
import * as ds from "@devicescript/core"
import { Config } from "../src/config/config"
import { DeviceApp, MAX_PACKET_BYTES } from "../src/firmware/app"
import { BoardHardware } from "../src/firmware/hardware"
import { ConnectPlan, MessageBus, PublishOptions } from "../src/firmware/bus"
import { MqttClientCore } from "../src/mqtt/client/client-core"
import { drop } from "../src/mqtt/session/session-core"
import { MqttClientError } from "../src/mqtt/session/session-errors"
import { WillOptions } from "../src/mqtt/client/client-options"
import { PublishPacket } from "../src/mqtt/codec/packets"
import { DsSettingsStore } from "./settings-store"
import { dsClock } from "./clock"
import { dsRandom } from "./random"
import { dsCompletions } from "./completion"
import { dsNetConnector } from "./net-stream"
import { errText } from "./err-text"
import { startUp } from "./start-up"
import { FIRMWARE_NAME, version } from "../src/firmware/version"
import { completeHardware } from "./hardware-extras"

/** How often sensors are sampled; the telemetry policy decides what gets published. */
const SAMPLE_MS = 1000
/**
 * How long new connection settings (config.set of MQTT_URL, MQTT_USER, MQTT_PASS, MQTT_PREFIX) have
 * after the restart to connect and bring back the board's own status: two of Socket.connect's 30 s
 * timeouts. Then the board restarts on the settings that worked (src/config/config.ts).
 */
const TRIAL_MS = 60000

function log(line: string): void {
    console.log(line)
}

/** MessageBus over the project's MQTT client. QoS 0 never waits (replies and telemetry must not
 * stall behind a reconnect), and has no callback: nobody waits for it, and a lost one is QoS 0's
 * contract; QoS 1 waits for PUBACK (status and discovery). The board links MqttClientCore, which
 * has no QoS 2: the application asks for QoS 1 at most. An object literal over the module's
 * `client`, not a class: no constructor or prototype in the image. */
const bus: MessageBus = {
    publish: async function (topic: string, payload: string | string[], opts: PublishOptions): Promise<void> {
        if (opts.qos === 0) {
            client.publishNoWait(topic, payload, { qos: 0, retain: opts.retain })
            return
        }
        await client.publish(topic, payload, { qos: 1, retain: opts.retain })
    },
    subscribe: async function (filter: string, qos: number): Promise<void> {
        await client.subscribe(filter, { qos: qos === 0 ? 0 : 1 })
    },
}

/**
 * The project's MQTT client, deaf to retained messages: a request is for the board that is there
 * when it is sent, and a retained one would run again after every reconnect (a retained
 * sys.restart restarted the board forever). The first one is logged; rx and coap/req alike.
 */
class BoardClient extends MqttClientCore {
    // declared, not initialised (an initialiser costs a constructor): undefined reads as false
    declare retainedSeen: boolean
    protected override dispatch(p: PublishPacket): void {
        if (!p.retain) this.emit("message", p.topic, p.payload, p)
        else if (!this.retainedSeen) {
            this.retainedSeen = true
            log("mqtt: ignored a retained message on " + p.topic + " (requests must not be retained; later ones are ignored silently)")
        }
    }
}

let app: DeviceApp = undefined
let client: BoardClient = undefined
let working = false

/** Subscribes and announces on connection `gen` of the session (taken when its CONNACK came). */
async function announce(gen: number): Promise<void> {
    try {
        await app.onConnected(bus)
        log("mqtt: online as " + app.topics.status)
    } catch (e) {
        // A broker that refused a SUBSCRIBE (a cluster node re-electing) leaves the board deaf to
        // requests for as long as this connection lasts: end it, if it is still the current one, so
        // the next attempt (on the next broker in MQTT_URL) subscribes again. Logged by the "error"
        // and "close" handlers below; an announce cut short by its connection's end was logged there.
        const s = client.session
        if (s.gen === gen) {
            drop(s, e as MqttClientError)
            client.afterInput()
        }
    }
}

/** The one request worker: answers queued requests in order, then ends. */
async function work(): Promise<void> {
    try {
        await app.processRequests()
    } catch (e) {
        log("rpc: worker error: " + errText(e))
    }
    working = false
    // A request that arrived between the last check and `working = false`.
    if (app.pending() > 0 && !working) {
        working = true
        work.start()
    }
}

/**
 * Called with the client before it connects: how a board entry adds a service on the same MQTT
 * session (every devs/main*.ts passes serveCoapOverMqtt, devs/coap-over-mqtt.ts).
 */
export type ClientHook = (client: MqttClientCore, app: DeviceApp, log: (line: string) => void) => Promise<void>

export async function runFirmware(hw: BoardHardware, onClient?: ClientHook): Promise<void> {
    log(FIRMWARE_NAME + " " + version.text + " on " + hw.board + " (" + hw.model + ")")
    await completeHardware(hw)
    const config = new Config(new DsSettingsStore(), log)
    await config.load()
    app = new DeviceApp({
        hw: hw,
        config: config,
        clock: dsClock,
        log: log,
        hardwareId: ds.deviceIdentifier("self"),
        restarter: {
            restartSoon: (ms: number) => {
                log("sys.restart in " + ms + " ms")
                setTimeout(() => {
                    ds.restart()
                }, ms)
            },
        },
    })
    log("device id " + app.deviceId + ", requests on " + app.topics.rx)

    setInterval(async () => {
        try {
            await app.sample(false)
        } catch (e) {
            log("telemetry: " + errText(e))
        }
    }, SAMPLE_MS)
    if (config.trial) {
        log("config: trying the new connection settings for up to " + TRIAL_MS / 1000 + " s")
        setTimeout(async () => {
            if (!config.trial) return
            await config.failTrial(TRIAL_MS)
            ds.restart()
        }, TRIAL_MS)
    }

    const planOrWhy = app.connectPlan()
    startUp.done = true
    if (typeof planOrWhy === "string") {
        log("mqtt: " + planOrWhy)
        // Keep saying it: someone attaching a console later must see why nothing is published.
        setInterval(() => {
            log("mqtt: " + planOrWhy)
        }, 60000)
        return
    }
    const plan = planOrWhy as ConnectPlan
    const brokers = plan.brokers
    const first = brokers[0]
    log("mqtt: connecting to " + first.scheme + "://" + first.host + ":" + first.port)
    client = new BoardClient(
        {
            // where to connect: client.target, set below from the list
            host: first.host,
            clientId: plan.clientId,
            keepalive: plan.keepaliveS,
            username: plan.username || undefined,
            password: plan.password || undefined,
            will: plan.will as WillOptions,
            clean: true,
            // bigger packets are not read at all ("oversize" below): see MAX_REQUEST_BYTES
            maxPacketSize: MAX_PACKET_BYTES,
            // flow control: PUBACKs wait until the queued requests are handled (src/mqtt/session/held-acks.ts)
            backlog: () => app.pending(),
        },
        { connector: dsNetConnector, clock: dsClock, random: dsRandom, completions: dsCompletions }
    )
    client.target = first
    client.on("connect", () => {
        announce.start(client.session.gen)
    })
    client.on("offline", () => {
        // telemetry and replies stop until the next announce instead of filling the outbox (16 KB
        // of a 64 KB heap) with stale documents during a long outage
        app.onDisconnected()
    })
    // Every connection that ends, including an attempt that never reached CONNACK: the reason
    // carries the socket's own words (a refused port, a certificate the board does not trust).
    // With several brokers in MQTT_URL (the nodes of one cluster) the next attempt, after the
    // client's usual backoff, goes to the next of them, wrapping round; the subscriptions come back
    // with announce() as after any reconnect. With one broker this sets the same target again.
    client.on("close", (reason: string) => {
        // (attempts: the connections opened so far, this one included)
        client.target = brokers[client.attempts % brokers.length]
        log("mqtt: connection closed (" + reason + "), reconnecting")
    })
    client.on("error", (e: Error) => {
        log("mqtt: " + errText(e))
    })
    // A packet over maxPacketSize was skipped unread: say so, and answer a request with -32600
    // (id null: its body was never read).
    client.on("oversize", (topic: string, size: number, limit: number) => {
        const what = "request of " + size + " bytes on " + topic + " is over the board's limit of " + limit
        log("rpc: " + what)
        // (the rx topic is made of checked settings: nothing in `what` needs escaping)
        if (topic === app.topics.rx)
            client.publishNoWait(
                app.topics.tx,
                '{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request","data":"' + what + '"},"id":null}',
                { qos: 0 }
            )
    })
    client.on("message", (topic: string, payload: Buffer, packet: PublishPacket) => {
        if (!app.onMessage(topic, payload.toString(), packet.retain)) return
        if (!working) {
            working = true
            work.start()
        }
    })
    if (onClient) await onClient(client, app, log)
    client.start()
}
