// The stock @devicescript/net MQTT client, measured the way an application would use it.
// Its publish() writes header and body in two send() calls and never suspends, so the loop
// must yield now and then (ds.sleep(0)) or the VM's watchdog stops the program. Its QoS 1 does
// not wait for PUBACK, so "QoS 1" here is only how fast it writes QoS 1 packets.
// Its per-message console.debug trace lines are part of its cost and are left on.
import * as ds from "@devicescript/core"
import { startMQTTClient, MQTTMessage } from "@devicescript/net"
import { BenchConfig, report, reportError, reportRtt } from "./common"

async function burst(
    c: any,
    cfg: BenchConfig,
    topic: string,
    qos: number,
    n: number,
    yieldEvery: number,
    pauseMs: number
): Promise<number> {
    const t0 = ds.millis()
    for (let i = 0; i < n; i++) {
        await c.publish(topic, cfg.payload, qos)
        if (i % yieldEvery === yieldEvery - 1) await ds.sleep(pauseMs)
    }
    return ds.millis() - t0
}

export async function benchStock(cfg: BenchConfig): Promise<void> {
    const c = await startMQTTClient({ host: cfg.host, port: cfg.port, proto: "tcp", clientId: "bench-stock" })
    try {
        report("stock", "qos0", cfg.n0, await burst(c, cfg, "bench/stock/qos0", 0, cfg.n0, cfg.yieldEvery, 0))
        await ds.sleep(200)
        // Its reader handles one socket chunk per (coalesced) onmessage event and recurses once per
        // packet in a chunk, so PUBACKs that pile up kill it (OutOfMemory / deep recursion): 300
        // QoS 1 messages with a ds.sleep(0) after each killed it. It gets a shorter burst
        // (BENCH_N1S) with a ds.sleep(1) after each publish, so its reader keeps up.
        report("stock", "qos1", cfg.n1Stock, await burst(c, cfg, "bench/stock/qos1", 1, cfg.n1Stock, 1, 1))
        await ds.sleep(200)

        const echoes = ds.emitter<number>()
        let got = 0
        await c.subscribe("bench/stock/rtt", async (m: MQTTMessage) => {
            got++
            echoes.emit(got)
        })
        // Its subscribe() does not wait for SUBACK: publish until the first echo comes back.
        for (let i = 0; i < 20 && got === 0; i++) {
            await c.publish("bench/stock/rtt", cfg.payload, 0)
            await ds.wait(echoes, 500)
        }
        await ds.sleep(100)
        const samples: number[] = []
        for (let i = 0; i < cfg.rtt; i++) {
            const before = got
            const t0 = ds.millis()
            await c.publish("bench/stock/rtt", cfg.payload, 0)
            while (got === before) {
                const v = await ds.wait(echoes, 2000)
                if (v === undefined) break
            }
            samples.push(got === before ? -1 : ds.millis() - t0)
        }
        reportRtt("stock", samples)
    } catch (e) {
        reportError("stock", "run", e)
    }
    await c.stop()
}
