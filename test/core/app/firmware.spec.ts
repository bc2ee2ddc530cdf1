import { describe, test, expect, beforeEach } from "@devicescript/test"
import { pause } from "../../../src/util/pause"
import { Config, MemoryStore } from "../../../src/config/config"
import { DeviceApp, MAX_REQUEST_BYTES, QUEUE_MAX_CHARS } from "../../../src/firmware/app"
import { BoardHardware, SensorChannel } from "../../../src/firmware/hardware"
import { ConnectPlan, MessageBus, PublishOptions } from "../../../src/firmware/bus"
import { discoveryPayload } from "../../../src/firmware/discovery"
import { toJson } from "../../../src/util/json"
import { deviceTopics } from "../../../src/firmware/topics"

class FakeClock {
    t = 1000
    now(): number {
        return this.t
    }
}

interface Sent {
    topic: string
    payload: string
    qos: number
    retain: boolean
}

class RecordingBus implements MessageBus {
    sent: Sent[] = []
    subs: string[] = []
    async publish(topic: string, parts: string | string[], opts: PublishOptions): Promise<void> {
        // a reply comes as its parts (never joined on the board): joined here to read it
        let payload = parts as string
        if (typeof parts !== "string") payload = (parts as string[]).join("")
        this.sent.push({ topic: topic, payload: payload, qos: opts.qos, retain: opts.retain })
    }
    async subscribe(filter: string, qos: number): Promise<void> {
        this.subs.push(filter)
    }
    on(topic: string): Sent[] {
        return this.sent.filter((s) => s.topic === topic)
    }
}

let temp = 21.534
let humidityBroken = false
let ledOn = false
let restartDelay = -1

function channel(key: string, unit: string, decimals: number, name: string, read: () => Promise<number>): SensorChannel {
    return { key: key, unit: unit, decimals: decimals, deviceClass: key, name: name, read: read }
}

function hardware(tls: boolean, withLed: boolean): BoardHardware {
    const hw: BoardHardware = {
        board: tls ? "test_board" : "pico_w",
        model: "Test board",
        tls: tls,
        sensors: [
            channel("temperature", "°C", 2, "Temperature", async () => temp),
            channel("humidity", "%", 1, "Humidity", async () => {
                if (humidityBroken) throw new Error("i2c nack")
                return 40.25
            }),
        ],
    }
    if (withLed)
        hw.led = {
            set: async (on: boolean) => {
                ledOn = on
            },
            get: () => ledOn,
        }
    return hw
}

interface Rig {
    app: DeviceApp
    bus: RecordingBus
    clock: FakeClock
    store: MemoryStore
    logs: string[]
}

async function rig(store: MemoryStore, tls: boolean, withLed: boolean): Promise<Rig> {
    // a new rig announces every entity: in the VM, let the scheduler run first (the watchdog)
    await pause()
    const logs: string[] = []
    const log = (l: string) => {
        logs.push(l)
    }
    const cfg = new Config(store, log)
    await cfg.load()
    const clock = new FakeClock()
    const app = new DeviceApp({
        hw: hardware(tls, withLed),
        config: cfg,
        clock: clock,
        log: log,
        hardwareId: "12abdd2289421234",
        restarter: {
            restartSoon: (ms: number) => {
                restartDelay = ms
            },
        },
    })
    const bus = new RecordingBus()
    await app.onConnected(bus)
    return { app: app, bus: bus, clock: clock, store: store, logs: logs }
}

/** Sends one request over rx and returns what came back on tx (or "none"). */
async function call(r: Rig, request: string): Promise<string> {
    const before = r.bus.on(r.app.topics.tx).length
    r.app.onMessage(r.app.topics.rx, request)
    await r.app.processRequests()
    const tx = r.bus.on(r.app.topics.tx)
    if (tx.length === before) return "none"
    return tx[tx.length - 1].payload
}

