// The project's whole test run (`npm test`), in these stages:
//  -. the real peers the tests talk to are on the machine: when one of mosquitto, mosquitto_pub,
//     coap-client-notls, openssl or nats-server is missing, scripts/install-system-deps.sh installs it (apt-get on
//     Debian/Ubuntu, with sudo when not root; it says what it installs), so `npm install` and
//     `npm test` are the only two steps on a fresh machine;
//  0. every tsconfig type-checks with no error (scripts/typecheck.ts: the Node world and the
//     DeviceScript world, with the TypeScript the editor uses; vitest strips types without checking),
//     `eslint .` (eslint.config.js) reports nothing, and `prettier --check .` (.prettierrc.json) finds
//     every file formatted (`npm run format` formats the tree);
//  1. the portable core and every firmware entry compile for the board (devs build -F allFunctions,
//     so functions nothing calls yet are still checked);
//  2. the portable unit tests run inside the DeviceScript VM (devs run --test -k);
//  3. vitest: the same unit tests in Node, plus interop and end-to-end tests against real peers.
// It ends with one line "tests: N passed, M failed" counting vitest tests and DeviceScript stages.
// `npm test -- --dry-run` lists every stage's command without running any.
import { spawnSync } from "node:child_process"
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import { dirname, join, relative } from "node:path"
import { describe as describeCheck, typecheckAll } from "./typecheck"
import { FLOOR_BYTES } from "./image-floor"

const root = join(import.meta.dirname, "..")
const devs = join(root, "node_modules", ".bin", "devs")
const dryRun = process.argv.includes("--dry-run")
let passed = 0
let failed = 0
const failures: string[] = []

/** Runs one stage; on failure prints its output's tail, then `hint` (what to do about it) when given. */
function run(label: string, cmd: string, args: string[], hint?: string): boolean {
    if (dryRun) {
        console.log(`would run: ${label}: ${relative(root, cmd) || cmd} ${args.join(" ")}`)
        return true
    }
    const t0 = Date.now()
    const r = spawnSync(cmd, args, { cwd: root, encoding: "utf8", maxBuffer: 64 << 20 })
    const ok = r.status === 0
    const secs = ((Date.now() - t0) / 1000).toFixed(1)
    console.log(`${ok ? "ok  " : "FAIL"} ${label} (${secs} s)`)
    if (!ok) {
        process.stdout.write((r.stdout ?? "").split("\n").slice(-60).join("\n") + "\n" + (r.stderr ?? "") + "\n")
        if (hint) console.log(hint)
        failures.push(label)
        failed++
    } else passed++
    return ok
}

function listTs(dir: string, pred: (rel: string) => boolean): string[] {
    const abs = join(root, dir)
    if (!existsSync(abs)) return []
    const out: string[] = []
    for (const name of readdirSync(abs)) {
        const p = join(abs, name)
        if (statSync(p).isDirectory()) out.push(...listTs(join(dir, name), pred))
        else if (name.endsWith(".ts") && pred(join(dir, name))) out.push(join(dir, name))
    }
    return out.sort()
}

// System tools the interop and end-to-end tests run against.
function have(cmd: string): boolean {
    const paths = (process.env["PATH"] ?? "")
        .split(":")
        .concat(["/usr/sbin", "/usr/local/sbin", "/opt/homebrew/sbin", "/usr/local/opt/mosquitto/sbin"])
    return paths.some((d) => d && existsSync(join(d, cmd)))
}
const missing = ["mosquitto", "mosquitto_pub", "coap-client-notls", "openssl", "nats-server"].filter((c) => !have(c))
if (missing.length && dryRun) console.log(`would run: scripts/install-system-deps.sh (missing: ${missing.join(", ")})`)
else if (missing.length) {
    console.log(`system tools missing: ${missing.join(", ")}; running scripts/install-system-deps.sh`)
    const r = spawnSync("bash", [join(root, "scripts", "install-system-deps.sh")], { cwd: root, stdio: "inherit" })
    if (r.status !== 0) {
        console.log(
            `FAIL scripts/install-system-deps.sh exited ${r.status}; install ${missing.join(", ")} by hand (README: "System packages")`
        )
        console.log(`\ntests: ${passed} passed, 1 failed`)
        process.exit(1)
    }
}

// Stage 0: type-checking, every project in parallel.
for (const r of dryRun ? [] : await typecheckAll()) {
    const ok = r.errors.length === 0
    console.log(`${ok ? "ok  " : "FAIL"} ${describeCheck(r)}`)
    if (ok) passed++
    else {
        console.log(r.errors.slice(0, 60).join("\n"))
        failures.push(`tsc -p ${r.project}`)
        failed++
    }
}

