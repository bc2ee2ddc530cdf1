// This project's client (devs/mqtt.ts) on the board. QoS 1/2 are pipelined the way
// docs/mqtt-client.md says to on the board: publishNoWait per message (the client's in-flight
// window, default 16, bounds what is on the wire), then flush() for the last acknowledgements.
// The producer keeps at most window + 32 messages outstanding so the outbox (64) never refuses one.
import * as ds from "@devicescript/core"
import { connectMqtt } from "../mqtt"
import { DsCompletion } from "../completion"
import { BenchConfig, report, reportError, reportRtt } from "./common"

async function burst(client: any, cfg: BenchConfig, topic: string, qos: number, n: number): Promise<number> {
    let done = 0
    let failed = 0
    let room: DsCompletion<void> = undefined
    const onDone = (err: Error) => {
        done++
        if (err) failed++
        if (room) room.resolve(undefined)
    }
    const opts = { qos: qos }
    const t0 = ds.millis()
    for (let i = 0; i < n; i++) {
        // Suspend (not ds.sleep(0): a fiber that is always runnable keeps the VM from returning to
        // the event loop, so no socket data, and no PUBACK, would ever come in).
        while (qos > 0 && i - done >= cfg.window + 32) {
            room = new DsCompletion<void>()
            await room.wait()
        }
        client.publishNoWait(topic, cfg.payload, opts, onDone)
        if (i % cfg.yieldEvery === cfg.yieldEvery - 1) await ds.sleep(0)
    }
    await client.flush()
    const ms = ds.millis() - t0
    if (failed > 0) console.log("BENCH ours error " + topic + ": " + failed + " publishes failed")
    return ms
}

export async function benchOurs(cfg: BenchConfig): Promise<void> {
    const client = connectMqtt({ host: cfg.host, port: cfg.port, clientId: "bench-ours", keepalive: 60, inflightWindow: cfg.window })
    try {
        await client.whenConnected()
        report("ours", "qos0", cfg.n0, await burst(client, cfg, "bench/ours/qos0", 0, cfg.n0))
        await ds.sleep(200)
        report("ours", "qos1", cfg.n1, await burst(client, cfg, "bench/ours/qos1", 1, cfg.n1))
        await ds.sleep(200)
        report("ours", "qos2", cfg.n1, await burst(client, cfg, "bench/ours/qos2", 2, cfg.n1))
        await ds.sleep(200)

        let echo: DsCompletion<number> = undefined
        await client.subscribe("bench/ours/rtt", {
            qos: 0,
            onMessage: (t: string, p: Buffer) => {
                if (echo) echo.resolve(ds.millis())
            },
        })
        const samples: number[] = []
        const waitEcho = async (): Promise<number> => {
            // A closure must not capture a loop variable in DeviceScript, hence this helper.
            const c = new DsCompletion<number>()
            echo = c
            const timer = setTimeout(() => c.reject(new Error("timeout")), 2000)
            const t0 = ds.millis()
            client.publishNoWait("bench/ours/rtt", cfg.payload, { qos: 0 })
            let rtt = -1
            try {
                rtt = (await c.wait()) - t0
            } catch (e) {
                rtt = -1
            }
            clearTimeout(timer)
            return rtt
        }
        for (let i = 0; i < cfg.rtt; i++) samples.push(await waitEcho())
        reportRtt("ours", samples)
    } catch (e) {
        reportError("ours", "run", e)
    }
    client.end()
    await ds.sleep(100)
}
