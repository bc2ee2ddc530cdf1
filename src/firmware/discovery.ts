// Home Assistant MQTT discovery (https://www.home-assistant.io/integrations/mqtt/#mqtt-discovery):
// one retained config document per quantity on
//   <discovery_prefix>/sensor/<id>_<quantity>/config
// The entity reads its value from the telemetry topic with a value_template, and its availability
// from the status topic's "state" member ("online"/"offline", the Last Will), so a board that loses
// power turns "unavailable" in Home Assistant.

import { toJson } from "../util/json"
import { SensorChannel } from "./hardware"
import { DeviceTopics } from "./topics"
import { FIRMWARE_NAME, FIRMWARE_VERSION } from "./version"

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

function deviceBlock(d: DiscoveryInput) {
    return {
        identifiers: [FIRMWARE_NAME + "_" + d.deviceId],
        name: FIRMWARE_NAME + " " + d.deviceId,
        manufacturer: FIRMWARE_NAME,
        model: d.model,
        sw_version: FIRMWARE_VERSION,
    }
}

function configTopic(d: DiscoveryInput, s: SensorChannel): string {
    return d.haPrefix + "/sensor/" + d.deviceId + "_" + s.key + "/config"
}

/** The retained config document for one quantity. */
export function discoveryMessage(d: DiscoveryInput, s: SensorChannel): DiscoveryMessage {
    const doc = {
        name: s.name,
        unique_id: FIRMWARE_NAME + "_" + d.deviceId + "_" + s.key,
        state_topic: d.topics.telemetry,
        value_template: "{{ value_json." + s.key + " }}",
        unit_of_measurement: s.unit,
        device_class: s.deviceClass,
        state_class: "measurement",
        suggested_display_precision: s.decimals,
        availability: [{ topic: d.topics.status, value_template: "{{ value_json.state }}", payload_available: "online", payload_not_available: "offline" }],
        device: deviceBlock(d),
    }
    return { topic: configTopic(d, s), payload: toJson(doc) }
}

/** An empty retained payload removes the entity again (used when discovery is turned off). */
export function discoveryRemoval(d: DiscoveryInput, s: SensorChannel): DiscoveryMessage {
    return { topic: configTopic(d, s), payload: "" }
}

export function discoveryMessages(d: DiscoveryInput): DiscoveryMessage[] {
    return d.sensors.map(s => discoveryMessage(d, s))
}
