// The test PKI and Mosquitto's TLS listener, checked with independent clients (npm mqtt, mosquitto_sub):
// the right CA connects, an unrelated CA and a certificate for another host name are rejected.
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { execFile } from "node:child_process"
import mqtt from "mqtt"
import { type Mosquitto } from "../../helpers/mosquitto"
import { startTlsMosquitto, type TestPki } from "../../helpers/tls-ca"

function tryConnect(url: string, ca: string): Promise<string> {
    return new Promise((resolve) => {
        const c = mqtt.connect(url, { ca, reconnectPeriod: 0, connectTimeout: 5000, protocolVersion: 4 })
        c.once("connect", () => c.end(true, () => resolve("connected")))
        c.once("error", (e: Error) => void c.end(true, () => resolve((e as NodeJS.ErrnoException).code ?? e.message)))
    })
}

describe("test PKI + Mosquitto TLS listener", () => {
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

    test("the right CA connects, by IP and by name", async () => {
        expect(await tryConnect(`mqtts://127.0.0.1:${tlsPort}`, pki.caPem())).toBe("connected")
        expect(await tryConnect(`mqtts://localhost:${tlsPort}`, pki.caPem())).toBe("connected")
    })

    // Mosquitto sends the CA along with its certificate, so Node reports the untrusted root in the chain.
    test("an unrelated CA is rejected", async () => {
        expect(await tryConnect(`mqtts://127.0.0.1:${tlsPort}`, pki.otherCaPem())).toBe("SELF_SIGNED_CERT_IN_CHAIN")
    })

    test("a certificate for another host name is rejected", async () => {
        expect(await tryConnect(`mqtts://127.0.0.1:${wrongHostPort}`, pki.caPem())).toBe("ERR_TLS_CERT_ALTNAME_INVALID")
    })

    test("mosquitto_pub agrees (independent TLS stack)", async () => {
        const run = (port: number, cafile: string) =>
            new Promise<number>((resolve) => {
                const args = ["-h", "127.0.0.1", "-p", String(port), "--cafile", cafile, "-t", "tls/check", "-m", "x"]
                execFile("mosquitto_pub", args, (err) => resolve(err ? ((err as { code?: number }).code ?? 1) : 0))
            })
        expect(await run(tlsPort, pki.caCert)).toBe(0)
        expect(await run(tlsPort, pki.otherCaCert)).not.toBe(0)
        expect(await run(wrongHostPort, pki.caCert)).not.toBe(0)
    })
})