if (dryRun) console.log("would run: tsc --noEmit -p tsconfig.json, -p src/tsconfig.json and -p devs/tsconfig.json (scripts/typecheck.ts)")
run("eslint . (npm run lint)", join(root, "node_modules", ".bin", "eslint"), ["."])
run(
    "prettier --check . (npm run format:check)",
    join(root, "node_modules", ".bin", "prettier"),
    ["--check", "."],
    "The files listed above are not formatted: run `npm run format` (prettier --write .) and commit the result."
)

// Stage 1: one generated entry per folder of src/ imports every module there. One entry for all of
// src/ would not fit: a DeviceScript program's function bytecode is limited to 64 KB.
const genDir = join(root, ".devicescript")
mkdirSync(genDir, { recursive: true })
const core = listTs("src", (p) => !p.startsWith(join("src", "host")))
const areas = new Map<string, string[]>()
for (const p of core) {
    const parts = p.split("/")
    const area = parts.length > 2 ? parts[1] : "."
    areas.set(area, [...(areas.get(area) ?? []), p])
}
for (const [area, files] of areas) {
    const entry = join(root, "devs", `all-${area === "." ? "io" : area}.gen.ts`)
    writeFileSync(entry, files.map((p) => `import "../${p.replace(/\.ts$/, "")}"`).join("\n") + "\n")
    run(`devs build: src/${area === "." ? "*.ts" : area} (all functions)`, devs, ["build", "-F", "allFunctions", relative(root, entry)])
}
const entries = listTs("devs", (p) => /(^|\/)main[^/]*\.ts$/.test(p)).concat(listTs(join("bench", "devs"), () => true))
// Firmware entries are built as they ship (tree-shaken): the VM's verifier rejects an image whose
// function bytecode passes 64 KB, and with -F allFunctions every entry that links @devicescript/net
// is over it (devs/main.ts: 77 KB) although the image it deploys is not. The per-folder builds
// above already compile every function of src/. Sizes per file: npm run size -- <entry>.
for (const entry of entries) run(`devs build: ${entry}`, devs, ["build", entry])
// The room left for users' own code: every board's default image keeps the project's floor free.
run(`image floor: every board's default image leaves >= ${FLOOR_BYTES} B (npm run floor)`, join(root, "node_modules", ".bin", "tsx"), [
    join(root, "scripts", "image-floor.ts"),
])

// Stage 2: portable unit tests inside the VM (one aggregator per area).
// An entry is a top-level file of test/devs/ that imports the portable specs of test/core/. Entries
// that need a peer on the Node side (an echo server, a broker) are started by their vitest spec instead.
const isTestEntry = (p: string) => dirname(p) === join("test", "devs") && /import "\.\.\/core\//.test(readFileSync(join(root, p), "utf8"))
for (const entry of listTs(join("test", "devs"), isTestEntry))
    run(`devs run --test: ${entry}`, devs, ["run", "--test", "-k", "-T", "180000", entry])

// Stage 3: vitest, in two passes. Tests that start the simulator share devtools' fixed ports
// (8081-8083), so test/e2e runs one file at a time after everything else has run in parallel.
function vitestPass(name: string, args: string[]): void {
    if (dryRun) {
        console.log(`would run: vitest run ${args.join(" ")}`)
        return
    }
    const report = join(genDir, `vitest-${name}.json`)
    rmSync(report, { force: true })
    const r = spawnSync(
        join(root, "node_modules", ".bin", "vitest"),
        ["run", ...args, "--reporter=default", "--reporter=json", `--outputFile.json=${report}`],
        {
            cwd: root,
            stdio: "inherit",
        }
    )
    let counted = false
    if (existsSync(report)) {
        const j = JSON.parse(readFileSync(report, "utf8"))
        passed += j.numPassedTests
        failed += j.numFailedTests
        counted = true
        if (j.numFailedTests > 0) failures.push(`vitest ${name}: ${j.numFailedTests} failed`)
    }
    if (r.status !== 0 && !(counted && failures.some((f) => f.startsWith(`vitest ${name}`)))) {
        failures.push(`vitest ${name} exited ${r.status}`)
        failed++
    }
}
// test/interop/fleet runs 50 boards, a 3-node cluster and 2 gateways (about a minute): on its own,
// after the others, so its timing-sensitive failover windows do not share the CPU with them
vitestPass("parallel", ["--exclude", "test/e2e/**", "--exclude", "test/interop/fleet/**"])
vitestPass("fleet", ["test/interop/fleet"])
if (existsSync(join(root, "test", "e2e"))) vitestPass("simulator", ["test/e2e", "--no-file-parallelism"])

if (dryRun) process.exit(0)
if (failures.length) console.log("\nfailed:\n  " + failures.join("\n  "))
console.log(`\ntests: ${passed} passed, ${failed} failed`)
process.exit(failed ? 1 : 0)
