// Every setting the firmware reads, as data. Keys are DeviceScript setting keys: at most 13
// characters (the runtime throws for 14), used unchanged in .env.defaults/.env.local, config.get
// and config.set. docs/firmware.md has the same table, with what each setting means, for users.

import { parseUrl, MQTT_SCHEMES } from "./url"
import { parseBrokerList } from "./broker-list"

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
    /** Extra check on a text value (checkFormat): u broker URL, c CoAP URL, t topic prefix, i device id, p plain text. */
    format?: string
    /** Never returned by config.get nor written to the log. */
    secret?: boolean
    /** Takes effect only after a restart (the connection is set up once at boot). */
    restart?: boolean
}

export const MAX_KEY_LENGTH = 13

const ID_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_-"

/**
 * What is wrong with the text value v of a setting with this format letter, or undefined:
 * u: mqtt://host[:port] or mqtts://host[:port], or a comma-separated list of them, the nodes of one
 *    cluster (src/config/broker-list.ts; credentials belong in MQTT_USER/MQTT_PASS);
 * c: empty (no head-end) or coap+tcp://host[:port] / coaps+tcp://host[:port];
 * i: device ids become topic levels and Home Assistant object ids: letters, digits, _ and -;
 * t: a topic level sequence without wildcards, empty levels at either end, or control characters;
 * p: no control characters.
 * One function with a letter instead of five: each function costs a board 16 B before its code.
 */
export function checkFormat(format: string, v: string): string | undefined {
    if (format === "i") {
        for (let i = 0; i < v.length; i++) if (ID_CHARS.indexOf(v.charAt(i)) < 0) return "may contain only letters, digits, _ and -"
    } else if (format === "t") {
        if (v.indexOf("+") >= 0 || v.indexOf("#") >= 0) return "must not contain the wildcards + or #"
        if (v.startsWith("/") || v.endsWith("/")) return "must not start or end with /"
        if (v.startsWith("$")) return "must not start with $ (reserved for the broker)"
    } else if (format !== "p" && (v !== "" || format === "u")) {
        let r: unknown
        if (format === "u") r = parseBrokerList(v, MQTT_SCHEMES)
        else r = parseUrl(v, ["coap+tcp", "coaps+tcp"])
        if (typeof r === "string") return r
    }
    // (a URL that parsed, and a device id, have no control characters either)
    for (let i = 0; i < v.length; i++) if (v.charCodeAt(i) < 0x20) return "must not contain control characters"
    return undefined
}

/**
 * The settings as JSON text, parsed once at start-up by the runtime's native JSON.parse: a table of
 * objects written in TypeScript is built by bytecode in the compiler-made `main` (about 60 B a row
 * on a board), while strings are stored outside the 64 KB function budget (docs/bytecode-size.md).
 * format: the extra check on text values (checkFormat); restart: takes effect after a restart.
 */
export const SETTINGS: SettingDef[] = JSON.parse(
    "[" +
        // Broker: mqtt://host[:port] (TCP, 1883) or mqtts://host[:port] (TLS, 8883), or a list of them separated by commas
        '{"key":"MQTT_URL","type":"string","default":"mqtt://localhost:1883","max":200,"format":"u","restart":true},' +
        // Broker user name (empty: none)
        '{"key":"MQTT_USER","type":"string","default":"","max":64,"format":"p","restart":true},' +
        // Broker password (never shown by config.get)
        '{"key":"MQTT_PASS","type":"string","default":"","max":128,"secret":true,"restart":true},' +
        // First topic level: <prefix>/<id>/status|telemetry|rx|tx
        '{"key":"MQTT_PREFIX","type":"string","default":"devices","min":1,"max":64,"format":"t","restart":true},' +
        // MQTT keepalive in seconds; offline is shown within 1.5 x this
        '{"key":"KEEPALIVE_S","type":"integer","default":60,"min":5,"max":65535,"restart":true},' +
        // Telemetry interval in milliseconds
        '{"key":"TELEMETRY_MS","type":"integer","default":30000,"min":1000,"max":86400000},' +
        // Publish at once when a reading moves by more than this (in its own unit); 0 = interval only
        '{"key":"CHANGE_THRESH","type":"number","default":0.5,"min":0,"max":10000},' +
        // Overrides the hardware device id in topics (empty: hardware id)
        '{"key":"DEVICE_ID","type":"string","default":"","max":32,"format":"i","restart":true},' +
        // Publish Home Assistant MQTT discovery documents
        '{"key":"HA_DISCOVERY","type":"boolean","default":true,"restart":true},' +
        // The device's name in Home Assistant (empty: "devs-link <id>")
        '{"key":"DEVICE_NAME","type":"string","default":"","max":64,"format":"p","restart":true},' +
        // Home Assistant discovery prefix
        '{"key":"HA_PREFIX","type":"string","default":"homeassistant","min":1,"max":64,"format":"t","restart":true},' +
        // How the CoAP endpoint is reached: mqtt (over the MQTT session), tcp (to COAP_URL), off
        '{"key":"COAP_BINDING","type":"enum","default":"mqtt","values":["mqtt","tcp","off"],"restart":true},' +
        // CoAP head-end for COAP_BINDING=tcp: coap+tcp://host[:port]
        '{"key":"COAP_URL","type":"string","default":"","max":200,"format":"c","restart":true}' +
        "]"
)

export function findSetting(key: string, defs?: SettingDef[]): SettingDef | undefined {
    const list = defs || SETTINGS
    for (const d of list) if (d.key === key) return d
    return undefined
}
