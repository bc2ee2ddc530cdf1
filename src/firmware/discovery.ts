// Home Assistant MQTT discovery (https://www.home-assistant.io/integrations/mqtt/#mqtt-discovery):
// one retained config document per quantity on
//   <discovery_prefix>/sensor/<id>_<quantity>/config
// The entity reads its value from the telemetry topic with a value_template, and its availability
// from the status topic's "state" member ("online"/"offline", the Last Will), so a board that loses
// power turns "unavailable" in Home Assistant.

import { jsonString } from "../util/json"
import { formatNumber } from "../util/decimal"
import { SensorChannel } from "./hardware"
import { DeviceTopics } from "./topics"
import { FIRMWARE_NAME, version } from "./version"

export interface DiscoveryMessage {
    topic: string
    payload: string
}

export interface DiscoveryInput {
    haPrefix: string
    deviceId: string
    board: string
    model: string
    /** DEVICE_NAME: the device's name in Home Assistant; empty: "devs-link <id>". */
    deviceName?: string
    topics: DeviceTopics
    sensors: SensorChannel[]
}

/** <discovery_prefix>/sensor/<id>_<quantity>/config */
export function discoveryTopic(d: DiscoveryInput, s: SensorChannel): string {
    return entityTopic(d, "sensor", s.key)
}

/** <discovery_prefix>/<component>/<id>_<key>/config: one entity of this device. */
export function entityTopic(d: DiscoveryInput, component: string, key: string): string {
    return d.haPrefix + "/" + component + "/" + d.deviceId + "_" + key + "/config"
}

/**
 * The retained config document for one quantity. Written as text rather than built as an object
 * for the JSON writer: every member of an object literal is an instruction on the board, while
 * the constant parts here fold into string literals, which are outside its 64 KB function budget.
 * FIRMWARE_NAME and the version need no escaping. Same text as toJson of the object.
 * A sensor that fails to read is left out of the telemetry document; `default(None)` makes the
 * template render None then, which Home Assistant shows as "unknown" instead of the last value.
 */
export function discoveryPayload(d: DiscoveryInput, s: SensorChannel): string {
    return readingDoc(
        d,
        s.name,
        s.key,
        d.topics.telemetry,
        "{{ value_json." + s.key + " | default(None) }}",
        ',"unit_of_measurement":' +
            jsonString(s.unit) +
            ',"device_class":' +
            jsonString(s.deviceClass) +
            ',"state_class":"measurement","suggested_display_precision":' +
            formatNumber(s.decimals)
    )
}

/** A read-only entity (a sensor or a diagnostic): its state is `template` applied to `stateTopic`. */
export function readingDoc(d: DiscoveryInput, name: string, key: string, stateTopic: string, template: string, members: string): string {
    return entityDoc(d, name, key, ',"state_topic":' + jsonString(stateTopic) + ',"value_template":' + jsonString(template) + members)
}

/**
 * An entity's whole document: name and unique_id, its own `members` (text that starts with a
 * comma), then what every entity ends with: availability from the status topic (the Last Will
 * makes the board "unavailable"), the device (named by DEVICE_NAME, else "devs-link <id>") and the
 * origin (the software that sent the document).
 */
export function entityDoc(d: DiscoveryInput, name: string, key: string, members: string): string {
    // Joined once from its parts: a chain of `+` copies the growing text at every step, and in a
    // 64 KB heap that never moves anything those copies leave holes a whole document no longer fits.
    return [
        '{"name":',
        jsonString(name),
        ',"unique_id":',
        jsonString(FIRMWARE_NAME + "_" + d.deviceId + "_" + key),
        members,
        ',"availability":[{"topic":',
        jsonString(d.topics.status),
        ',"value_template":"{{ value_json.state }}","payload_available":"online","payload_not_available":"offline"}]' +
            ',"device":{"identifiers":[',
        jsonString(FIRMWARE_NAME + "_" + d.deviceId),
        '],"name":',
        jsonString(d.deviceName || FIRMWARE_NAME + " " + d.deviceId),
        ',"manufacturer":"' + FIRMWARE_NAME + '","model":',
        jsonString(d.model),
        ',"sw_version":"',
        version.text,
        '"},"origin":{"name":"' + FIRMWARE_NAME + '","sw_version":"',
        version.text,
        '"}}',
    ].join("")
}

/** The retained config document for one quantity, with its topic. */
export function discoveryMessage(d: DiscoveryInput, s: SensorChannel): DiscoveryMessage {
    return { topic: discoveryTopic(d, s), payload: discoveryPayload(d, s) }
}

/** An empty retained payload removes the entity again (used when discovery is turned off). */
export function discoveryRemoval(d: DiscoveryInput, s: SensorChannel): DiscoveryMessage {
    return { topic: discoveryTopic(d, s), payload: "" }
}

export function discoveryMessages(d: DiscoveryInput): DiscoveryMessage[] {
    return d.sensors.map((s) => discoveryMessage(d, s))
}
