// The application's view of MQTT: publish and subscribe, nothing else. devs/ adapts the project's
// MQTT client (src/mqtt) to this in a few lines; Node tests can use any client.

import { Endpoint } from "../config/url"

export interface PublishOptions {
    qos: number
    retain: boolean
}

/** Replies and telemetry: QoS 0, never retained. Shared objects (the buses only read them). */
export const PLAIN: PublishOptions = { qos: 0, retain: false }
/** Status, discovery and actuator states: QoS 1, retained. */
export const RETAINED: PublishOptions = { qos: 1, retain: true }

export interface MessageBus {
    /** A string[] payload is a text in parts, sent as if joined (src/io.ts: Payload). */
    publish(topic: string, payload: string | string[], opts: PublishOptions): Promise<void>
    /** Incoming messages are handed to DeviceApp.onMessage by the adapter. */
    subscribe(filter: string, qos: number): Promise<void>
}

/** What the adapter needs to open the session: everything comes from settings and identity. */
export interface ConnectPlan {
    /** MQTT_URL's brokers in its order (one for a single URL): the board tries them in turn. */
    brokers: Endpoint[]
    username: string
    password: string
    keepaliveS: number
    clientId: string
    will: { topic: string; payload: string; qos: number; retain: boolean }
}
