// TLS from the DeviceScript simulator: the firmware's MQTT client on the board adapters connects to
// Mosquitto's TLS listener. The simulator verifies certificates with Node's TLS (system roots plus
// NODE_EXTRA_CA_CERTS, checked in the simulator), so the test CA is handed to the VM process through that variable.
// Trusting the test CA connects and carries a QoS 1 echo; an unrelated CA or a certificate for
// another host name fails with an error that names the cause, and the VM does not panic.
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { type Mosquitto } from "../../helpers/mosquitto"
import { runTestEntry } from "../../helpers/simulator"
import { startTlsMosquitto, type TestPki } from "../../helpers/tls-ca"

const ENTRY = "test/sim/trust/tls-mqtt.ts"

async function runWithCa(
    caFile: string,
    host: string,
    port: number
): Promise<{ result: string; echo: string; panic: number | undefined; code: number | null; text: string }> {
    // runTestEntry spawns the VM with process.env: NODE_EXTRA_CA_CERTS is read by that new Node process.
    const saved = process.env["NODE_EXTRA_CA_CERTS"]
    process.env["NODE_EXTRA_CA_CERTS"] = caFile
    try {
        const r = await runTestEntry(ENTRY, { env: { TLS_HOST: host, TLS_PORT: port }, timeoutMs: 40_000 })
        const result = r.log.find(/^tls-result: (.*)$/)?.match[1] ?? "(no result line)"
        const echo = r.log.find(/^tls-echo: (.*)$/)?.match[1] ?? ""
        console.log(`[tls-sim] ${host}:${port} trusting ${caFile.split("/").pop()}: ${result}${echo ? ` / echo "${echo}"` : ""}`)
        return { result, echo, panic: r.log.panicCode(), code: r.code, text: r.log.text() }
    } finally {
        if (saved === undefined) delete process.env["NODE_EXTRA_CA_CERTS"]
        else process.env["NODE_EXTRA_CA_CERTS"] = saved
    }
}

describe("MQTT over TLS from the DeviceScript simulator", () => {
    let pki: TestPki
    let broker: Mosquitto
    let tlsPort: number
    let wrongHostPort: number

    beforeAll(async () => {
        ;({ pki, broker, tlsPort, wrongHostPort } = await startTlsMosquitto())
    })
    afterAll(async () => {
        await broker?.stop()
    })

    test("trusting the test CA: connects and gets its QoS 1 message back", async () => {
        const r = await runWithCa(pki.caCert, "localhost", tlsPort)
        if (r.result !== "connected") console.log(r.text)
        expect(r.result).toBe("connected")
        expect(r.echo).toBe("hello over tls")
        expect(r.panic).toBe(undefined)
        expect(r.code).toBe(0)
    }, 60_000)

    test("trusting an unrelated CA: the connection fails and says why", async () => {
        const r = await runWithCa(pki.otherCaCert, "localhost", tlsPort)
        expect(r.result).toMatch(/^failed .*self[- ]signed certificate/)
        expect(r.panic).toBe(undefined)
    }, 60_000)

    test("certificate for another host name: the connection fails and says why", async () => {
        const r = await runWithCa(pki.caCert, "localhost", wrongHostPort)
        expect(r.result).toMatch(/^failed .*(altnames|host ?name)/i)
        expect(r.panic).toBe(undefined)
    }, 60_000)
})
