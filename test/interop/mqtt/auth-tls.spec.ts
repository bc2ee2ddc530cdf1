// Username/password (with an ACL that refuses a subscription) and TLS with a test CA, against Mosquitto.
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { execFileSync } from "node:child_process"
import { AddressInfo, createServer } from "node:net"
import { Aedes } from "aedes"
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { connectNode, connectNodeAsync } from "../../../src/host/mqtt"
import { clientErrorCode } from "../../../src/mqtt/session/session-errors"
import { Mosquitto, startMosquitto } from "../../helpers/mosquitto"
import { startTlsMosquitto, type TestPki } from "../../helpers/tls-ca"
import { until } from "./proxy"

function scratchDir(): string {
    const dir = mkdtempSync(join(tmpdir(), "devs-link-mqtt-auth-"))
    chmodSync(dir, 0o755) // mosquitto drops to its own user and must read these files
    return dir
}

describe("username/password (3.1.3.4, 3.1.3.5) and ACL", () => {
    let broker: Mosquitto
    beforeAll(async () => {
        const dir = scratchDir()
        const pw = join(dir, "passwd")
        execFileSync("mosquitto_passwd", ["-b", "-c", pw, "board", "s3cret"])
        const acl = join(dir, "acl")
        writeFileSync(acl, "user board\ntopic readwrite dev/#\n")
        chmodSync(pw, 0o644)
        chmodSync(acl, 0o644)
        broker = await startMosquitto({ persistence: false, extraConfig: `allow_anonymous false\npassword_file ${pw}\nacl_file ${acl}` })
    })
    afterAll(async () => {
        await broker?.stop()
    })

    test("the right password connects and round-trips a QoS 1 message", async () => {
        const c = await connectNodeAsync({ url: broker.url, username: "board", password: "s3cret", clientId: "auth-ok" })
        const got: string[] = []
        await c.subscribe("dev/echo", { qos: 1, onMessage: (_t, p) => got.push(p.toString()) })
        await c.publish("dev/echo", "hello", { qos: 1 })
        await until(() => got.length >= 1, 3000)
        expect(got).toEqual(["hello"])
        c.end()
    })

    test("credentials in the url work too", async () => {
        const c = await connectNodeAsync({ url: `mqtt://board:s3cret@127.0.0.1:${broker.port}`, clientId: "auth-url" })
        expect(c.isConnected()).toBe(true)
        c.end()
    })

    test("a wrong password is refused with CONNACK 5 (Mosquitto answers 'not authorized'), mapped to CONNECTION_REFUSED", async () => {
        let err: any
        try {
            await connectNodeAsync({ url: broker.url, username: "board", password: "wrong", clientId: "auth-bad" })
        } catch (e) {
            err = e
        }
        expect(clientErrorCode(err)).toBe("CONNECTION_REFUSED")
        expect(err.returnCode).toBe(5)
        expect(err.message).toContain("not authorized")
    })

    test("Mosquitto 2.0 grants ACL-denied subscriptions (SUBACK 0), so refusal is tested against aedes below", async () => {
        const c = await connectNodeAsync({ url: broker.url, username: "board", password: "s3cret", clientId: "auth-acl" })
        expect(await c.subscribe(["dev/ok", "secret/x"], { qos: 1 })).toEqual([1, 1])
        c.end()
    })
})

describe("SUBACK failure (3.9.3, 0x80) from a broker that refuses a filter (aedes in-process)", () => {
    test("subscribe rejects with SUBSCRIBE_FAILED naming the refused filter; the granted one works", async () => {
        const broker = await Aedes.createBroker({
            // a null subscription is aedes' way to answer 0x80 for that filter
            authorizeSubscribe: (_client, sub, cb) => cb(null, sub.topic.startsWith("secret/") ? (null as any) : sub),
        })
        const server = createServer(broker.handle as any)
        await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()))
        const port = (server.address() as AddressInfo).port
        try {
            const c = await connectNodeAsync({ host: "127.0.0.1", port, clientId: "aedes-acl" })
            let err: any
            try {
                await c.subscribe(["dev/ok", "secret/x"], { qos: 1 })
            } catch (e) {
                err = e
            }
            expect(clientErrorCode(err)).toBe("SUBSCRIBE_FAILED")
            expect(err.message).toContain("secret/x")
            expect(err.message).not.toContain("dev/ok")
            const got: string[] = []
            c.on("message", (t: string) => got.push(t))
            await c.publish("dev/ok", "1", { qos: 1 })
            await until(() => got.length >= 1, 3000)
            expect(got).toEqual(["dev/ok"])
            c.end()
        } finally {
            await new Promise<void>((r) => broker.close(() => r()))
            server.close()
        }
    })
})

describe("TLS (proto tls / mqtts://) with a test CA", () => {
    let broker: Mosquitto
    let tlsPort: number
    let ca: string
    let otherCa: string
    beforeAll(async () => {
        let pki: TestPki
        ;({ pki, broker, tlsPort } = await startTlsMosquitto())
        ca = pki.caPem()
        otherCa = pki.otherCaPem()
    }, 60000)
    afterAll(async () => {
        await broker?.stop()
    })

    test("mqtts:// verifies the broker against the test CA and round-trips QoS 0/1/2", async () => {
        const c = await connectNodeAsync({ url: `mqtts://localhost:${tlsPort}`, tls: { ca }, clientId: "tls-ok" })
        const got: string[] = []
        await c.subscribe("tls/#", { qos: 2, onMessage: (t, p) => got.push(t + "=" + p.toString()) })
        for (const qos of [0, 1, 2] as const) await c.publish("tls/" + qos, "x" + qos, { qos })
        await until(() => got.length >= 3, 3000)
        expect(got.sort()).toEqual(["tls/0=x0", "tls/1=x1", "tls/2=x2"])
        c.end()
    })

    test("proto: 'tls' with host 127.0.0.1 (certificate has the IP in its SAN)", async () => {
        const c = await connectNodeAsync({ host: "127.0.0.1", port: tlsPort, proto: "tls", tls: { ca }, clientId: "tls-ip" })
        expect(c.isConnected()).toBe(true)
        c.end()
    })

    test("a broker certificate from another CA is rejected before any MQTT byte", async () => {
        const c = connectNode({ url: `mqtts://localhost:${tlsPort}`, tls: { ca: otherCa }, clientId: "tls-bad", reconnectPeriod: 0 })
        let err: any
        try {
            await c.whenConnected()
        } catch (e) {
            err = e
        }
        c.end()
        expect(err).toBeDefined()
        expect(String(err.message)).toMatch(/certificate/i)
        expect(c.stats().connects).toBe(0)
    })
})
