// The fuzzers in CI: each runs a fixed seed for a small count (about a second each when idle) and
// must exit 0 with "0 failure(s)". The million-input runs are `npm run fuzz` (docs/fuzzing.md).
import { execFile } from "node:child_process"
import { join } from "node:path"
import { describe, expect, test } from "vitest"
import { parseSummary } from "../../../scripts/fuzz-lib"
import { FUZZERS } from "../../../scripts/fuzz-list"

const ROOT = join(__dirname, "../../..")
const TSX = join(ROOT, "node_modules/.bin/tsx")
const COUNT = 20_000
const SEED = 20261123

function run(name: string): Promise<{ code: number; out: string }> {
    return new Promise((resolve) => {
        execFile(
            TSX,
            [join(ROOT, "scripts", name + ".ts"), String(COUNT), String(SEED)],
            { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 },
            (err, stdout, stderr) => {
                const code = err ? (typeof err.code === "number" ? err.code : 1) : 0
                resolve({ code, out: stdout + stderr })
            }
        )
    })
}

describe("bounded fuzz runs (fixed seed)", () => {
    for (const name of FUZZERS) {
        test(`${name}: ${COUNT} inputs, seed ${SEED}, no failure`, async () => {
            const r = await run(name)
            const s = parseSummary(r.out)
            if (r.code !== 0 || !s) console.log(r.out.slice(-4000))
            expect(s?.name).toBe(name)
            expect(s?.inputs).toBe(COUNT)
            expect(s?.failures).toBe(0)
            expect(r.code).toBe(0)
        }, 60_000)
    }
})
