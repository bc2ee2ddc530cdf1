// Firmware for test/e2e/mqtt-window.spec.ts: pipelined QoS 1 and QoS 2 with a 128-message in-flight
// window. A whole window of acknowledgements arrives in one socket chunk; handling it in one VM
// turn used to run past the watchdog (InfiniteLoop panic).
//   publishes E2E_N messages "<i>" to <prefix>/w1 at QoS 1, then to <prefix>/w2 at QoS 2,
//   logs "E2E window <qos> ok=<n> failed=<n>" after each burst
import * as ds from "@devicescript/core"
import { readSetting } from "@devicescript/settings"
import { connectMqtt } from "../../../devs/mqtt"
import { DsCompletion } from "../../../devs/completion"
import { QoS } from "../../../src/mqtt/codec/packets"

const WINDOW = 128
const host = await readSetting<string>("MQTT_HOST", "127.0.0.1")
const port = await readSetting<number>("MQTT_PORT", 1883)
const prefix = await readSetting<string>("E2E_PREFIX", "devs-link/e2e")
const n = await readSetting<number>("E2E_N", 1000)

const client = connectMqtt({ host, port, clientId: "e2e-window", keepalive: 30, inflightWindow: WINDOW, outboxMaxMessages: 64 })
client.on("error", (e: Error) => console.log("E2E error " + e.message))
await client.whenConnected()
console.log("E2E connected")

async function burst(topic: string, qos: QoS): Promise<void> {
    let done = 0
    let failed = 0
    let room: DsCompletion<void> = undefined
    const onDone = (err: Error) => {
        done++
        if (err) failed++
        if (room) room.resolve(undefined)
    }
    for (let i = 0; i < n; i++) {
        // a full window in flight plus some queued, never more than the outbox holds
        while (i - done >= WINDOW + 32) {
            room = new DsCompletion<void>()
            await room.wait()
        }
        client.publishNoWait(topic, "" + i, { qos: qos }, onDone)
        if (i % 20 === 19) await ds.sleep(0)
    }
    await client.flush()
    console.log("E2E window " + qos + " ok=" + (done - failed) + " failed=" + failed)
}

await burst(prefix + "/w1", 1)
await burst(prefix + "/w2", 2)