describe("firmware topics, status and discovery", () => {
    beforeEach(async () => {
        await pause()
    })
    test("topics follow <prefix>/<id>/...", () => {
        const t = deviceTopics("devices", "abc")
        expect(t.status).toBe("devices/abc/status")
        expect(t.telemetry).toBe("devices/abc/telemetry")
        expect(t.rx).toBe("devices/abc/rx")
        expect(t.tx).toBe("devices/abc/tx")
    })
    test("on connect: rx and commands subscribed, retained online status, retained discovery per sensor", async () => {
        const r = await rig(new MemoryStore(), true, false)
        expect(r.bus.subs.join(",")).toBe("devices/12abdd2289421234/rx,devices/12abdd2289421234/set/+")
        const st = r.bus.on("devices/12abdd2289421234/status")
        expect(st.length).toBe(1)
        expect(st[0].retain).toBe(true)
        expect(st[0].qos).toBe(1)
        expect(st[0].payload).toBe(
            '{"state":"online","firmware":"devs-link","version":"0.1.0","board":"test_board","uptime_ms":1000,"reconnects":0}'
        )
        const disc = r.bus.sent.filter((s) => s.topic.startsWith("homeassistant/"))
        // two sensors, three diagnostics (no Wi-Fi signal on this board), the restart button
        expect(disc.length).toBe(6)
        expect(disc[0].topic).toBe("homeassistant/sensor/12abdd2289421234_temperature/config")
        expect(disc[0].retain).toBe(true)
        expect(disc[0].payload).toBe(
            '{"name":"Temperature","unique_id":"devs-link_12abdd2289421234_temperature","state_topic":"devices/12abdd2289421234/telemetry",' +
                '"value_template":"{{ value_json.temperature | default(None) }}","unit_of_measurement":"°C","device_class":"temperature","state_class":"measurement",' +
                '"suggested_display_precision":2,"availability":[{"topic":"devices/12abdd2289421234/status","value_template":"{{ value_json.state }}",' +
                '"payload_available":"online","payload_not_available":"offline"}],"device":{"identifiers":["devs-link_12abdd2289421234"],' +
                '"name":"devs-link 12abdd2289421234","manufacturer":"devs-link","model":"Test board","sw_version":"0.1.0"},' +
                '"origin":{"name":"devs-link","sw_version":"0.1.0"}}'
        )
        const doc = JSON.parse(disc[1].payload)
        expect(doc["unit_of_measurement"]).toBe("%")
        expect(doc["state_topic"]).toBe("devices/12abdd2289421234/telemetry")
    })
    test("the discovery document, written as text, is what the JSON writer makes of the object", () => {
        const topics = deviceTopics('a"b', "dev-1")
        const s = channel("t\\q", 'µ"C', 3, 'Ünit "x"\n\u0001', async () => 1)
        const doc = {
            name: s.name,
            unique_id: "devs-link_dev-1_" + s.key,
            state_topic: topics.telemetry,
            value_template: "{{ value_json." + s.key + " | default(None) }}",
            unit_of_measurement: s.unit,
            device_class: s.deviceClass,
            state_class: "measurement",
            suggested_display_precision: s.decimals,
            availability: [
                {
                    topic: topics.status,
                    value_template: "{{ value_json.state }}",
                    payload_available: "online",
                    payload_not_available: "offline",
                },
            ],
            device: {
                identifiers: ["devs-link_dev-1"],
                name: 'Küche "1"',
                manufacturer: "devs-link",
                model: 'Bo"ard é',
                sw_version: "0.1.0",
            },
            origin: { name: "devs-link", sw_version: "0.1.0" },
        }
        const input = {
            haPrefix: "ha",
            deviceId: "dev-1",
            board: "b",
            model: 'Bo"ard é',
            deviceName: 'Küche "1"',
            topics: topics,
            sensors: [s],
        }
        expect(discoveryPayload(input, s)).toBe(toJson(doc))
    })
    test("discovery off publishes empty retained configs; DEVICE_ID and prefix override topics", async () => {
        const store = new MemoryStore()
        store.data["HA_DISCOVERY"] = false
        store.data["DEVICE_ID"] = "kitchen"
        store.data["MQTT_PREFIX"] = "home"
        const r = await rig(store, true, false)
        const disc = r.bus.sent.filter((s) => s.topic.startsWith("homeassistant/"))
        expect(disc.length).toBe(6)
        expect(disc[0].topic).toBe("homeassistant/sensor/kitchen_temperature/config")
        expect(disc.filter((d) => d.payload !== "").length).toBe(0)
        expect(disc[5].topic).toBe("homeassistant/button/kitchen_restart/config")
        expect(r.bus.subs[0]).toBe("home/kitchen/rx")
    })
    test("connect plan: will, credentials from settings, TLS refused where the runtime has none", async () => {
        const store = new MemoryStore()
        store.data["MQTT_URL"] = "mqtts://broker.example.com"
        store.data["MQTT_USER"] = "u"
        store.data["MQTT_PASS"] = "p"
        const r = await rig(store, true, false)
        const plan = r.app.connectPlan() as ConnectPlan
        expect(plan.brokers.length).toBe(1)
        expect(plan.brokers[0].host).toBe("broker.example.com")
        expect(plan.brokers[0].port).toBe(8883)
        expect(plan.brokers[0].tls).toBe(true)
        expect(plan.username).toBe("u")
        expect(plan.password).toBe("p")
        expect(plan.keepaliveS).toBe(60)
        expect(plan.clientId).toBe("devs-link_12abdd2289421234")
        expect(plan.will.topic).toBe("devices/12abdd2289421234/status")
        expect(plan.will.payload).toBe('{"state":"offline"}')
        expect(plan.will.retain).toBe(true)
        const pico = await rig(store, false, false)
        expect(pico.app.connectPlan()).toBe(
            "MQTT_URL is mqtts://broker.example.com but the pico_w runtime has no TLS: set MQTT_URL=mqtt://broker.example.com (plain TCP); not connecting"
        )
        // a list: every broker in its order, and TLS refused on any of them where the runtime has none
        store.data["MQTT_URL"] = "mqtt://a:1884, mqtt://b"
        const two = (await rig(store, false, false)).app.connectPlan() as ConnectPlan
        expect(two.brokers.map((b) => b.host + ":" + b.port + ":" + b.tls).join(" ")).toBe("a:1884:false b:1883:false")
        store.data["MQTT_URL"] = "mqtt://a,mqtts://b"
        expect((await rig(store, false, false)).app.connectPlan()).toBe(
            "MQTT_URL is mqtt://a,mqtts://b but the pico_w runtime has no TLS: set MQTT_URL=mqtt://b (plain TCP); not connecting"
        )
    })
})

