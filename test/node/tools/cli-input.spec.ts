// The tools' flags and environment settings are checked where they enter (scripts/lib/cli-args.ts):
// each tool, run as its own process with a bad argument, exits with code 2 and one line naming
// the argument, before it starts anything; no stack trace, no password echoed.
import { execFile } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, test } from "vitest"

const root = join(import.meta.dirname, "..", "..", "..")
const tsx = join(root, "node_modules", ".bin", "tsx")

interface Run {
    code: number | null
    out: string
    err: string
}

/** Runs `script` with `args`; the environment holds only PATH/HOME plus `env` (no MQTT_URL of the caller's). */
function run(script: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
    return new Promise((resolve) => {
        const p = execFile(
            tsx,
            [join(root, script), ...args],
            { cwd: root, timeout: 60_000, env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "", ...env } },
            (_e, out, err) => resolve({ code: p.exitCode, out: String(out), err: String(err) })
        )
    })
}

// [tool, args, environment, what the error line must say]
const cases: [string, string[], Record<string, string>, RegExp][] = [
    [
        "scripts/rpc.ts",
        ["sys.info", "--timeout", "abc", "--url", "mqtt://127.0.0.1:1"],
        {},
        /^rpc: --timeout must be a whole number from 1 to \d+, not "abc"$/m,
    ],
    [
        "scripts/rpc.ts",
        ["sys.info", "--url", "http://admin:s3cret@broker"],
        {},
        /^rpc: --url must be a URL mqtt:\/\/.*not \(a URL with credentials, hidden\)$/m,
    ],
    ["scripts/rpc.ts", ["sys.info", "--url", "mqtt://127.0.0.1:1", "--device", "a/b"], {}, /^rpc: --device: device id "a\/b" must be/m],
    [
        "scripts/rpc.ts",
        ["sys.info", "--url", "mqtt://127.0.0.1:1", "--prefix", "dev/#"],
        {},
        /^rpc: --prefix: topic prefix "dev\/#" must be/m,
    ],
    ["scripts/rpc.ts", ["sys.info", "{not json"], {}, /^rpc: params are not JSON: \{not json$/m],
    ["scripts/rpc.ts", ["sys.info"], { MQTT_URL: "localhost:1883" }, /^rpc: MQTT_URL \(environment\) must be a URL/m],
    ["scripts/provision.ts", ["dev1", "--remvoe"], {}, /^provision: Unknown option '--remvoe'$/m],
    ["scripts/provision.ts", ["dev1", "--env"], {}, /^provision: Option '--env <value>' argument missing$/m],
    ["scripts/provision.ts", ["bad id"], {}, /^provision: device id "bad id" must be/m],
    [
        "scripts/gateway.ts",
        [],
        { GATEWAY_TCP_PORT: "70000" },
        /^gateway: GATEWAY_TCP_PORT must be a whole number from 0 to 65535, not "70000"$/m,
    ],
    [
        "scripts/gateway.ts",
        [],
        { MQTT_URL: "mqtt//admin:s3cret@broker" },
        /^gateway: MQTT_URL must be a URL .*\(a URL with credentials, hidden\)$/m,
    ],
    ["scripts/gateway.ts", [], { GATEWAY_TLS_KEY: "/nonexistent/key.pem" }, /^gateway: GATEWAY_TLS_KEY and GATEWAY_TLS_CERT go together/m],
    [
        "scripts/gateway.ts",
        [],
        { GATEWAY_TLS_KEY: "/nonexistent/key.pem", GATEWAY_TLS_CERT: "/nonexistent/cert.pem" },
        /^gateway: GATEWAY_TLS_KEY: no file \/nonexistent\/key.pem$/m,
    ],
    ["scripts/gateway.ts", ["--port", "1"], {}, /^gateway: Unknown option '--port'$/m],
    ["scripts/coap-serve.ts", ["--port", "-1"], {}, /^coap: Option '--port' argument is ambiguous$/m],
    ["scripts/coap-serve.ts", ["--port", "65536"], {}, /^coap: --port must be a whole number from 0 to 65535, not "65536"$/m],
    ["scripts/coap-serve.ts", [], { COAP_PORT: "http" }, /^coap: COAP_PORT must be a whole number/m],
    ["scripts/start.ts", ["--rest"], {}, /^start: Unknown option '--rest'$/m],
    ["scripts/start.ts", [], { MQTT_URL: "broker.local" }, /^start: MQTT_URL \(environment\) must be a URL/m],
    ["scripts/soak.ts", ["20k"], {}, /^soak: N \(the number of requests\) must be a whole number/m],
    ["scripts/soak.ts", ["--ballast", "64"], {}, /^soak: --ballast must be a whole number from 0 to 63, not "64"$/m],
    ["bench/run.ts", ["--runs", "two"], {}, /^bench: --runs must be a whole number from 0 up, not "two"$/m],
    ["bench/run.ts", ["--phases", "ours,fast"], {}, /^bench: --phases: unknown phase "fast"/m],
]

describe("bad arguments: exit code 2, one line naming the argument, nothing started", () => {
    test.each(cases)(
        "%s %j %j",
        async (script, args, env, message) => {
            const r = await run(script, args, env)
            expect(r.err, r.out + r.err).toMatch(message)
            expect(r.code, r.out + r.err).toBe(2)
            // no stack trace, no password from the input, nothing started (no listening / connecting line)
            expect(r.err).not.toMatch(/^\s+at /m)
            expect(r.out + r.err).not.toContain("s3cret")
            expect(r.out).toBe("")
        },
        60_000
    )
})

describe("good arguments still work", () => {
    const dir = mkdtempSync(join(tmpdir(), "cli-input-"))
    afterAll(() => rmSync(dir, { recursive: true, force: true }))

    test("provision with every kind of flag writes the device's files and prints no password", async () => {
        const env = join(dir, "device.env")
        const r = await run("scripts/provision.ts", [
            "kitchen-1",
            "--broker-dir",
            join(dir, "broker"),
            "--env",
            env,
            "--parts",
            "fan",
            "--topic-prefix",
            "home/devs",
        ])
        expect(r.err).toBe("")
        expect(r.code).toBe(0)
        expect(r.out).toContain('provision: created device "kitchen-1"')
        const pass = /^MQTT_PASS=(.+)$/m.exec(readFileSync(env, "utf8"))?.[1] ?? ""
        expect(pass.length).toBe(24)
        expect(r.out).not.toContain(pass)
        expect(readFileSync(join(dir, "broker", "acl"), "utf8")).toContain("topic readwrite home/devs/kitchen-1/#")
    }, 60_000)

    test("--help prints the usage with exit code 0", async () => {
        const r = await run("scripts/rpc.ts", ["--help"])
        expect(r.code).toBe(0)
        expect(r.out).toMatch(/^usage: npm run rpc/)
    }, 60_000)
})
