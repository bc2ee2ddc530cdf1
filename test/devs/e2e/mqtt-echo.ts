// Firmware for the end-to-end test (test/e2e/mqtt-sim.spec.ts), run in the simulator in non-test
// mode: settings come from the simulated flash like on a board.
//   publishes "hello <deviceId>" to <prefix>/hello at QoS 0, 1 and 2 (topics .../q0, .../q1, .../q2)
//   subscribes to <prefix>/cmd at QoS 2; each command is logged and echoed to <prefix>/echo (QoS 1)
import * as ds from "@devicescript/core"
import { readSetting } from "@devicescript/settings"
import { connectMqtt } from "../../../devs/mqtt"

const host = await readSetting<string>("MQTT_HOST", "127.0.0.1")
const port = await readSetting<number>("MQTT_PORT", 1883)
const prefix = await readSetting<string>("E2E_PREFIX", "devs-link/e2e")
const id = ds.deviceIdentifier("self")

const client = connectMqtt({ host, port, clientId: "e2e-" + id, keepalive: 30 })
client.on("error", (e: Error) => console.log("E2E error " + e.message))
client.on("close", (reason: string) => console.log("E2E close " + reason))
await client.whenConnected()
console.log("E2E connected")

const granted = await client.subscribe(prefix + "/cmd", {
    qos: 2,
    onMessage: (topic: string, payload: Buffer) => {
        const text = payload.toString()
        console.log("E2E got " + text)
        client.publishNoWait(prefix + "/echo", "echo:" + text, { qos: 1 })
    },
})
console.log("E2E subscribed " + granted.join(","))

await client.publish(prefix + "/hello/q0", "hello " + id, { qos: 0 })
await client.publish(prefix + "/hello/q1", "hello " + id, { qos: 1 })
await client.publish(prefix + "/hello/q2", "hello " + id, { qos: 2 })
console.log("E2E published")
