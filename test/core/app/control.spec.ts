// Actuators under control (src/firmware/control.ts): Home Assistant commands, actuator.set/get,
// retained state topics after every change, the restart button, the diagnostics in the status
// document. Portable: runs under vitest and in the DeviceScript VM (test/devs/app-firmware.ts).
import { describe, test, expect, beforeEach } from "@devicescript/test"
import { pause } from "../../../src/util/pause"
import { MemoryStore } from "../../../src/config/config"
import { DeviceApp, STATUS_MS } from "../../../src/firmware/app"
import { MessageBus, PublishOptions } from "../../../src/firmware/bus"
import { actuatorText, commandRequest, valueFromText } from "../../../src/firmware/control"
import { STUCK_LEVEL, TestBoard, testApp } from "./test-board"

interface Sent {
    topic: string
    payload: string
    retain: boolean
}

class Bus implements MessageBus {
    sent: Sent[] = []
    subs: string[] = []
    async publish(topic: string, parts: string | string[], opts: PublishOptions): Promise<void> {
        // a reply comes as its parts (never joined on the board): joined here to read it
        let payload = parts as string
        if (typeof parts !== "string") payload = (parts as string[]).join("")
        this.sent.push({ topic: topic, payload: payload, retain: opts.retain })
    }
    async subscribe(filter: string, qos: number): Promise<void> {
        this.subs.push(filter)
    }
    last(topic: string): string {
        let r = "none"
        for (const s of this.sent) if (s.topic === topic) r = s.payload
        return r
    }
    count(topic: string): number {
        return this.sent.filter((s) => s.topic === topic).length
    }
}

interface Rig {
    app: DeviceApp
    bus: Bus
    board: TestBoard
}

async function rig(store: MemoryStore): Promise<Rig> {
    const board = new TestBoard()
    const app = await testApp(board, store)
    const bus = new Bus()
    await app.onConnected(bus)
    return { app: app, bus: bus, board: board }
}

/** Delivers one message as the MQTT adapter would and lets the worker answer it. */
async function deliver(app: DeviceApp, topic: string, payload: string): Promise<void> {
    app.onMessage(topic, payload)
    await app.processRequests()
}

