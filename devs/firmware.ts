// The firmware's run loop on DeviceScript, shared by every board's entry (devs/main*.ts):
// settings -> application (src/firmware) -> MQTT client (src/mqtt) over the board's socket.
// This file only adapts; every rule lives in src/. Anything that can throw inside a timer or a
// fiber is caught here, because an uncaught exception in any fiber panics the whole program.
import * as ds from "@devicescript/core"
import { Config } from "../src/config/config"
import { DeviceApp } from "../src/firmware/app"
import { BoardHardware } from "../src/firmware/hardware"
import { ConnectPlan, MessageBus, PublishOptions } from "../src/firmware/bus"
import { MqttClientCore } from "../src/mqtt/client-core"
import { PublishPacket } from "../src/mqtt/packets"
import { setPauseHook } from "../src/util/pause"
import { DsSettingsStore } from "./settings-store"
import { dsClock } from "./clock"
import { dsRandom } from "./random"
import { dsCompletions } from "./completion"
import { dsNetConnector } from "./net-stream"
import { errText } from "./err-text"
import { FIRMWARE_NAME, FIRMWARE_VERSION } from "../src/firmware/version"
import { completeHardware } from "./hardware-extras"

/** How often sensors are sampled; the telemetry policy decides what gets published. */
const SAMPLE_MS = 1000

function log(line: string): void {
    console.log(line)
}

/** MessageBus over the project's MQTT client. QoS 0 never waits (replies and telemetry must not
 * stall behind a reconnect); QoS 1 waits for PUBACK (status and discovery). The board links
 * MqttClientCore, which has no QoS 2: the application asks for QoS 1 at most. */
class ClientBus implements MessageBus {
    constructor(private client: MqttClientCore) {}
    async publish(topic: string, payload: string, opts: PublishOptions): Promise<void> {
        if (opts.qos === 0) {
            this.client.publishNoWait(topic, payload, { qos: 0, retain: opts.retain }, (err: Error) => {})
            return
        }
        await this.client.publish(topic, payload, { qos: 1, retain: opts.retain })
    }
    async subscribe(filter: string, qos: number): Promise<void> {
        await this.client.subscribe(filter, { qos: qos === 0 ? 0 : 1 })
    }
}

let app: DeviceApp = undefined
let bus: ClientBus = undefined
let working = false

async function announce(): Promise<void> {
    try {
        await app.onConnected(bus)
        log("mqtt: online as " + app.topics.status)
    } catch (e) {
        log("mqtt: announce failed: " + errText(e))
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

async function sampleTick(): Promise<void> {
    try {
        await app.sample(false)
    } catch (e) {
        log("telemetry: " + errText(e))
    }
}

async function restartLater(delayMs: number): Promise<void> {
    await ds.sleep(delayMs)
    ds.restart()
}

/**
 * Called with the client before it connects: how a board entry adds a service on the same MQTT
 * session (every devs/main*.ts passes serveCoapOverMqtt, devs/coap-over-mqtt.ts).
 */
export type ClientHook = (client: MqttClientCore, app: DeviceApp, log: (line: string) => void) => Promise<void>

export async function runFirmware(hw: BoardHardware, onClient?: ClientHook): Promise<void> {
    setPauseHook(async () => {
        await ds.sleep(0)
    })
    log(FIRMWARE_NAME + " " + FIRMWARE_VERSION + " on " + hw.board + " (" + hw.model + ")")
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
                restartLater.start(ms)
            },
        },
    })
    log("device id " + app.deviceId + ", topics " + app.topics.status.slice(0, app.topics.status.length - 7) + "/...")

    setInterval(async () => {
        await sampleTick()
    }, SAMPLE_MS)

    const planOrWhy = app.connectPlan()
    if (typeof planOrWhy === "string") {
        log("mqtt: " + planOrWhy)
        // Keep saying it: someone attaching a console later must see why nothing is published.
        setInterval(() => {
            log("mqtt: " + planOrWhy)
        }, 60000)
        return
    }
    const plan = planOrWhy as ConnectPlan
    log("mqtt: connecting to " + (plan.tls ? "mqtts://" : "mqtt://") + plan.host + ":" + plan.port)
    const client = new MqttClientCore(
        {
            host: plan.host,
            port: plan.port,
            proto: plan.tls ? "tls" : "tcp",
            clientId: plan.clientId,
            keepalive: plan.keepaliveS,
            username: plan.username ? plan.username : undefined,
            password: plan.password ? plan.password : undefined,
            will: { topic: plan.will.topic, payload: plan.will.payload, qos: 1, retain: plan.will.retain },
            clean: true,
            // The 64 KB heap holds no more; requests are at most 2 KB (src/rpc), commands smaller.
            maxPacketSize: 8192,
            // flow control: PUBACKs wait until the queued requests are handled (src/mqtt/held-acks.ts)
            backlog: () => app.pending(),
        },
        { connector: dsNetConnector, clock: dsClock, random: dsRandom, completions: dsCompletions }
    )
    bus = new ClientBus(client)
    client.on("connect", () => {
        announce.start()
    })
    client.on("offline", (reason: string) => {
        // telemetry and replies stop until the next announce instead of filling the outbox (16 KB
        // of a 64 KB heap) with stale documents during a long outage
        app.onDisconnected()
        log("mqtt: offline (" + reason + "), reconnecting")
    })
    client.on("error", (e: Error) => {
        log("mqtt: " + errText(e))
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
