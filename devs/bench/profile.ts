// Where a QoS 0 publish spends its time on the VM (bench/run.ts --phases profile; not a test):
// the codec alone, then the whole client over a stream that drops the bytes, then over the socket.
import * as ds from "@devicescript/core"
import { encodePublish } from "../../src/mqtt/encode"
import { connect, PublishOptions } from "../../src/mqtt/client"
import { Stream, StreamConnector, StreamEvents, StreamTarget } from "../../src/io"
import { dsClock } from "../clock"
import { dsRandom } from "../random"
import { dsCompletions } from "../completion"
import { BenchConfig } from "./common"

class NullStream implements Stream {
    written = 0
    write(data: Buffer): void {
        this.written++
    }
    close(): void {}
}

/** Answers CONNECT with CONNACK and drops everything else. */
class NullConnector implements StreamConnector {
    last: NullStream = undefined
    open(target: StreamTarget, events: StreamEvents): Stream {
        const s = new NullStream()
        this.last = s
        const open = async () => {
            await ds.sleep(1)
            events.onOpen()
            await ds.sleep(1)
            events.onData(Buffer.from([0x20, 2, 0, 0]))
        }
        open.start()
        return s
    }
}

export async function benchProfile(cfg: BenchConfig): Promise<void> {
    const n = cfg.n0
    let t0 = ds.millis()
    for (let i = 0; i < n; i++) {
        encodePublish("bench/ours/qos0", cfg.payload, 0, false, false, 0)
        if (i % cfg.yieldEvery === cfg.yieldEvery - 1) await ds.sleep(0)
    }
    console.log("BENCH profile encodePublish n=" + n + " ms=" + (ds.millis() - t0))

    t0 = ds.millis()
    for (let i = 0; i < n; i++) {
        const b = Buffer.alloc(33)
        b.set(cfg.payload, 17)
        if (i % cfg.yieldEvery === cfg.yieldEvery - 1) await ds.sleep(0)
    }
    console.log("BENCH profile alloc+set n=" + n + " ms=" + (ds.millis() - t0))

    const nc = new NullConnector()
    const client = connect({ host: "x", port: 1, clientId: "profile" }, { connector: nc, clock: dsClock, random: dsRandom, completions: dsCompletions })
    await client.whenConnected()
    const opts: PublishOptions = { qos: 0 }
    t0 = ds.millis()
    for (let i = 0; i < n; i++) {
        client.publishNoWait("bench/ours/qos0", cfg.payload, opts)
        if (i % cfg.yieldEvery === cfg.yieldEvery - 1) await ds.sleep(0)
    }
    console.log("BENCH profile client-null-stream n=" + n + " ms=" + (ds.millis() - t0) + " written=" + nc.last.written)
    client.end()
}