describe("Home Assistant control", () => {
    beforeEach(async () => {
        await pause()
    })
    test("on connect: every state retained, one discovery document per entity, diagnostics in the status", async () => {
        const r = await rig(new MemoryStore())
        expect(r.bus.subs.join(",")).toBe("devices/abc/rx,devices/abc/set/+")
        expect(r.bus.last("devices/abc/state/led")).toBe("OFF")
        expect(r.bus.last("devices/abc/state/relay")).toBe("OFF")
        expect(r.bus.last("devices/abc/state/level")).toBe("20")
        expect(r.bus.sent.filter((s) => s.topic.startsWith("devices/abc/state/") && !s.retain).length).toBe(0)
        const topics = r.bus.sent.filter((s) => s.topic.startsWith("homeassistant/")).map((s) => s.topic)
        expect(topics.join(",")).toBe(
            "homeassistant/sensor/abc_uptime/config,homeassistant/sensor/abc_reconnects/config,homeassistant/sensor/abc_version/config," +
                "homeassistant/sensor/abc_rssi/config,homeassistant/light/abc_led/config,homeassistant/switch/abc_relay/config," +
                "homeassistant/number/abc_level/config,homeassistant/button/abc_restart/config"
        )
        expect(r.bus.last("devices/abc/status")).toBe(
            '{"state":"online","firmware":"devs-link","version":"0.1.0","board":"test_board","uptime_ms":1000,"reconnects":0,"rssi":-61}'
        )
        const relay = JSON.parse(r.bus.last("homeassistant/switch/abc_relay/config"))
        expect(relay["command_topic"]).toBe("devices/abc/set/relay")
        expect(relay["state_topic"]).toBe("devices/abc/state/relay")
        expect(relay["payload_on"]).toBe("ON")
        const button = JSON.parse(r.bus.last("homeassistant/button/abc_restart/config"))
        expect(button["device_class"]).toBe("restart")
        expect(button["entity_category"]).toBe("config")
        expect(button["state_topic"]).toBe(undefined)
        // a number's range, step and unit, in this order; an on/off entity has none of them
        const level = r.bus.last("homeassistant/number/abc_level/config")
        expect(
            level.indexOf(
                ',"state_topic":"devices/abc/state/level","min":0,"max":100,"step":0.5,"unit_of_measurement":"%","availability":'
            ) > 0
        ).toBe(true)
        expect(JSON.stringify(relay).indexOf('"min"')).toBe(-1)
    })
    test("a command from Home Assistant switches the LED and the state topic follows", async () => {
        const r = await rig(new MemoryStore())
        await deliver(r.app, "devices/abc/set/led", "ON")
        expect(r.board.ledOn).toBe(true)
        expect(r.bus.last("devices/abc/state/led")).toBe("ON")
        await deliver(r.app, "devices/abc/set/led", "OFF")
        expect(r.board.ledOn).toBe(false)
        expect(r.bus.last("devices/abc/state/led")).toBe("OFF")
        await deliver(r.app, "devices/abc/set/level", "42.5")
        expect(r.board.level).toBe(42.5)
        expect(r.bus.last("devices/abc/state/level")).toBe("42.5")
    })
    test("a change through RPC (led.set, actuator.set) or behind the board's back is published too", async () => {
        const r = await rig(new MemoryStore())
        const before = r.bus.count("devices/abc/state/relay")
        await deliver(r.app, r.app.topics.rx, '{"jsonrpc":"2.0","method":"led.set","params":{"on":true},"id":1}')
        expect(r.bus.last("devices/abc/state/led")).toBe("ON")
        await deliver(r.app, r.app.topics.rx, '{"jsonrpc":"2.0","method":"actuator.set","params":{"key":"relay","value":true},"id":2}')
        expect(r.bus.last(r.app.topics.tx)).toBe('{"jsonrpc":"2.0","result":{"relay":true},"id":2}')
        expect(r.bus.last("devices/abc/state/relay")).toBe("ON")
        // unchanged states are not published again
        expect(r.bus.count("devices/abc/state/relay")).toBe(before + 1)
        r.board.relayOn = false
        await r.app.sample(false)
        expect(r.bus.last("devices/abc/state/relay")).toBe("OFF")
        await deliver(r.app, r.app.topics.rx, '{"jsonrpc":"2.0","method":"actuator.get","id":3}')
        expect(r.bus.last(r.app.topics.tx)).toBe('{"jsonrpc":"2.0","result":{"led":true,"relay":false,"level":20},"id":3}')
    })
    test("bad commands and values get an error reply, nothing changes", async () => {
        const r = await rig(new MemoryStore())
        await deliver(r.app, "devices/abc/set/relay", "maybe")
        expect(r.board.relayOn).toBe(false)
        expect(r.bus.last(r.app.topics.tx)).toBe(
            '{"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":"\'value\' of relay must be true or false"},"id":"set/relay"}'
        )
        await deliver(r.app, "devices/abc/set/level", "101")
        expect(r.bus.last(r.app.topics.tx)).toBe(
            '{"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":"\'value\' of level is out of range"},"id":"set/level"}'
        )
        await deliver(r.app, "devices/abc/set/nope", "ON")
        expect(r.bus.last(r.app.topics.tx)).toBe(
            '{"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":"unknown actuator nope"},"id":"set/nope"}'
        )
        await deliver(r.app, "devices/abc/set/level", "" + STUCK_LEVEL)
        expect(r.bus.last(r.app.topics.tx)).toBe(
            '{"jsonrpc":"2.0","error":{"code":-32000,"message":"Actuator error","data":"stuck"},"id":"set/level"}'
        )
        expect(r.board.level).toBe(20)
        // a payload cannot smuggle JSON into the request
        expect(commandRequest("d/x/set/", "d/x/set/relay", '1},"id":5')).toBe(
            '{"jsonrpc":"2.0","method":"actuator.set","params":{"key":"relay","value":"1},\\"id\\":5"},"id":"set/relay"}'
        )
    })
    test("a retained command is ignored: it would be replayed on every connect", async () => {
        const r = await rig(new MemoryStore())
        expect(r.app.onMessage("devices/abc/set/restart", "PRESS", true)).toBe(true)
        expect(r.app.onMessage("devices/abc/set/relay", "ON", true)).toBe(true)
        expect(await r.app.processRequests()).toBe(0)
        expect(r.board.restarts).toBe(0)
        expect(r.board.relayOn).toBe(false)
    })
    test("the restart button restarts the board; the status is republished every STATUS_MS with the reconnect count", async () => {
        const r = await rig(new MemoryStore())
        await deliver(r.app, "devices/abc/set/restart", "PRESS")
        expect(r.board.restarts).toBe(1)
        await r.app.onConnected(r.bus)
        expect(r.bus.last("devices/abc/status")).toBe(
            '{"state":"online","firmware":"devs-link","version":"0.1.0","board":"test_board","uptime_ms":1000,"reconnects":1,"rssi":-61}'
        )
        const n = r.bus.count("devices/abc/status")
        r.board.rssiFails = true
        r.board.millis += STATUS_MS - 1
        await r.app.sample(false)
        expect(r.bus.count("devices/abc/status")).toBe(n)
        r.board.millis += 1
        await r.app.sample(false)
        expect(r.bus.count("devices/abc/status")).toBe(n + 1)
        // a signal that cannot be read is left out, not reported stale
        expect(r.bus.last("devices/abc/status")).toBe(
            '{"state":"online","firmware":"devs-link","version":"0.1.0","board":"test_board","uptime_ms":61000,"reconnects":1}'
        )
    })
    test("CoAP text for actuators", async () => {
        const r = await rig(new MemoryStore())
        const relay = r.app.actuators[1]
        expect(actuatorText(relay)).toBe("off")
        expect(actuatorText(r.app.actuators[2])).toBe("20")
        expect(actuatorText(r.app.actuators[3])).toBe("")
        expect(valueFromText(relay, " ON ")).toBe(true)
        expect(valueFromText(relay, "toggle")).toBe(true)
        expect(valueFromText(relay, "nah")).toBe(undefined)
        expect(valueFromText(r.app.actuators[2], "12.5")).toBe(12.5)
        expect(valueFromText(r.app.actuators[2], "on")).toBe(undefined)
    })
    test("DEVICE_NAME names the device in every discovery document", async () => {
        const store = new MemoryStore()
        store.data["DEVICE_NAME"] = "Greenhouse"
        const r = await rig(store)
        const doc = JSON.parse(r.bus.last("homeassistant/switch/abc_relay/config"))
        expect(doc["device"]["name"]).toBe("Greenhouse")
        expect(doc["origin"]["name"]).toBe("devs-link")
    })
})
