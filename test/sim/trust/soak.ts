// DeviceScript soak entry (run by test/interop/trust/soak-simulator.spec.ts, `devs run --test -k`):
// this project's MQTT client on the board adapters receives SOAK_N QoS 1 messages from the host
// and publishes SOAK_N QoS 1 messages of its own, pipelined (up to 32 outstanding), inside the
// simulator's 64 KB heap with GC stress on. It keeps one bit per expected message, so it can report
// missing and duplicate deliveries without growing memory. Lines for the host:
//   soak-ready                      subscribed; the host may start publishing
//   soak-progress: out=N in=N       every 2000 messages out
//   soak-done: in=N dup=N out=N failed=N reconnects=N
import { describe, test } from "@devicescript/test"
import { Completion } from "../../../src/io"
import { connect } from "../../../src/mqtt/client/client"
import { dsClock } from "../../../devs/clock"
import { dsRandom } from "../../../devs/random"
import { dsCompletions } from "../../../devs/completion"
import { dsNetConnector } from "../../../devs/net-stream"
import { simEnv } from "../../../devs/sim-env"

const WINDOW = 32

/** Sleeps without ds.sleep (a DS-only global Node's tsc does not know) and outside any loop (DS closures must not capture loop variables). */
async function pause(ms: number): Promise<void> {
    const c = dsCompletions.create<void>()
    setTimeout(() => c.resolve(undefined), ms)
    await c.wait()
}

describe("soak", () => {
    test("N QoS 1 messages in and N out", async () => {
        const n = simEnv["SOAK_N"] as number
        const c = connect(
            {
                host: "127.0.0.1",
                port: simEnv["SOAK_PORT"] as number,
                proto: "tcp",
                clientId: "sim-soak",
                keepalive: 30,
                reconnectPeriod: 500,
            },
            { connector: dsNetConnector, clock: dsClock, random: dsRandom, completions: dsCompletions }
        )
        await c.whenConnected()
        const seen = Buffer.alloc((n >> 3) + 1)
        let received = 0
        let dup = 0
        let bad = 0
        c.on("message", (topic: string, payload: Buffer) => {
            const s = parseInt(payload.toString())
            if (!(s >= 0 && s < n)) {
                bad++
                return
            }
            const byte = s >> 3
            const bit = 1 << (s & 7)
            if ((seen[byte] & bit) !== 0) dup++
            else {
                seen[byte] = seen[byte] | bit
                received++
            }
        })
        await c.subscribe("soak/sim/down", { qos: 1 })
        console.log("soak-ready")

        let outstanding = 0
        let acked = 0
        let failed = 0
        let gate: Completion<void> = undefined
        const onDone = (err: Error) => {
            outstanding--
            if (err) failed++
            else acked++
            const g = gate
            gate = undefined
            if (g) g.resolve(undefined)
        }
        for (let i = 0; i < n; i++) {
            while (outstanding >= WINDOW) {
                gate = dsCompletions.create<void>()
                await gate.wait()
            }
            outstanding++
            c.publishNoWait("soak/sim/up", "" + i, { qos: 1 }, onDone)
            if (i % 2000 === 1999) console.log("soak-progress: out=" + (i + 1) + " in=" + received)
        }
        while (outstanding > 0) {
            gate = dsCompletions.create<void>()
            await gate.wait()
        }
        // The host may still be publishing (it is paced): wait while messages keep coming,
        // give up after 30 s without a new one.
        let last = received
        let idleMs = 0
        while (received < n && idleMs < 30000) {
            await pause(1000)
            if (received === last) idleMs += 1000
            else {
                last = received
                idleMs = 0
            }
        }
        const st = c.stats()
        console.log(
            "soak-done: in=" +
                received +
                " dup=" +
                dup +
                " bad=" +
                bad +
                " out=" +
                acked +
                " failed=" +
                failed +
                " reconnects=" +
                st.reconnects
        )
        c.end()
    })
})
