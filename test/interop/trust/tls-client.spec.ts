// This project's MQTT client (src/host/mqtt.ts) over TLS to Mosquitto with the test PKI:
// the right CA connects and carries messages; an unrelated CA and a certificate for another host
// name fail the connection with an error that says why.
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { connectNodeAsync } from "../../../src/host/mqtt"
import { type Mosquitto } from "../../helpers/mosquitto"
import { startTlsMosquitto, type TestPki } from "../../helpers/tls-ca"
import { until } from "../../helpers/wait"

async function failure(url: string, ca: string): Promise<string> {
    try {
        const c = await connectNodeAsync({ url, tls: { ca }, reconnectPeriod: 0, connectTimeout: 5000 })
        c.end()
        return "connected"
    } catch (e) {
        console.log(`[tls] ${url}: ${(e as Error).message}`)
        return (e as Error).message
    }
}

describe("MQTT client over TLS (mqtts://) against Mosquitto", () => {
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

    test("trusting the test CA: connects (by IP and by name), QoS 1 and 2 round trip over TLS", async () => {
        for (const host of ["127.0.0.1", "localhost"]) {
            const c = await connectNodeAsync({ url: `mqtts://${host}:${tlsPort}`, tls: { ca: pki.caPem() }, reconnectPeriod: 0 })
            const got: string[] = []
            c.on("message", (_t: string, p: Buffer) => got.push(p.toString()))
            await c.subscribe("tls/echo", { qos: 2 })
            await c.publish("tls/echo", "over-tls-1", { qos: 1 })
            await c.publish("tls/echo", "over-tls-2", { qos: 2 })
            await until(() => got.length >= 2, 5000, "both echoes over TLS")
            expect(got).toEqual(["over-tls-1", "over-tls-2"])
            c.end()
        }
    })

    test("trusting an unrelated CA: refused, and the error names the certificate problem", async () => {
        expect(await failure(`mqtts://127.0.0.1:${tlsPort}`, pki.otherCaPem())).toMatch(/self[- ]signed certificate in certificate chain/)
    })

    test("certificate issued for another host name: refused, and the error names the host name mismatch", async () => {
        expect(await failure(`mqtts://127.0.0.1:${wrongHostPort}`, pki.caPem())).toMatch(
            /Hostname\/IP does not match certificate's altnames/
        )
        expect(await failure(`mqtts://localhost:${wrongHostPort}`, pki.caPem())).toMatch(
            /Hostname\/IP does not match certificate's altnames/
        )
    })

    test("plain MQTT to the TLS port fails instead of hanging", async () => {
        const t0 = Date.now()
        const msg = await failure(`mqtt://127.0.0.1:${tlsPort}`, pki.caPem())
        expect(msg).not.toBe("connected")
        expect(Date.now() - t0).toBeLessThan(6000)
    })
})
