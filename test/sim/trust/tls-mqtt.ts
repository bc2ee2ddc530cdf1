// DeviceScript entry (run by test/interop/trust/tls-simulator.spec.ts with `devs run --test -k`, not
// by vitest): this project's MQTT client on the board adapters, over TLS (`proto: "tls"`) to the
// Mosquitto the host test started. The host decides which CA the simulator trusts through
// NODE_EXTRA_CA_CERTS and asserts on the lines printed here ("tls-result: ...", "tls-echo: ...").
import { describe, test } from "@devicescript/test"
import { connect } from "../../../src/mqtt/client/client"
import { dsClock } from "../../../devs/clock"
import { dsRandom } from "../../../devs/random"
import { dsCompletions } from "../../../devs/completion"
import { dsNetConnector } from "../../../devs/net-stream"
import { simEnv } from "../../../devs/sim-env"

describe("mqtt over tls", () => {
    test("connect, subscribe, publish QoS 1, receive the echo", async () => {
        const host = simEnv["TLS_HOST"] as string
        const port = simEnv["TLS_PORT"] as number
        const c = connect(
            { host, port, proto: "tls", clientId: "sim-tls", keepalive: 10, reconnectPeriod: 0, connectTimeout: 10000 },
            { connector: dsNetConnector, clock: dsClock, random: dsRandom, completions: dsCompletions }
        )
        let err = ""
        try {
            await c.whenConnected()
        } catch (e) {
            err = (e as Error).message
        }
        if (err !== "") {
            console.log("tls-result: failed " + err)
            c.end()
            return
        }
        console.log("tls-result: connected")
        // A completion rather than ds.sleep polling keeps this file free of DS-only globals (Node's tsc checks test/).
        const got = dsCompletions.create<string>()
        c.on("message", (topic: string, payload: Buffer) => {
            got.resolve(payload.toString())
        })
        setTimeout(() => got.resolve("(nothing within 5 s)"), 5000)
        await c.subscribe("sim/tls/echo", { qos: 1 })
        await c.publish("sim/tls/echo", "hello over tls", { qos: 1 })
        console.log("tls-echo: " + (await got.wait()))
        c.end()
    })
})
