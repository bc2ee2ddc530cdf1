// Soak in the DeviceScript simulator (64 KB heap, GC stress on): test/sim/trust/soak.ts receives
// SOAK_N QoS 1 messages from an npm `mqtt` peer through Mosquitto and publishes SOAK_N of its own.
// It runs only when SOAK_N is set: `SOAK_N=20000 npx vitest run test/interop/trust/soak-simulator.spec.ts`
// (npm run soak), or SOAK_N=2000 for a bounded run (about 25 s). Passes only if every message
// arrives (at least once, QoS 1) both ways and the VM never panics (an out-of-memory is a panic).
// The peer is paced (SOAK_PEER_RATE, default 100/s): unpaced (SOAK_PEER_RATE=100000) the VM still
// panics with InfiniteLoop (60001) in session.onData (devs/net-stream.ts as of merge 59bfb49),
// because the simulator's recv() hands over everything buffered and the reader decodes it all in
// one VM turn. Paced, 2,000 and 20,000 each way pass.
import { afterAll, beforeAll, expect, test } from "vitest"
import mqtt from "mqtt"
import { startMosquitto, type Mosquitto } from "../../helpers/mosquitto"
import { startTestEntry } from "../../helpers/simulator"

const N = Number(process.env["SOAK_N"] ?? 0)
// QoS 1 messages the peer keeps in flight towards the board, and its publish rate. The simulator
// in test mode (GC stress) handles about 120 messages/s each way; a peer publishing faster fills
// the broker's queue for the board, the simulator's socket then hands the VM one huge chunk, and
// the VM panics "RangeError: buffer too big" (seen at N=20000 unpaced: largest chunk 8,772 B, then the panic).
const PEER_WINDOW = Number(process.env["SOAK_PEER_WINDOW"] ?? 64)
const PEER_RATE = Number(process.env["SOAK_PEER_RATE"] ?? 100)

let broker: Mosquitto
beforeAll(async () => {
    if (N > 0) broker = await startMosquitto({ persistence: false })
})
afterAll(async () => {
    await broker?.stop()
})

test.runIf(N > 0)(
    `soak: ${N} QoS 1 messages into the simulated board and ${N} out`,
    async () => {
        const peer = await mqtt.connectAsync(broker.url, { protocolVersion: 4, clientId: "soak-peer", reconnectPeriod: 0 })
        const seen = new Map<number, number>()
        peer.on("message", (_t, p) => {
            const s = Number(p.toString())
            seen.set(s, (seen.get(s) ?? 0) + 1)
        })
        await peer.subscribeAsync("soak/sim/up", { qos: 1 })
        const run = startTestEntry("test/sim/trust/soak.ts", { env: { SOAK_N: N, SOAK_PORT: broker.port }, timeoutMs: 1_500_000 })
        try {
            await run.log.waitFor(/^soak-ready/, 60_000)
            const t0 = Date.now()
            // Publish with a bounded number in flight (mqtt.js would otherwise queue all N at once).
            let inflight = 0
            for (let i = 0; i < N; i++) {
                while (inflight >= PEER_WINDOW || i > ((Date.now() - t0) * PEER_RATE) / 1000) await new Promise((r) => setTimeout(r, 1))
                inflight++
                peer.publish("soak/sim/down", String(i), { qos: 1 }, () => inflight--)
            }
            const done = await run.log.waitFor(
                /^soak-done: in=(\d+) dup=(\d+) bad=(\d+) out=(\d+) failed=(\d+) reconnects=(\d+)/,
                1_400_000
            )
            const secs = (Date.now() - t0) / 1000
            const [, inN, dup, bad, out, failed, reconnects] = done.map(Number)
            let missingUp = 0
            let dupUp = 0
            for (let i = 0; i < N; i++) {
                const k = seen.get(i) ?? 0
                if (k === 0) missingUp++
                else dupUp += k - 1
            }
            const progress = run.log.vm.filter((l) => l.startsWith("soak-progress")).length
            console.log(
                `[soak] N=${N} in ${secs.toFixed(1)} s (${((2 * N) / secs).toFixed(0)} msg/s both ways): ` +
                    `board received ${inN}/${N} (dup ${dup}, bad ${bad}); board published ${out} acked, ${failed} failed; ` +
                    `peer received ${N - missingUp}/${N} (dup ${dupUp}); reconnects ${reconnects}; progress lines ${progress}; panic ${run.log.panicCode() ?? "none"}`
            )
            expect(run.log.panicCode()).toBe(undefined)
            expect(inN).toBe(N)
            expect(bad).toBe(0)
            expect(out).toBe(N)
            expect(failed).toBe(0)
            expect(missingUp).toBe(0)
            expect(await run.done).toBe(0)
        } finally {
            await run.stop()
            await peer.endAsync(true)
        }
    },
    1_500_000
)