describe("firmware telemetry", () => {
    beforeEach(async () => {
        await pause()
    })
    test("first sample at once, then interval or change; failed sensors left out and logged once", async () => {
        temp = 21.534
        humidityBroken = false
        const r = await rig(new MemoryStore(), true, false)
        const topic = r.app.topics.telemetry
        expect(await r.app.sample(false)).toBe('{"ts":1000,"temperature":21.53,"humidity":40.3}')
        expect(r.bus.on(topic).length).toBe(1)
        r.clock.t = 5000
        expect(await r.app.sample(false)).toBe(undefined)
        temp = 22.1
        expect(await r.app.sample(false)).toBe('{"ts":5000,"temperature":22.10,"humidity":40.3}')
        humidityBroken = true
        r.clock.t = 40000
        expect(await r.app.sample(false)).toBe('{"ts":40000,"temperature":22.10}')
        r.clock.t = 80000
        expect(await r.app.sample(false)).toBe('{"ts":80000,"temperature":22.10}')
        expect(r.logs.length).toBe(1)
        expect(r.logs[0]).toBe("sensor humidity: i2c nack")
        humidityBroken = false
        expect(r.bus.on(topic).length).toBe(4)
    })

    test("offline: nothing is published; after the next connect, the change is published", async () => {
        temp = 21.534
        humidityBroken = false
        const r = await rig(new MemoryStore(), true, false)
        const topic = r.app.topics.telemetry
        await r.app.sample(false)
        r.app.onDisconnected()
        temp = 23
        r.clock.t = 5000
        // sampled (telemetry.now still has it) but not handed to the bus
        expect(await r.app.sample(false)).toBe('{"ts":5000,"temperature":23.00,"humidity":40.3}')
        expect(r.bus.on(topic).length).toBe(1)
        const bus2 = new RecordingBus()
        await r.app.onConnected(bus2)
        r.clock.t = 6000
        // not marked published while offline, so the change still counts
        expect(await r.app.sample(false)).toBe('{"ts":6000,"temperature":23.00,"humidity":40.3}')
        expect(bus2.on(topic).length).toBe(1)
    })
})

