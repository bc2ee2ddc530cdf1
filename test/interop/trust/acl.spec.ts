// Per-device isolation on a real Mosquitto configured by `npm run provision` (scripts/provision.ts).
// Mosquitto 2.0 grants a SUBSCRIBE to `#` or to another device's subtree and then filters what it
// delivers, so every assertion here is about delivery: after a fence message proves the routing
// of everything published earlier is done, nothing of the other device may have arrived.
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { execFileSync } from "node:child_process"
import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import mqtt, { type MqttClient } from "mqtt"
import { startMosquitto, type Mosquitto } from "../../helpers/mosquitto"
import { parseEnv, passwordMatches } from "../../../scripts/lib/broker-auth"
import { connectNodeAsync } from "../../../src/host/mqtt"
import { afterMarker, until } from "../../helpers/wait"

const root = join(import.meta.dirname, "..", "..", "..")
const tsx = join(root, "node_modules", ".bin", "tsx")

function provision(args: string[]): string {
    return execFileSync(tsx, [join(root, "scripts", "provision.ts"), ...args], { encoding: "utf8" })
}

interface Creds {
    user: string
    pass: string
}

type Received = { topic: string; payload: string }[]

function open(broker: Mosquitto, creds: Partial<Creds>, clientId: string): Promise<MqttClient> {
    return new Promise((resolve, reject) => {
        const c = mqtt.connect(broker.url, {
            protocolVersion: 4,
            clientId,
            username: creds.user,
            password: creds.pass,
            reconnectPeriod: 0,
            connectTimeout: 5000,
        })
        c.once("connect", () => resolve(c))
        c.once("error", (e) => {
            c.end(true)
            reject(e)
        })
    })
}

/** The CONNACK return code a refused connection got. */
async function refusalCode(broker: Mosquitto, creds: Partial<Creds>): Promise<number> {
    try {
        const c = await open(broker, creds, "refused-" + Math.random().toString(16).slice(2))
        await c.endAsync()
        return 0
    } catch (e) {
        return (e as { code: number }).code
    }
}

function collect(c: MqttClient): Received {
    const got: Received = []
    c.on("message", (topic, payload) => got.push({ topic, payload: payload.toString() }))
    return got
}

/** Publishes `fence` as `from` and waits until `to` has it: everything routed before it has arrived. */
async function fence(from: MqttClient, topic: string, to: Received, tag: string): Promise<void> {
    await afterMarker(
        () => from.publishAsync(topic, tag, { qos: 1 }),
        () => to.some((m) => m.payload === tag),
        5000,
        `${tag} on ${topic}`
    )
}

