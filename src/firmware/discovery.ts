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
    topics: DeviceTopics
    sensors: SensorChannel[]
}

/** <discovery_prefix>/sensor/<id>_<quantity>/config */
export function discoveryTopic(d: DiscoveryInput, s: SensorChannel): string {
    return d.haPrefix + "/sensor/" + d.deviceId + "_" + s.key + "/config"
}

/**
 * The retained config document for one quantity. Written as text rather than built as an object
 * for the JSON writer: every member of an object literal is an instruction on the board, while
 * the constant parts here fold into string literals, which are outside its 64 KB function budget.
 * FIRMWARE_NAME and the version need no escaping. Same text as toJson of the object.
 */
export function discoveryPayload(d: DiscoveryInput, s: SensorChannel): string {
    const id = FIRMWARE_NAME + "_" + d.deviceId
    return (
        "{\"name\":" + jsonString(s.name) +
        ",\"unique_id\":" + jsonString(id + "_" + s.key) +
        ",\"state_topic\":" + jsonString(d.topics.telemetry) +
        ",\"value_template\":" + jsonString("{{ value_json." + s.key + " }}") +
        ",\"unit_of_measurement\":" + jsonString(s.unit) +
        ",\"device_class\":" + jsonString(s.deviceClass) +
        ",\"state_class\":\"measurement\",\"suggested_display_precision\":" + formatNumber(s.decimals) +
        ",\"availability\":[{\"topic\":" + jsonString(d.topics.status) +
        ",\"value_template\":\"{{ value_json.state }}\",\"payload_available\":\"online\",\"payload_not_available\":\"offline\"}]" +
        ",\"device\":{\"identifiers\":[" + jsonString(id) +
        "],\"name\":" + jsonString(FIRMWARE_NAME + " " + d.deviceId) +
        ",\"manufacturer\":\"" + FIRMWARE_NAME +
        "\",\"model\":" + jsonString(d.model) +
        ",\"sw_version\":\"" + version.text + "\"}}"
    )
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
    return d.sensors.map(s => discoveryMessage(d, s))
}
