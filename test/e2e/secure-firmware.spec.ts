// The firmware (devs/main.ts, sim board) in the simulator against a locked-down Mosquitto:
// TLS only (test CA, trusted through NODE_EXTRA_CA_CERTS), no anonymous access, and the device's
// account made by `npm run provision`, confined by the ACL to devices/<id>/# and its discovery topics.
// The gateway account sees the board come online, its discovery documents and telemetry, and gets
// answers to JSON-RPC; nothing the board needs is denied. Then the board is run trusting an unrelated
// CA: it must say why it cannot connect and keep running (no panic).
import { execFileSync } from "node:child_process"
import { chmodSync, mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import mqtt, { type MqttClient } from "mqtt"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { parseEnv } from "../../scripts/lib/broker-auth"
import { startMosquitto, type Mosquitto } from "../helpers/mosquitto"
import { freePort } from "../helpers/ports"
import { startSimulator, type SimRun, type Simulator } from "../helpers/simulator"
import { createTestPki, mosquittoTlsListener, type TestPki } from "../helpers/tls-ca"
import { untilValue } from "../helpers/wait"

const ROOT = join(import.meta.dirname, "..", "..")
const DEVICE = "sim-secure-1"

describe("firmware over TLS with a provisioned, ACL-confined account", () => {
    let pki: TestPki
    let broker: Mosquitto
    let sim: Simulator
    let run: SimRun
    let gateway: MqttClient
    let tlsPort = 0
    let deviceEnv: Record<string, string> = {}
    const seen: { topic: string; payload: string; retain: boolean }[] = []
    const savedCa = process.env["NODE_EXTRA_CA_CERTS"]

    beforeAll(async () => {
        const dir = mkdtempSync(join(tmpdir(), "devs-link-secure-"))
        chmodSync(dir, 0o755)
        execFileSync(join(ROOT, "node_modules", ".bin", "tsx"), [
            join(ROOT, "scripts", "provision.ts"),
            DEVICE,
            "--broker-dir",
            join(dir, "broker"),
            "--env",
            join(dir, "device.env"),
        ])
        deviceEnv = parseEnv(readFileSync(join(dir, "device.env"), "utf8"))
        const gw = parseEnv(readFileSync(join(dir, "broker", "gateway.env"), "utf8"))
        pki = createTestPki()
        tlsPort = await freePort()
        broker = await startMosquitto({
            persistence: false,
            // The plain listener the helper opens is bound to loopback too; the board is only given the TLS one.
            extraConfig: readFileSync(join(dir, "broker", "mosquitto.conf"), "utf8") + "\n" + mosquittoTlsListener(tlsPort, pki),
        })
        gateway = await mqtt.connectAsync(`mqtts://localhost:${tlsPort}`, {
            protocolVersion: 4,
            clientId: "secure-gateway",
            username: gw["MQTT_USER"],
            password: gw["MQTT_PASS"],
            ca: pki.caPem(),
            reconnectPeriod: 0,
        })
        gateway.on("message", (topic, payload, packet) => seen.push({ topic, payload: payload.toString(), retain: packet.retain }))
        await gateway.subscribeAsync(["devices/#", "homeassistant/#"], { qos: 1 })
        // The simulator verifies the broker with Node's TLS: hand it the test CA.
        process.env["NODE_EXTRA_CA_CERTS"] = pki.caCert
        sim = await startSimulator()
        run = await sim.run("devs/main.ts", {
            applyEnvFiles: false,
            settings: {
                MQTT_URL: `mqtts://localhost:${tlsPort}`,
                MQTT_USER: deviceEnv["MQTT_USER"],
                MQTT_PASS: deviceEnv["MQTT_PASS"],
                DEVICE_ID: deviceEnv["DEVICE_ID"],
                TELEMETRY_MS: 2000,
                KEEPALIVE_S: 10,
            },
        })
    }, 240_000)

    afterAll(async () => {
        if (savedCa === undefined) delete process.env["NODE_EXTRA_CA_CERTS"]
        else process.env["NODE_EXTRA_CA_CERTS"] = savedCa
        await sim?.stop()
        await gateway?.endAsync(true)
        await broker?.stop()
    })

    async function waitSeen(pred: (m: { topic: string; payload: string }) => boolean, ms: number, what: string) {
        return untilValue(() => seen.find(pred), ms, what).catch((e: Error) => {
            throw new Error(`${e.message}; gateway saw ${JSON.stringify(seen.map((s) => s.topic))}\n${run.log.tail(60)}`)
        })
    }

    test("the board comes online over TLS with its own account: status, discovery and telemetry reach the gateway", async () => {
        const status = await waitSeen(
            (m) => m.topic === `devices/${DEVICE}/status` && m.payload.includes('"online"'),
            90_000,
            "online status"
        )
        expect(JSON.parse(status.payload).state).toBe("online")
        for (const q of ["temperature", "humidity", "pressure"])
            await waitSeen((m) => m.topic === `homeassistant/sensor/${DEVICE}_${q}/config`, 10_000, `${q} discovery`)
        const tel = await waitSeen((m) => m.topic === `devices/${DEVICE}/telemetry`, 15_000, "telemetry")
        expect(typeof JSON.parse(tel.payload).temperature).toBe("number")
        expect(run.log.find(/mqtt: .*(refused|not authorized|violation)/)).toBe(undefined)
        expect(run.log.panicCode()).toBe(undefined)
    }, 120_000)

    test("JSON-RPC over the confined account: a request on rx is answered on tx", async () => {
        await gateway.publishAsync(`devices/${DEVICE}/rx`, JSON.stringify({ jsonrpc: "2.0", id: 77, method: "sys.info" }), { qos: 1 })
        const reply = await waitSeen((m) => m.topic === `devices/${DEVICE}/tx` && m.payload.includes('"id":77'), 15_000, "sys.info reply")
        const r = JSON.parse(reply.payload)
        expect(r.jsonrpc).toBe("2.0")
        expect(r.error).toBe(undefined)
        expect(r.result).toBeTruthy()
        // config.get never reveals the password, even to the gateway.
        await gateway.publishAsync(`devices/${DEVICE}/rx`, JSON.stringify({ jsonrpc: "2.0", id: 78, method: "config.get" }), { qos: 1 })
        const cfg = await waitSeen((m) => m.topic === `devices/${DEVICE}/tx` && m.payload.includes('"id":78'), 15_000, "config.get reply")
        expect(cfg.payload).not.toContain(deviceEnv["MQTT_PASS"])
        expect(run.log.text()).not.toContain(deviceEnv["MQTT_PASS"])
    }, 60_000)

    test("trusting an unrelated CA instead: the board says why it cannot connect and keeps running", async () => {
        process.env["NODE_EXTRA_CA_CERTS"] = pki.otherCaCert
        const bad = await sim.run("devs/main.ts", {
            applyEnvFiles: false,
            settings: {
                MQTT_URL: `mqtts://localhost:${tlsPort}`,
                MQTT_USER: deviceEnv["MQTT_USER"],
                MQTT_PASS: deviceEnv["MQTT_PASS"],
                DEVICE_ID: deviceEnv["DEVICE_ID"],
            },
        })
        // The firmware logs every connection that ends, a failed first attempt included, with the
        // socket's reason.
        const closed = /^mqtt: connection closed \((.*)\), reconnecting$/
        const m = await bad.log.waitFor(closed, 60_000)
        console.log(`[secure-firmware] wrong CA: ${m[0]}`)
        expect(m[1]).toMatch(/self[- ]signed certificate/)
        // It keeps retrying (backoff), and never got far enough to publish anything.
        const first = bad.log.find(closed)!.index
        await bad.log.waitFor(closed, 30_000, first + 1)
        expect(bad.log.panicCode()).toBe(undefined)
        expect(bad.log.exitCode).toBe(undefined)
    }, 120_000)
})