describe("provisioned broker: per-device isolation", () => {
    const dir = mkdtempSync(join(tmpdir(), "devs-link-acl-"))
    // Mosquitto started as root reads its files as the mosquitto user: it must be able to enter the directory.
    chmodSync(dir, 0o755)
    const brokerDir = join(dir, "broker")
    let broker: Mosquitto
    let devA: Creds, devB: Creds, gw: Creds
    const clients: MqttClient[] = []
    let provisionOutput = ""

    beforeAll(async () => {
        writeFileSync(join(dir, "a.env"), "WIFI_SSID=home\n# keep me\n")
        provisionOutput += provision(["devA", "--broker-dir", brokerDir, "--env", join(dir, "a.env"), "--parts", "relay"])
        provisionOutput += provision([
            "devB",
            "--broker-dir",
            brokerDir,
            "--env",
            join(dir, "b.env"),
            "--discovery",
            "temperature,humidity",
        ])
        const env = (f: string) => parseEnv(readFileSync(f, "utf8"))
        const a = env(join(dir, "a.env"))
        const b = env(join(dir, "b.env"))
        const g = env(join(brokerDir, "gateway.env"))
        devA = { user: a["MQTT_USER"], pass: a["MQTT_PASS"] }
        devB = { user: b["MQTT_USER"], pass: b["MQTT_PASS"] }
        gw = { user: g["MQTT_USER"], pass: g["MQTT_PASS"] }
        broker = await startMosquitto({ persistence: false, extraConfig: readFileSync(join(brokerDir, "mosquitto.conf"), "utf8") })
    })

    afterAll(async () => {
        await Promise.all(clients.map((c) => c.endAsync(true)))
        await broker?.stop()
    })

    async function client(creds: Creds, id: string): Promise<{ c: MqttClient; got: Received }> {
        const c = await open(broker, creds, id)
        clients.push(c)
        return { c, got: collect(c) }
    }

    test("provision writes credentials only into env files, keeps other settings, prints no password", () => {
        const aText = readFileSync(join(dir, "a.env"), "utf8")
        expect(aText).toContain("WIFI_SSID=home\n# keep me\n")
        expect(devA.user).toBe("devA")
        expect(parseEnv(aText)["DEVICE_ID"]).toBe("devA")
        expect(devA.pass.length).toBe(24)
        expect(devA.pass).not.toBe(devB.pass)
        for (const secret of [devA.pass, devB.pass, gw.pass]) expect(provisionOutput).not.toContain(secret)
        expect(statSync(join(dir, "a.env")).mode & 0o777).toBe(0o600)
        expect(statSync(join(brokerDir, "gateway.env")).mode & 0o777).toBe(0o600)
        const passwd = readFileSync(join(brokerDir, "passwd"), "utf8")
        expect(passwd).not.toContain(devA.pass)
        const lineA = passwd.split("\n").find((l) => l.startsWith("devA:"))!
        expect(passwordMatches(lineA, devA.pass)).toBe(true)
        expect(passwordMatches(lineA, devB.pass)).toBe(false)
    })

    test("device A receives nothing of device B through `#` or `devices/devB/#`; the gateway sees both", async () => {
        const a = await client(devA, "A-spy")
        const b = await client(devB, "B")
        const g = await client(gw, "gateway-watch")
        // Mosquitto grants these (SUBACK 0/1), the ACL filters delivery.
        const granted = await a.c.subscribeAsync({ "#": { qos: 1 }, "devices/devB/#": { qos: 1 }, "homeassistant/#": { qos: 1 } })
        expect(granted.map((s) => s.qos)).toEqual([1, 1, 1])
        await g.c.subscribeAsync("#", { qos: 1 })

        await b.c.publishAsync("devices/devB/telemetry", "B-telemetry", { qos: 1 })
        await b.c.publishAsync("devices/devB/status", "B-status", { qos: 1, retain: true })
        await b.c.publishAsync("homeassistant/sensor/devB_temperature/config", "B-discovery", { qos: 1, retain: true })
        try {
            await isolationChecks(a, g)
        } finally {
            // Clear B's retained messages so the next tests start clean.
            await b.c.publishAsync("devices/devB/status", "", { qos: 1, retain: true })
            await b.c.publishAsync("homeassistant/sensor/devB_temperature/config", "", { qos: 1, retain: true })
        }
    })

    async function isolationChecks(a: { c: MqttClient; got: Received }, g: { c: MqttClient; got: Received }): Promise<void> {
        await g.c.publishAsync("devices/devB/rx", "gateway-to-B", { qos: 1 })
        await fence(a.c, "devices/devA/fence", a.got, "A-fence-1")

        expect(a.got.map((m) => m.topic)).toEqual(["devices/devA/fence"])
        // The same traffic is on the broker: the gateway account saw all of it.
        await fence(g.c, "devices/devB/fence", g.got, "G-fence-1")
        const seen = g.got.map((m) => m.payload)
        for (const p of ["B-telemetry", "B-status", "B-discovery", "gateway-to-B", "A-fence-1"]) expect(seen).toContain(p)

        // Retained messages of B are not delivered to A on a new subscription either.
        const a2 = await client(devA, "A-late")
        await a2.c.subscribeAsync(["devices/devB/#", "homeassistant/#", "devices/devA/fence"], { qos: 1 })
        await fence(a2.c, "devices/devA/fence", a2.got, "A-fence-2")
        expect(a2.got.map((m) => m.payload)).toEqual(["A-fence-2"])
    }

    test("device A cannot publish into device B's rx, status or discovery topics", async () => {
        const a = await client(devA, "A-intruder")
        const b = await client(devB, "B-victim")
        const g = await client(gw, "gateway-audit")
        await b.c.subscribeAsync("devices/devB/#", { qos: 1 })
        await g.c.subscribeAsync(["devices/#", "homeassistant/#"], { qos: 1 })

        // MQTT 3.1.1 has no way to refuse a PUBLISH: Mosquitto acknowledges it and drops it.
        await a.c.publishAsync("devices/devB/rx", '{"jsonrpc":"2.0","id":1,"method":"sys.restart"}', { qos: 1 })
        await a.c.publishAsync("devices/devB/rx", "A-qos0", { qos: 0 })
        await a.c.publishAsync("devices/devB/rx", "A-qos2", { qos: 2 })
        await a.c.publishAsync("devices/devB/status", '{"state":"offline"}', { qos: 1, retain: true })
        await a.c.publishAsync("homeassistant/sensor/devB_temperature/config", "A-fake-discovery", { qos: 1, retain: true })
        await a.c.publishAsync("devices/devB", "A-parent", { qos: 1 })
        await a.c.publishAsync("$SYS/broker/fake", "A-sys", { qos: 1 })
        await fence(g.c, "devices/devB/rx", b.got, "gateway-fence")
        expect(b.got.map((m) => m.payload)).toEqual(["gateway-fence"])
        await fence(g.c, "devices/gw/fence", g.got, "gateway-fence-2")
        expect(g.got.some((m) => m.payload.startsWith("A-") || m.payload.includes("sys.restart") || m.payload.includes("offline"))).toBe(
            false
        )
    })

    test("device A still uses its own topics and its own discovery topics", async () => {
        const a = await client(devA, "A-own")
        const g = await client(gw, "gateway-own")
        await a.c.subscribeAsync("devices/devA/rx", { qos: 1 })
        await g.c.subscribeAsync(["devices/devA/#", "homeassistant/#"], { qos: 1 })
        await g.c.publishAsync("devices/devA/rx", "call-A", { qos: 1 })
        await a.c.publishAsync("devices/devA/tx", "reply-A", { qos: 1 })
        await a.c.publishAsync("homeassistant/sensor/devA_temperature/config", "A-discovery", { qos: 1 })
        await a.c.publishAsync("homeassistant/sensor/devA/humidity/config", "A-discovery-node", { qos: 1 })
        await fence(g.c, "devices/devA/rx", a.got, "fence-A")
        await fence(a.c, "devices/devA/tx", g.got, "fence-G")
        expect(a.got.map((m) => m.payload)).toEqual(["call-A", "fence-A"])
        expect(g.got.map((m) => m.payload)).toEqual(["call-A", "reply-A", "A-discovery", "A-discovery-node", "fence-A", "fence-G"])
    })

    test("Home Assistant control: A gets its commands, writes its states and its own entities; B reaches none of them", async () => {
        const acl = readFileSync(join(brokerDir, "acl"), "utf8")
        for (const q of ["led", "relay", "restart", "uptime", "reconnects", "version", "rssi"])
            expect(acl).toContain(`topic readwrite homeassistant/+/devA_${q}/config\n`)
        expect(acl).not.toContain("devB_relay")
        const a = await client(devA, "A-control")
        const b = await client(devB, "B-meddler")
        const g = await client(gw, "ha-controller")
        await a.c.subscribeAsync("devices/devA/set/+", { qos: 1 })
        await g.c.subscribeAsync(["devices/devA/state/+", "homeassistant/#"], { qos: 1 })
        // Home Assistant (the gateway account) commands A; A answers with its retained state and discovery
        await g.c.publishAsync("devices/devA/set/relay", "ON", { qos: 1 })
        await a.c.publishAsync("devices/devA/state/relay", "ON", { qos: 1, retain: true })
        await a.c.publishAsync("homeassistant/switch/devA_relay/config", "A-switch", { qos: 1 })
        await a.c.publishAsync("homeassistant/button/devA_restart/config", "A-button", { qos: 1 })
        await a.c.publishAsync("homeassistant/sensor/devA_uptime/config", "A-uptime", { qos: 1 })
        // not A's: an object id it was not provisioned for
        await a.c.publishAsync("homeassistant/switch/devA_heater/config", "A-unprovisioned", { qos: 1 })
        // B can neither command A nor fake A's state or entities
        await b.c.publishAsync("devices/devA/set/relay", "B-command", { qos: 1 })
        await b.c.publishAsync("devices/devA/state/relay", "B-state", { qos: 1, retain: true })
        await b.c.publishAsync("homeassistant/switch/devA_relay/config", "B-switch", { qos: 1 })
        await b.c.publishAsync("homeassistant/switch/devB_relay/config", "B-own-unprovisioned", { qos: 1 })
        const seenByA = await b.c.subscribeAsync("devices/devA/set/+", { qos: 1 })
        expect(seenByA.length).toBe(1)
        await fence(g.c, "devices/devA/set/fence", a.got, "fence-A")
        await fence(a.c, "devices/devA/state/fence", g.got, "fence-G")
        expect(a.got.map((m) => m.payload)).toEqual(["ON", "fence-A"])
        expect(g.got.map((m) => m.payload)).toEqual(["ON", "A-switch", "A-button", "A-uptime", "fence-G"])
        expect(b.got.length).toBe(0)
        await a.c.publishAsync("devices/devA/state/relay", "", { qos: 1, retain: true })
    })

    test("unknown user, wrong password and anonymous are refused with CONNACK 5 (Mosquitto 2.0.11, MQTT 3.1.1)", async () => {
        // Mosquitto answers "not authorized" (5) for every failed password check on 3.1.1, rather than
        // "bad user name or password" (4): it does not tell an attacker which part was wrong.
        expect(await refusalCode(broker, { user: "devC", pass: devA.pass })).toBe(5)
        expect(await refusalCode(broker, { user: "devA", pass: devB.pass })).toBe(5)
        expect(await refusalCode(broker, { user: "devA", pass: "" })).toBe(5)
        expect(await refusalCode(broker, {})).toBe(5)
        expect(await refusalCode(broker, devA)).toBe(0)
    })

    test("this project's client: provisioned credentials connect; a wrong password fails with a clear CONNACK 5 error", async () => {
        const ok = await connectNodeAsync({
            url: broker.url,
            username: devA.user,
            password: devA.pass,
            clientId: "A-own-client",
            reconnectPeriod: 0,
        })
        const got: string[] = []
        ok.on("message", (_t: string, p: Buffer) => got.push(p.toString()))
        await ok.subscribe(["devices/devA/rx", "devices/devB/#"], { qos: 1 })
        const g = await client(gw, "gateway-for-own-client")
        await g.c.publishAsync("devices/devB/rx", "not-for-A", { qos: 1 })
        await g.c.publishAsync("devices/devA/rx", "for-A", { qos: 1 })
        // "for-A" went out after "not-for-A" from the same publisher: once it is here, the other
        // would have been too, had the broker let it through
        await until(() => got.includes("for-A"), 3000, "for-A")
        expect(got).toEqual(["for-A"])
        ok.end()
        let err: (Error & { code?: string; returnCode?: number }) | undefined
        try {
            const c = await connectNodeAsync({ url: broker.url, username: devA.user, password: devB.pass, reconnectPeriod: 0 })
            c.end()
        } catch (e) {
            err = e as Error & { code?: string; returnCode?: number }
        }
        expect(err?.code).toBe("CONNECTION_REFUSED")
        expect(err?.returnCode).toBe(5)
        expect(err?.message).toBe("connection refused (CONNACK 5): not authorized")
    })

    test("provisioning again rotates the password: the old one is refused after the broker rereads its files", async () => {
        const old = devA.pass
        const out = provision(["devA", "--broker-dir", brokerDir, "--env", join(dir, "a.env")])
        expect(out).toContain('rotated password of device "devA"')
        const fresh = parseEnv(readFileSync(join(dir, "a.env"), "utf8"))["MQTT_PASS"]
        expect(fresh).not.toBe(old)
        expect(out).not.toContain(fresh)
        await broker.stop()
        await broker.start()
        expect(await refusalCode(broker, { user: "devA", pass: old })).toBe(5)
        expect(await refusalCode(broker, { user: "devA", pass: fresh })).toBe(0)
        expect(await refusalCode(broker, devB)).toBe(0)
        devA = { user: "devA", pass: fresh }
    })

    test("removing a device revokes it", async () => {
        provision(["devB", "--broker-dir", brokerDir, "--remove"])
        expect(readFileSync(join(brokerDir, "acl"), "utf8")).not.toContain("devB")
        await broker.stop()
        await broker.start()
        expect(await refusalCode(broker, devB)).toBe(5)
        expect(await refusalCode(broker, devA)).toBe(0)
    })

    test("custom topic prefixes go into the ACL and into the device's env file", () => {
        const other = join(dir, "broker-prefixed")
        provision([
            "devP",
            "--broker-dir",
            other,
            "--env",
            join(dir, "p.env"),
            "--topic-prefix",
            "site1/dev",
            "--ha-prefix",
            "ha",
            "--discovery",
            "temperature",
        ])
        const acl = readFileSync(join(other, "acl"), "utf8")
        expect(acl).toContain(
            "user devP\ntopic readwrite site1/dev/devP/#\ntopic readwrite ha/+/devP/+/config\ntopic readwrite ha/+/devP_temperature/config\n"
        )
        const env = parseEnv(readFileSync(join(dir, "p.env"), "utf8"))
        expect(env["MQTT_PREFIX"]).toBe("site1/dev")
        expect(env["HA_PREFIX"]).toBe("ha")
        // The prefixes are remembered for the next device of the same broker.
        provision(["devQ", "--broker-dir", other, "--env", join(dir, "q.env")])
        expect(parseEnv(readFileSync(join(dir, "q.env"), "utf8"))["MQTT_PREFIX"]).toBe("site1/dev")
        expect(readFileSync(join(other, "acl"), "utf8")).toContain("topic readwrite site1/dev/devQ/#")
    })

    test("bad ids are rejected before anything is written", () => {
        for (const bad of ["a/b", "#", "+", "dev:1", "", "gateway"]) {
            let status = 0
            try {
                provision([bad, "--broker-dir", brokerDir, "--env", join(dir, "bad.env")])
            } catch (e) {
                status = (e as { status: number }).status
            }
            expect(status).toBe(2)
        }
        expect(() => statSync(join(dir, "bad.env"))).toThrow()
    })
})
