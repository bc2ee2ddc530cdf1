// Every discovery document the firmware publishes, checked against Home Assistant's rules for its
// component (MQTT discovery and the sensor/switch/light/number/button integrations' documentation):
// required keys, valid device classes and the units each device class accepts, entity categories,
// state classes, the device and origin blocks, availability. The rules are written out here as
// the documentation states them, so a document the firmware gets wrong fails here before Home
// Assistant would refuse it (HA logs and drops an invalid discovery payload).
import { describe, expect, test } from "vitest"
import { Config, MemoryStore } from "../../../src/config/config"
import { DeviceApp } from "../../../src/firmware/app"
import { Actuator, BoardHardware, SensorChannel } from "../../../src/firmware/hardware"
import { MessageBus, PublishOptions } from "../../../src/firmware/bus"

/** Sensor device classes this firmware can announce, with the units HA accepts for each. */
const SENSOR_UNITS: Record<string, string[]> = {
    temperature: ["°C", "°F", "K"],
    humidity: ["%"],
    pressure: ["cbar", "bar", "hPa", "mmHg", "inHg", "kPa", "mbar", "Pa", "psi"],
    atmospheric_pressure: ["cbar", "bar", "hPa", "mmHg", "inHg", "kPa", "mbar", "Pa", "psi"],
    illuminance: ["lx"],
    duration: ["d", "h", "min", "s", "ms"],
    signal_strength: ["dB", "dBm"],
    carbon_dioxide: ["ppm"],
    voltage: ["V", "mV", "µV", "kV", "MV"],
}
/** Device classes per component (light has none). */
const DEVICE_CLASSES: Record<string, string[] | undefined> = {
    sensor: Object.keys(SENSOR_UNITS),
    number: Object.keys(SENSOR_UNITS),
    switch: ["outlet", "switch"],
    button: ["identify", "restart", "update"],
    light: [],
}
/** Keys a document of the component must have. */
const REQUIRED: Record<string, string[]> = {
    sensor: ["state_topic"],
    switch: ["command_topic"],
    light: ["command_topic"],
    number: ["command_topic"],
    button: ["command_topic"],
}
const STATE_CLASSES = ["measurement", "total", "total_increasing"]
const TOPIC_RULE = /^[^#+\u0000]+$/

/** What is wrong with one discovery document on `topic`, as a list of sentences. */
function violations(topic: string, doc: any): string[] {
    const out: string[] = []
    const m = /^homeassistant\/(sensor|switch|light|number|button)\/([a-zA-Z0-9_-]+)\/config$/.exec(topic)
    if (!m) return [`${topic}: not <prefix>/<component>/<object_id>/config with a known component`]
    const component = m[1]
    for (const k of REQUIRED[component])
        if (typeof doc[k] !== "string" || !TOPIC_RULE.test(doc[k])) out.push(`${k} missing or not a topic name`)
    for (const k of ["state_topic", "command_topic"]) if (doc[k] !== undefined && !TOPIC_RULE.test(doc[k])) out.push(`${k} has a wildcard`)
    if (typeof doc.unique_id !== "string" || doc.unique_id === "") out.push("unique_id is required with a device block")
    if (typeof doc.name !== "string") out.push("name")
    const dc = doc.device_class
    if (dc !== undefined && !(DEVICE_CLASSES[component] ?? []).includes(dc))
        out.push(`device_class ${dc} is not a ${component} device class`)
    if (
        (component === "sensor" || component === "number") &&
        dc !== undefined &&
        SENSOR_UNITS[dc] &&
        !SENSOR_UNITS[dc].includes(doc.unit_of_measurement)
    )
        out.push(`unit ${doc.unit_of_measurement} is not valid for device_class ${dc}`)
    if (doc.state_class !== undefined && (component !== "sensor" || !STATE_CLASSES.includes(doc.state_class)))
        out.push(`state_class ${doc.state_class}`)
    if (doc.entity_category !== undefined && !["config", "diagnostic"].includes(doc.entity_category))
        out.push(`entity_category ${doc.entity_category}`)
    // HA refuses entity_category "config" for sensors: they cannot change the device's configuration
    if (component === "sensor" && doc.entity_category === "config") out.push("a sensor cannot be a config entity")
    if (component === "switch" || component === "light") {
        if (typeof doc.payload_on !== "string" || typeof doc.payload_off !== "string" || doc.payload_on === doc.payload_off)
            out.push("payload_on/payload_off")
        if (typeof doc.state_topic !== "string") out.push("state_topic (else the entity is optimistic and never shows the real state)")
    }
    if (component === "number") {
        if (doc.min !== undefined && doc.max !== undefined && !(doc.min < doc.max)) out.push("min < max")
        if (doc.step !== undefined && !(doc.step > 0)) out.push("step > 0")
    }
    if (component === "button" && doc.state_topic !== undefined) out.push("a button has no state")
    const av = doc.availability
    if (!Array.isArray(av) || av.length === 0 || av.some((a: any) => typeof a.topic !== "string")) out.push("availability list with topics")
    const dev = doc.device
    if (!dev || !Array.isArray(dev.identifiers) || dev.identifiers.length === 0) out.push("device.identifiers")
    if (!doc.origin || typeof doc.origin.name !== "string") out.push("origin.name is required in an origin block")
    return out.map((v) => `${topic}: ${v}`)
}

class Bus implements MessageBus {
    sent: { topic: string; payload: string }[] = []
    async publish(topic: string, parts: string | string[], opts: PublishOptions): Promise<void> {
        // a reply comes as its parts (never joined on the board): joined here to read it
        let payload = parts as string
        if (typeof parts !== "string") payload = (parts as string[]).join("")
        this.sent.push({ topic, payload })
    }
    async subscribe(): Promise<void> {}
}

function sensor(key: string, unit: string, deviceClass: string, decimals: number): SensorChannel {
    return { key, unit, deviceClass, decimals, name: key, read: async () => 1 }
}

/** The documents of a board with every sensor the boards have and one actuator of each kind. */
async function documents(store: MemoryStore, extraActuator?: Actuator): Promise<{ topic: string; payload: string }[]> {
    const actuators: Actuator[] = [
        { key: "relay", name: "Relay", kind: "switch", deviceClass: "outlet", get: () => true, set: async () => {} },
        { key: "lamp", name: "Lamp", kind: "light", get: () => false, set: async () => {} },
        { key: "level", name: "Level", kind: "number", min: 0, max: 100, step: 0.5, unit: "%", get: () => 3, set: async () => {} },
        { key: "identify", name: "Identify", kind: "button", deviceClass: "identify", set: async () => {} },
    ]
    if (extraActuator) actuators.push(extraActuator)
    const hw: BoardHardware = {
        board: "sim",
        model: "sim",
        tls: true,
        sensors: [
            sensor("temperature", "°C", "temperature", 2),
            sensor("humidity", "%", "humidity", 1),
            sensor("pressure", "hPa", "pressure", 1),
        ],
        led: { set: async () => {}, get: () => false },
        actuators,
        rssi: async () => -50,
    }
    const cfg = new Config(store, () => {})
    await cfg.load()
    const app = new DeviceApp({
        hw,
        config: cfg,
        clock: { now: () => 5 },
        log: () => {},
        hardwareId: "abc",
        restarter: { restartSoon: () => {} },
    })
    const bus = new Bus()
    await app.onConnected(bus)
    return bus.sent.filter((s) => s.topic.startsWith("homeassistant/"))
}

describe("Home Assistant discovery documents follow HA's rules for their component", () => {
    test("every document of a board with every kind of entity is valid", async () => {
        const docs = await documents(new MemoryStore())
        expect(docs.map((d) => d.topic.split("/")[1]).join(",")).toBe(
            "sensor,sensor,sensor,sensor,sensor,sensor,sensor,light,switch,light,number,button,button"
        )
        const problems = docs.flatMap((d) => violations(d.topic, JSON.parse(d.payload)))
        expect(problems).toEqual([])
        const ids = docs.map((d) => JSON.parse(d.payload).unique_id)
        expect(new Set(ids).size).toBe(ids.length)
        const diag = docs
            .map((d) => JSON.parse(d.payload))
            .filter((d) => d.entity_category === "diagnostic")
            .map((d) => d.unique_id.split("_").pop())
        expect(diag).toEqual(["uptime", "reconnects", "version", "rssi"])
    })

    test("the checker catches a wrong device class, a wrong unit and a missing command topic", async () => {
        const docs = await documents(new MemoryStore(), {
            key: "fan",
            name: "Fan",
            kind: "switch",
            deviceClass: "fan",
            get: () => true,
            set: async () => {},
        })
        const fan = docs.find((d) => d.topic.endsWith("_fan/config"))!
        expect(violations(fan.topic, JSON.parse(fan.payload))).toEqual([`${fan.topic}: device_class fan is not a switch device class`])
        const temp = JSON.parse(docs[0].payload)
        expect(violations(docs[0].topic, { ...temp, unit_of_measurement: "C" })).toEqual([
            `${docs[0].topic}: unit C is not valid for device_class temperature`,
        ])
        const relay = docs.find((d) => d.topic.endsWith("_relay/config"))!
        const noCommand = JSON.parse(relay.payload)
        delete noCommand.command_topic
        expect(violations(relay.topic, noCommand)).toEqual([`${relay.topic}: command_topic missing or not a topic name`])
    })

    test("with HA_DISCOVERY=false every entity is removed by an empty retained document", async () => {
        const store = new MemoryStore()
        store.data["HA_DISCOVERY"] = false
        const docs = await documents(store)
        expect(docs.length).toBe(13)
        expect(docs.every((d) => d.payload === "")).toBe(true)
    })
})