describe("firmware RPC methods", () => {
    beforeEach(async () => {
        await pause()
    })
    test("sys.info, sensors.read, telemetry.now", async () => {
        temp = 21.5
        const r = await rig(new MemoryStore(), true, false)
        const info = JSON.parse(await call(r, '{"jsonrpc":"2.0","method":"sys.info","id":1}'))
        expect(info["id"]).toBe(1)
        expect(info["result"]["device_id"]).toBe("12abdd2289421234")
        expect(info["result"]["board"]).toBe("test_board")
        expect(info["result"]["uptime_ms"]).toBe(1000)
        expect(info["result"]["led"]).toBe(false)
        expect(info["result"]["broker"]).toBe("localhost:1883")
        // the link's TLS, not the runtime's: this board could do TLS, but MQTT_URL is mqtt://
        expect(info["result"]["tls"]).toBe(false)
        expect(info["result"]["sensors"][0]["unit"]).toBe("°C")
        expect(await call(r, '{"jsonrpc":"2.0","method":"sensors.read","id":2}')).toBe(
            '{"jsonrpc":"2.0","result":{"ts":1000,"temperature":21.50,"humidity":40.3},"id":2}'
        )
        expect(r.bus.on(r.app.topics.telemetry).length).toBe(0)
        expect(await call(r, '{"jsonrpc":"2.0","method":"telemetry.now","id":3}')).toBe(
            '{"jsonrpc":"2.0","result":{"ts":1000,"temperature":21.50,"humidity":40.3},"id":3}'
        )
        expect(r.bus.on(r.app.topics.telemetry).length).toBe(1)
    })
    test("sys.restart replies first, then restarts", async () => {
        restartDelay = -1
        const r = await rig(new MemoryStore(), true, false)
        expect(await call(r, '{"jsonrpc":"2.0","method":"sys.restart","id":4}')).toBe(
            '{"jsonrpc":"2.0","result":{"restarting":true,"delay_ms":500},"id":4}'
        )
        expect(restartDelay).toBe(500)
        expect(await call(r, '{"jsonrpc":"2.0","method":"sys.restart","params":{"delay_ms":5},"id":5}')).toBe(
            '{"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":"\'delay_ms\' is below its minimum"},"id":5}'
        )
    })
    test("config.get and config.set: validated, persisted, survives a restart", async () => {
        const store = new MemoryStore()
        const r = await rig(store, true, false)
        expect(await call(r, '{"jsonrpc":"2.0","method":"config.get","params":{"key":"TELEMETRY_MS"},"id":6}')).toBe(
            '{"jsonrpc":"2.0","result":{"TELEMETRY_MS":30000},"id":6}'
        )
        expect(await call(r, '{"jsonrpc":"2.0","method":"config.get","params":["NOPE"],"id":7}')).toBe(
            '{"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":"unknown setting NOPE"},"id":7}'
        )
        expect(await call(r, '{"jsonrpc":"2.0","method":"config.set","params":{"settings":{"TELEMETRY_MS":10}},"id":8}')).toBe(
            '{"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":"TELEMETRY_MS must be at least 1000"},"id":8}'
        )
        expect(
            await call(r, '{"jsonrpc":"2.0","method":"config.set","params":{"settings":{"TELEMETRY_MS":2000,"MQTT_PASS":"s3cret"}},"id":9}')
        ).toBe('{"jsonrpc":"2.0","result":{"applied":{"TELEMETRY_MS":2000,"MQTT_PASS":"(hidden)"},"restart_needed":true},"id":9}')
        const all = JSON.parse(await call(r, '{"jsonrpc":"2.0","method":"config.get","id":10}'))
        // a connection setting is only in effect once it has been tried, after the restart
        expect(all["result"]["MQTT_PASS"]).toBe("")
        expect(all["result"]["HA_DISCOVERY"]).toBe(true)
        // The new interval applies at once, without a restart.
        await r.app.sample(false)
        r.clock.t += 2000
        expect((await r.app.sample(false)) !== undefined).toBe(true)
        const after = await rig(store, true, false)
        expect(after.app.deps.config.get("TELEMETRY_MS")).toBe(2000)
        expect((after.app.connectPlan() as ConnectPlan).password).toBe("s3cret")
    })
    test("ids come back as written; a repeated id is not run twice; a long id is refused", async () => {
        const r = await rig(new MemoryStore(), true, true)
        expect(await call(r, '{"jsonrpc":"2.0","method":"led.get","id":9007199254740993}')).toBe(
            '{"jsonrpc":"2.0","result":{"on":false},"id":9007199254740993}'
        )
        expect(await call(r, '{"jsonrpc":"2.0","method":"led.get","id" : 1.50}')).toBe('{"jsonrpc":"2.0","result":{"on":false},"id":1.50}')
        expect(
            await call(
                r,
                '[{"jsonrpc":"2.0","method":"led.get","id":"\\u0041"},3,{"id":18014398509481985,"jsonrpc":"2.0","method":"led.get","params":{}}]'
            )
        ).toBe(
            '[{"jsonrpc":"2.0","result":{"on":false},"id":"\\u0041"},{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request","data":"request must be an object"},"id":null},{"jsonrpc":"2.0","result":{"on":false},"id":18014398509481985}]'
        )
        expect(await call(r, '{"jsonrpc":"2.0","method":"led.set","params":{"on":true},"id":"d"}')).toBe(
            '{"jsonrpc":"2.0","result":{"on":true},"id":"d"}'
        )
        expect(await call(r, '{"jsonrpc":"2.0","method":"led.set","params":{"on":false},"id":"d"}')).toBe(
            '{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request","data":"id \\"d\\" is one of the last 16 ids that ran; not run again"},"id":"d"}'
        )
        expect(ledOn).toBe(true)
        let long = "x"
        while (long.length < 65) long += "x"
        expect(await call(r, '{"jsonrpc":"2.0","method":"led.get","id":"' + long + '"}')).toBe(
            '{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request","data":"id longer than 64 characters"},"id":"' +
                long +
                '"}'
        )
        expect(await call(r, '{"jsonrpc":"2.0","method":"config.set","params":{"settings":{"TELEMETRY_MS":"5000"}},"id":"t"}')).toBe(
            '{"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":"TELEMETRY_MS must be a number"},"id":"t"}'
        )
        expect(await call(r, '{"jsonrpc":"2.0","method":"config.set","params":{"settings":5},"id":"s"}')).toBe(
            '{"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":"\'settings\' must be an object"},"id":"s"}'
        )
    })
    test("requests over the size limit or beyond the queue's budget are refused or dropped", async () => {
        const r = await rig(new MemoryStore(), true, true)
        const pad = (n: number) => {
            let t = ""
            while (t.length < n) t += "y"
            return t
        }
        const head = '{"jsonrpc":"2.0","method":"led.get","id":1,"params":{"x":"'
        expect(await call(r, head + pad(MAX_REQUEST_BYTES - head.length - 3) + '"}}')).toBe(
            '{"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":"unknown parameter \'x\'"},"id":1}'
        )
        expect(await call(r, head + pad(MAX_REQUEST_BYTES - head.length - 2) + '"}}')).toBe(
            '{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request","data":"request longer than ' +
                MAX_REQUEST_BYTES +
                ' characters"},"id":null}'
        )
        // the queue holds at most QUEUE_MAX_CHARS of request text
        const big = head + pad(MAX_REQUEST_BYTES - head.length - 3) + '"}}'
        let accepted = 0
        for (let i = 0; i < 10; i++) if (r.app.onMessage(r.app.topics.rx, big)) accepted++
        expect(accepted).toBe(QUEUE_MAX_CHARS / MAX_REQUEST_BYTES)
        expect(r.app.dropped).toBe(10 - accepted)
        await r.app.processRequests()
        expect(r.app.onMessage(r.app.topics.rx, big)).toBe(true)
    })
    test("new connection settings are kept once the board hears its own status; a failure is reported", async () => {
        // one rig at a time (each restart is a new rig): in the VM every rig's recording bus holds
        // its discovery documents, and several at once do not fit the 64 KB heap
        const store = new MemoryStore()
        let r = await rig(store, true, true)
        await call(r, '{"jsonrpc":"2.0","method":"config.set","params":{"settings":{"MQTT_URL":"mqtt://other:1883"}},"id":"c1"}')
        r = await rig(store, true, true)
        // while trying, the board listens to its own status
        expect(r.bus.subs.join(",")).toBe("devices/12abdd2289421234/rx,devices/12abdd2289421234/set/+,devices/12abdd2289421234/status")
        const status = r.bus.on(r.app.topics.status)[0].payload
        r.app.onMessage(r.app.topics.status, status)
        await r.app.processRequests()
        expect(store.data["MQTT_URL"]).toBe("mqtt://other:1883")
        r = await rig(store, true, true)
        expect(r.bus.subs.join(",")).toBe("devices/12abdd2289421234/rx,devices/12abdd2289421234/set/+")
        expect(r.app.deps.config.get("MQTT_URL")).toBe("mqtt://other:1883")
        // a trial that fails is reported in the retained status after the restart
        await call(r, '{"jsonrpc":"2.0","method":"config.set","params":{"settings":{"MQTT_URL":"mqtt://dead:1"}},"id":"c2"}')
        r = await rig(store, true, true)
        await r.app.deps.config.failTrial(60000)
        r = await rig(store, true, true)
        expect(r.app.deps.config.get("MQTT_URL")).toBe("mqtt://other:1883")
        const st = JSON.parse(r.bus.on(r.app.topics.status)[0].payload)
        expect(st["state"]).toBe("online")
        expect(st["settings_error"]).toBe("new MQTT_URL did not connect within 60 s; the previous settings are back")
    })
    test("led.set/led.get only on boards with an LED", async () => {
        const plain = await rig(new MemoryStore(), true, false)
        expect(await call(plain, '{"jsonrpc":"2.0","method":"led.set","params":{"on":true},"id":11}')).toBe(
            '{"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found","data":"led.set"},"id":11}'
        )
        const r = await rig(new MemoryStore(), true, true)
        expect(await call(r, '{"jsonrpc":"2.0","method":"led.set","params":{"on":true},"id":12}')).toBe(
            '{"jsonrpc":"2.0","result":{"on":true},"id":12}'
        )
        expect(ledOn).toBe(true)
        expect(await call(r, '{"jsonrpc":"2.0","method":"led.get","id":13}')).toBe('{"jsonrpc":"2.0","result":{"on":true},"id":13}')
        expect(await call(r, '{"jsonrpc":"2.0","method":"led.set","params":{"on":"yes"},"id":14}')).toBe(
            '{"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":"\'on\' must be a boolean"},"id":14}'
        )
        const list = JSON.parse(await call(r, '{"jsonrpc":"2.0","method":"rpc.list","id":15}'))
        expect((list["result"] as any[]).map((m) => m["name"]).join(",")).toBe(
            "rpc.list,sys.info,sys.restart,sensors.read,telemetry.now,config.get,config.set,actuator.set,actuator.get,led.set,led.get"
        )
    })
    test("rpc.list: every method's description and parameters (methods.ts keeps them as JSON text)", async () => {
        const r = await rig(new MemoryStore(), true, true)
        expect(await call(r, '{"jsonrpc":"2.0","method":"rpc.list","id":1}')).toBe(
            '{"jsonrpc":"2.0","result":[' +
                '{"name":"rpc.list","description":"Lists the methods this device answers, with their parameters","params":[]},' +
                '{"name":"sys.info","description":"Firmware, board, identity, uptime, sensors and connection","params":[]},' +
                '{"name":"sys.restart","description":"Restarts the firmware after replying (settings marked restart take effect)",' +
                '"params":[{"name":"delay_ms","type":"integer","optional":true,"min":100,"max":60000}]},' +
                '{"name":"sensors.read","description":"Reads every sensor now: {ts, <quantity>: value, ...} without publishing","params":[]},' +
                '{"name":"telemetry.now","description":"Samples and publishes telemetry at once; returns the published document","params":[]},' +
                '{"name":"config.get","description":"All settings, or one by key (secrets hidden)","params":[{"name":"key","type":"string","optional":true,"max":13}]},' +
                '{"name":"config.set","description":"Validates and saves settings given as {KEY: value, ...}; null resets to the default",' +
                '"params":[{"name":"settings","type":"object"}]},' +
                '{"name":"actuator.set","description":"Sets an actuator (LED, relay, set point) or presses a button: {key, value}; returns its state",' +
                '"params":[{"name":"key","type":"string","max":32},{"name":"value","type":"any"}]},' +
                '{"name":"actuator.get","description":"The state of one actuator by key, or of all: {<key>: value, ...}","params":[{"name":"key","type":"string","optional":true,"max":32}]},' +
                '{"name":"led.set","description":"Turns the board\'s LED on or off","params":[{"name":"on","type":"boolean"}]},' +
                '{"name":"led.get","description":"Whether the board\'s LED is on","params":[]}],"id":1}'
        )
    })
    test("a burst of requests is answered in order; other topics and notifications get nothing", async () => {
        const r = await rig(new MemoryStore(), true, false)
        // (25 small requests fit the queue's QUEUE_MAX_CHARS)
        for (let i = 0; i < 25; i++)
            r.app.onMessage(r.app.topics.rx, '{"jsonrpc":"2.0","method":"config.get","params":["DEVICE_ID"],"id":' + i + "}")
        r.app.onMessage(r.app.topics.rx, '{"jsonrpc":"2.0","method":"sys.info"}')
        r.app.onMessage("devices/other/rx", '{"jsonrpc":"2.0","method":"sys.info","id":99}')
        expect(await r.app.processRequests()).toBe(26)
        const tx = r.bus.on(r.app.topics.tx)
        expect(tx.length).toBe(25)
        let inOrder = true
        // (25 small requests fit the queue's QUEUE_MAX_CHARS)
        for (let i = 0; i < 25; i++) if (JSON.parse(tx[i].payload)["id"] !== i) inOrder = false
        expect(inOrder).toBe(true)
        expect(await call(r, "not json")).toBe('{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null}')
    })
})
