// Codec cost inside the DeviceScript VM (simulator):
//   npx devs run --test -k -T 120000 test/devs/mqtt-codec-bench.ts
// ds.millis() only advances across an await, so work runs in batches separated by sleep(0);
// an empty-batch baseline is subtracted.
import * as ds from "@devicescript/core"
import { encodePublish } from "../../src/mqtt/codec/encode"
import { FrameAssembler } from "../../src/mqtt/codec/frames"
import { topicMatchesFilter } from "../../src/mqtt/codec/topics"

const BATCH = 100
const BATCHES = 20

async function timeBatches(work: () => void): Promise<number> {
    const t0 = ds.millis()
    for (let b = 0; b < BATCHES; b++) {
        work()
        await ds.sleep(0)
    }
    return ds.millis() - t0
}

const payload = Buffer.alloc(20)
const frame = encodePublish("devs/sensor/temp", payload, 1, false, false, 7)
const many = Buffer.alloc(frame.length * BATCH)
for (let i = 0; i < BATCH; i++) many.set(frame, i * frame.length)

function report(name: string, ms: number, base: number) {
    const per = ((ms - base) * 1000) / (BATCH * BATCHES)
    console.log(name + ": " + Math.round(per) + " us/op (" + ms + " ms total, baseline " + base + " ms)")
}

async function main() {
    console.log("mqtt codec bench: " + BATCH * BATCHES + " ops per case")
    const base = await timeBatches(() => {})
    report(
        "encodePublish (16-char topic, 20 B, QoS 1)",
        await timeBatches(() => {
            for (let i = 0; i < BATCH; i++) encodePublish("devs/sensor/temp", payload, 1, false, false, 7)
        }),
        base
    )
    report(
        "FrameAssembler.next, 100 PUBLISH in one chunk",
        await timeBatches(() => {
            const a = new FrameAssembler(4096)
            a.push(many)
            for (let i = 0; i < BATCH; i++) a.next()
        }),
        base
    )
    report(
        "topicMatchesFilter devs/sensor/temp vs devs/+/temp",
        await timeBatches(() => {
            for (let i = 0; i < BATCH; i++) topicMatchesFilter("devs/sensor/temp", "devs/+/temp")
        }),
        base
    )
    ds.restart()
}
main.start()
