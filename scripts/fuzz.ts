// Runs every fuzzer, one after the other (each gets a core to itself on a 2-core machine):
//   npm run fuzz [-- count [seed]]        (default 1,000,000 inputs each, each fuzzer's own default seed;
//                                          fuzz-gateway splits its count over the gateway's four fronts)
// Prints per fuzzer: inputs, inputs/s, failures; exits 1 when any fuzzer failed or did not finish.
import { spawnSync } from "node:child_process"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { parseSummary, type Summary } from "./fuzz-lib"
import { FUZZERS, SOCKET_FUZZERS } from "./fuzz-list"

const here = dirname(fileURLToPath(import.meta.url))
const tsx = join(here, "..", "node_modules", ".bin", "tsx")

const count = process.argv[2] ?? "1000000"
const seed = process.argv[3]

const rows: { name: string; summary?: Summary; exit: number | null }[] = []
for (const name of [...FUZZERS, ...SOCKET_FUZZERS]) {
    const argv = [join(here, name + ".ts"), count].concat(seed ? [seed] : [])
    process.stdout.write(`${name}: ${count} inputs...\n`)
    const r = spawnSync(tsx, argv, { encoding: "utf-8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 * 1024 * 1024 })
    const out = (r.stdout ?? "") + (r.stderr ?? "")
    const summary = parseSummary(out)
    if (r.status !== 0)
        process.stdout.write(
            out
                .split("\n")
                .filter((l) => !l.startsWith("npm warn"))
                .slice(-40)
                .join("\n") + "\n"
        )
    else if (summary) process.stdout.write(out.split("\n").find((l) => l.startsWith(name + ":")) + "\n")
    rows.push({ name, summary, exit: r.status })
}

console.log("\nfuzzer               inputs     inputs/s  failures")
let bad = 0
for (const row of rows) {
    const s = row.summary
    const failed = row.exit !== 0 || !s || s.failures > 0
    if (failed) bad++
    const failuresText = s ? String(s.failures) : `did not finish (exit ${row.exit})`
    console.log(`${row.name.padEnd(20)} ${String(s?.inputs ?? "-").padStart(8)} ${String(s?.rate ?? "-").padStart(11)}  ${failuresText}`)
}
process.exit(bad > 0 ? 1 : 0)
