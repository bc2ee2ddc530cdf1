// Firmware for test/e2e/firmware-shaped-link.spec.ts and the bench's link-firmware phase: the
// board's MQTT client (the session code the firmware links) pipelining QoS 1 through a slow link.
// The firmware itself cannot: it awaits each QoS 1 publish (devs/firmware.ts ClientBus), so its
// status and discovery documents go one per round trip. This entry measures, on the board's clock:
//   E2E_RTT_N publishes one at a time (publish -> PUBACK), logged as "E2E rtt samples=<ms>,<ms>,..."
//   then E2E_N messages "<i>" to <prefix>/burst at QoS 1 with an in-flight window of E2E_WINDOW,
//   logged as "E2E burst n=<n> ok=<n> failed=<n> ms=<first publish to last PUBACK>"
import * as ds from "@devicescript/core"
import { readSetting } from "@devicescript/settings"
import { connectMqtt } from "../../../devs/mqtt"
import { DsCompletion } from "../../../devs/completion"

const host = await readSetting<string>("MQTT_HOST", "127.0.0.1")
const port = await readSetting<number>("MQTT_PORT", 1883)
const prefix = await readSetting<string>("E2E_PREFIX", "devs-link/e2e")
const n = await readSetting<number>("E2E_N", 500)
const windowSize = await readSetting<number>("E2E_WINDOW", 16)
const rttN = await readSetting<number>("E2E_RTT_N", 30)

const client = connectMqtt({ host, port, clientId: "e2e-shaped-burst", keepalive: 30, inflightWindow: windowSize, outboxMaxMessages: 64 })
client.on("error", (e: Error) => console.log("E2E error " + e.message))
await client.whenConnected()
console.log("E2E connected")

const samples: number[] = []
for (let i = 0; i < rttN; i++) {
    const t0 = ds.millis()
    await client.publish(prefix + "/rtt", "" + i, { qos: 1 })
    samples.push(Math.round(ds.millis() - t0))
}
console.log("E2E rtt samples=" + samples.join(","))

let done = 0
let failed = 0
let room: DsCompletion<void> = undefined
const onDone = (err: Error) => {
    done++
    if (err) failed++
    if (room) room.resolve(undefined)
}
const t0 = ds.millis()
for (let i = 0; i < n; i++) {
    // a full window in flight plus some queued, never more than the outbox (64) holds; suspend
    // rather than sleep(0) so the socket's data (the PUBACKs) comes in meanwhile
    while (i - done >= windowSize + 32) {
        room = new DsCompletion<void>()
        await room.wait()
    }
    client.publishNoWait(prefix + "/burst", "" + i, { qos: 1 }, onDone)
    if (i % 20 === 19) await ds.sleep(0)
}
await client.flush()
const ms = Math.round(ds.millis() - t0)
console.log("E2E burst n=" + n + " ok=" + (done - failed) + " failed=" + failed + " ms=" + ms)
