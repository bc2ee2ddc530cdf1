// Every setting the firmware reads, as data. Keys are DeviceScript setting keys: at most 13
// characters (the runtime throws for 14), used unchanged in .env.defaults/.env.local, config.get
// and config.set. docs/firmware.md has the same table for users.

import { parseUrl } from "./url"

export type SettingType = "string" | "integer" | "number" | "boolean" | "enum"

export interface SettingDef {
    key: string
    type: SettingType
    default: any
    /** integer/number: smallest value; string: shortest length. */
    min?: number
    /** integer/number: largest value; string: longest length. */
    max?: number
    /** enum: the allowed values. */
    values?: string[]
    /** Extra check on a value that already has the right type; returns what is wrong. */
    check?: (v: any) => string | undefined
    /** Never returned by config.get nor written to the log. */
    secret?: boolean
    /** Takes effect only after a restart (the connection is set up once at boot). */
    restart?: boolean
    description: string
}

export const MAX_KEY_LENGTH = 13

/** mqtt://host[:port] or mqtts://host[:port]; credentials belong in MQTT_USER/MQTT_PASS. */
export function checkBrokerUrl(v: string): string | undefined {
    const r = parseUrl(v, ["mqtt", "mqtts"])
    return typeof r === "string" ? r : undefined
}

/** Empty (no head-end) or coap+tcp://host[:port]. */
export function checkCoapUrl(v: string): string | undefined {
    if (v === "") return undefined
    const r = parseUrl(v, ["coap+tcp", "coaps+tcp"])
    return typeof r === "string" ? r : undefined
}

/** A topic level sequence without wildcards, empty levels at either end, or control characters. */
export function checkTopicPrefix(v: string): string | undefined {
    if (v.indexOf("+") >= 0 || v.indexOf("#") >= 0) return "must not contain the wildcards + or #"
    if (v.startsWith("/") || v.endsWith("/")) return "must not start or end with /"
    if (v.startsWith("$")) return "must not start with $ (reserved for the broker)"
    return checkPlainText(v)
}

const ID_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_-"

/** Device ids become topic levels and Home Assistant object ids: letters, digits, _ and -. */
export function checkDeviceId(v: string): string | undefined {
    for (let i = 0; i < v.length; i++) if (ID_CHARS.indexOf(v.charAt(i)) < 0) return "may contain only letters, digits, _ and -"
    return undefined
}

function checkPlainText(v: string): string | undefined {
    for (let i = 0; i < v.length; i++) if (v.charCodeAt(i) < 0x20) return "must not contain control characters"
    return undefined
}


export const SETTINGS: SettingDef[] = [
    { key: "MQTT_URL", type: "string", default: "mqtt://localhost:1883", max: 200, check: checkBrokerUrl, restart: true, description: "Broker: mqtt://host[:port] (TCP, 1883) or mqtts://host[:port] (TLS, 8883)" },
    { key: "MQTT_USER", type: "string", default: "", max: 64, check: checkPlainText, restart: true, description: "Broker user name (empty: none)" },
    { key: "MQTT_PASS", type: "string", default: "", max: 128, secret: true, restart: true, description: "Broker password (never shown by config.get)" },
    { key: "MQTT_PREFIX", type: "string", default: "devices", min: 1, max: 64, check: checkTopicPrefix, restart: true, description: "First topic level: <prefix>/<id>/status|telemetry|rx|tx" },
    { key: "KEEPALIVE_S", type: "integer", default: 60, min: 5, max: 65535, restart: true, description: "MQTT keepalive in seconds; offline is shown within 1.5 x this" },
    { key: "TELEMETRY_MS", type: "integer", default: 30000, min: 1000, max: 86400000, description: "Telemetry interval in milliseconds" },
    { key: "CHANGE_THRESH", type: "number", default: 0.5, min: 0, max: 10000, description: "Publish at once when a reading moves by more than this (in its own unit); 0 = interval only" },
    { key: "DEVICE_ID", type: "string", default: "", max: 32, check: checkDeviceId, restart: true, description: "Overrides the hardware device id in topics (empty: hardware id)" },
    { key: "HA_DISCOVERY", type: "boolean", default: true, restart: true, description: "Publish Home Assistant MQTT discovery documents" },
    { key: "HA_PREFIX", type: "string", default: "homeassistant", min: 1, max: 64, check: checkTopicPrefix, restart: true, description: "Home Assistant discovery prefix" },
    { key: "COAP_BINDING", type: "enum", default: "mqtt", values: ["mqtt", "tcp", "off"], restart: true, description: "How the CoAP endpoint is reached: mqtt (over the MQTT session), tcp (to COAP_URL), off" },
    { key: "COAP_URL", type: "string", default: "", max: 200, check: checkCoapUrl, restart: true, description: "CoAP head-end for COAP_BINDING=tcp: coap+tcp://host[:port]" },
]

export function findSetting(key: string, defs?: SettingDef[]): SettingDef | undefined {
    const list = defs || SETTINGS
    for (const d of list) if (d.key === key) return d
    return undefined
}
