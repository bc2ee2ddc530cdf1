// Test-only firmware for test/e2e/crash-recovery.spec.ts: the sim board's firmware (without the
// CoAP endpoint), which crashes after every start as soon as it hears its own online status back,
// with an uncaught exception in a fiber, i.e. a panic like an out-of-memory. Never part of a board
// image.
import { startBoard } from "../../../boards/sim/board"
import { runFirmware } from "../../../devs/firmware"
import { MqttClientCore } from "../../../src/mqtt/client/client-core"
import { DeviceApp } from "../../../src/firmware/app"
import { ONLINE_PREFIX } from "../../../src/firmware/status"

async function crash(): Promise<void> {
    throw new Error("test crash")
}

await runFirmware(await startBoard(), async (client: MqttClientCore, app: DeviceApp) => {
    // the live copy of the board's own online status (the test's cue too), then the crash
    client.subscribeNoWait(app.topics.status, { qos: 0 })
    client.on("message", (topic: string, payload: Buffer) => {
        if (topic === app.topics.status && payload.toString().startsWith(ONLINE_PREFIX)) crash.start()
    })
})
