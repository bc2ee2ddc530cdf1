// Benchmark firmware: runs the phases named in BENCH_PHASES one after the other (one socket at a
// time), against the broker in MQTT_HOST/MQTT_PORT. Started by bench/run.ts; see docs/simulator.md.
import * as ds from "@devicescript/core"
import { readSetting } from "@devicescript/settings"
import { BenchConfig } from "./common"
import { benchStock } from "./stock"
import { benchRaw } from "./raw"
import { benchOurs } from "./ours"
import { benchProfile, benchProfilePieces, benchProfileStream } from "./profile"

const payload = Buffer.alloc(16)
for (let i = 0; i < payload.length; i++) payload[i] = 0x61 + i
const cfg: BenchConfig = {
    host: await readSetting<string>("MQTT_HOST", "127.0.0.1"),
    port: await readSetting<number>("MQTT_PORT", 1883),
    n0: await readSetting<number>("BENCH_N0", 5000),
    n1: await readSetting<number>("BENCH_N1", 2000),
    n1Stock: await readSetting<number>("BENCH_N1S", 300),
    window: await readSetting<number>("BENCH_WINDOW", 16),
    rtt: await readSetting<number>("BENCH_RTT", 200),
    yieldEvery: await readSetting<number>("BENCH_YIELD", 20),
    payload,
}
const phases = (await readSetting<string>("BENCH_PHASES", "stock,ours,raw")).split(",")
await ds.sleep(500)
for (const p of phases) {
    console.log("BENCH phase " + p)
    if (p === "stock") await benchStock(cfg)
    else if (p === "ours") await benchOurs(cfg)
    else if (p === "raw") await benchRaw(cfg)
    else if (p === "profile") await benchProfile(cfg)
    else if (p === "pstream") await benchProfileStream(cfg)
    else if (p === "pieces") await benchProfilePieces(cfg)
    await ds.sleep(500)
}
console.log("BENCH done")
