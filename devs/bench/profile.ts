// Where a QoS 0 publish spends its time on the VM (not a test; bench/run.ts prints the lines):
//   --phases profile: the codec alone, a bare alloc+set, the whole client over a stream that drops the bytes;
//   --phases pstream: pre-encoded frames through the socket adapter (DsNetStream), to set beside raw;
//   --phases pieces:  the adapter's pieces on their own (yield, fiber start, queue + join).
import * as ds from "@devicescript/core"
import { encodePublish } from "../../src/mqtt/codec/encode"
import { connect, PublishOptions } from "../../src/mqtt/client/client"
import { Stream, StreamConnector, StreamEvents, StreamTarget } from "../../src/io"
import { dsClock } from "../clock"
import { dsRandom } from "../random"
import { dsCompletions } from "../completion"
import { BenchConfig } from "./common"
import { dsNetConnector } from "../net-stream"

class NullStream implements Stream {
    written = 0
    write(data: Buffer | string): void {
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
    const client = connect(
        { host: "x", port: 1, clientId: "profile" },
        { connector: nc, clock: dsClock, random: dsRandom, completions: dsCompletions }
    )
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

/** The socket adapter alone: a hand-made CONNECT, then pre-encoded QoS 0 PUBLISH frames through DsNetStream.write(). */
export async function benchProfileStream(cfg: BenchConfig): Promise<void> {
    let opened = false
    const s = dsNetConnector.open(
        { host: cfg.host, port: cfg.port, tls: false },
        {
            onOpen: () => {
                opened = true
            },
            onData: (b: Buffer) => {},
            onClose: (r: string) => {},
        }
    )
    while (!opened) await ds.sleep(1)
    s.write(Buffer.from("101500044d5154540402003c000962656e63682d726177", "hex"))
    await ds.sleep(50)
    const pub = encodePublish("bench/raw/qos0", cfg.payload, 0, false, false, 0)
    const t0 = ds.millis()
    for (let i = 0; i < cfg.n0; i++) {
        s.write(pub)
        if (i % cfg.yieldEvery === cfg.yieldEvery - 1) await ds.sleep(0)
    }
    // until the writer has sent the last of them (write() only queues)
    while ((s as any).queue.length > 0) await ds.sleep(1)
    console.log("BENCH profile stream-writes n=" + cfg.n0 + " ms=" + (ds.millis() - t0))
    s.close()
}

async function noop(): Promise<void> {}

/** Pieces of the adapter's write path, each on its own. */
export async function benchProfilePieces(cfg: BenchConfig): Promise<void> {
    const n = cfg.n0
    const pub = encodePublish("bench/raw/qos0", cfg.payload, 0, false, false, 0)
    let t0 = ds.millis()
    for (let i = 0; i < n; i++) {
        if (i % cfg.yieldEvery === cfg.yieldEvery - 1) await ds.sleep(0)
    }
    console.log("BENCH profile loop+yield n=" + n + " ms=" + (ds.millis() - t0))
    t0 = ds.millis()
    for (let i = 0; i < n; i++) {
        if (i % cfg.yieldEvery === cfg.yieldEvery - 1) {
            noop.start()
            await ds.sleep(0)
        }
    }
    console.log("BENCH profile loop+yield+fiber n=" + n + " ms=" + (ds.millis() - t0))
    let q: Buffer[] = []
    t0 = ds.millis()
    for (let i = 0; i < n; i++) {
        q.push(pub)
        if (i % cfg.yieldEvery === cfg.yieldEvery - 1) {
            let bytes = 0
            for (const b of q) bytes += b.length
            const out = Buffer.alloc(bytes)
            let off = 0
            for (const b of q) {
                out.set(b, off)
                off += b.length
            }
            q = []
            await ds.sleep(0)
        }
    }
    console.log("BENCH profile push+join n=" + n + " ms=" + (ds.millis() - t0))
    t0 = ds.millis()
    for (let i = 0; i < n; i++) {
        q.push(pub)
        if (i % cfg.yieldEvery === cfg.yieldEvery - 1) {
            // eslint-disable-next-line @typescript-eslint/no-unused-vars -- the concatenation is the work measured
            const out = Buffer.concat(...q)
            q = []
            await ds.sleep(0)
        }
    }
    console.log("BENCH profile push+concat n=" + n + " ms=" + (ds.millis() - t0))
}
