// Node-side numbers for the portable client against a local Mosquitto (not a test):
//   npx tsx bench/mqtt-client-node.mts
// Publish throughput per QoS (pipelined through the default window of 16, completion = handshake
// done), delivery to a subscriber of the same client, and publish->echo round trip.
import { connectNodeAsync, MqttClient } from "../src/host/mqtt"
import { startMosquitto } from "../test/helpers/mosquitto"

async function throughput(tx: MqttClient, rx: MqttClient, qos: 0 | 1 | 2, n: number): Promise<string> {
    const topic = `bench/${qos}/${Date.now()}`
    let got = 0
    let lastAt = 0
    await rx.subscribe(topic, {
        qos,
        onMessage: () => {
            got++
            lastAt = performance.now()
        },
    })
    const payload = Buffer.alloc(32, 0x61)
    const t0 = performance.now()
    let sent = 0
    let done = 0
    // keep the outbox fed without overflowing it
    await new Promise<void>((resolve) => {
        const pump = () => {
            while (sent < n && tx.stats().queued < 32) {
                sent++
                tx.publishNoWait(topic, payload, { qos }, () => {
                    done++
                    if (done === n) resolve()
                    else if (sent < n) setImmediate(pump)
                })
            }
        }
        pump()
    })
    const t1 = performance.now()
    while (got < n && performance.now() - t1 < 5000) await new Promise((r) => setTimeout(r, 5))
    await rx.unsubscribe(topic)
    const pubRate = Math.round(n / ((t1 - t0) / 1000))
    const rxRate = Math.round(got / ((lastAt - t0) / 1000))
    return `QoS ${qos}: publish ${pubRate} msg/s, delivered ${got}/${n} at ${rxRate} msg/s`
}

async function roundTrip(tx: MqttClient, rx: MqttClient, n: number): Promise<string> {
    const topic = `bench/rt/${Date.now()}`
    let resolveOne: (() => void) | undefined
    await rx.subscribe(topic, { qos: 0, onMessage: () => resolveOne?.() })
    const times: number[] = []
    for (let i = 0; i < n; i++) {
        const t0 = performance.now()
        await new Promise<void>((r) => {
            resolveOne = r
            tx.publishNoWait(topic, "x", { qos: 0 })
        })
        times.push(performance.now() - t0)
    }
    times.sort((a, b) => a - b)
    const p = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))].toFixed(3)
    return `round trip QoS 0 publish -> delivery (${n}): median ${p(0.5)} ms, p95 ${p(0.95)} ms`
}

const broker = await startMosquitto({ persistence: false })
try {
    const tx = await connectNodeAsync({ url: broker.url, clientId: "bench-tx" })
    const rx = await connectNodeAsync({ url: broker.url, clientId: "bench-rx" })
    for (const qos of [0, 1, 2] as const) console.log(await throughput(tx, rx, qos, qos === 0 ? 50000 : 20000))
    console.log(await roundTrip(tx, rx, 2000))
    tx.end()
    rx.end()
} finally {
    await broker.stop()
}
