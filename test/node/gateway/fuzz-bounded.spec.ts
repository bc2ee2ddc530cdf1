// The gateway fuzzer (scripts/fuzz-gateway.ts) in CI: a fixed seed and a few thousand inputs over
// real sockets and a real Mosquitto, split over the HTTP, UDP CoAP, coap+tcp and MQTT fronts, with
// known-good requests answered after each batch. It must exit 0 with "0 failure(s)". The
// million-input run is `npm run fuzz` (docs/fuzzing.md).
import { execFile } from "node:child_process"
import { join } from "node:path"
import { expect, test } from "vitest"
import { parseSummary } from "../../../scripts/fuzz-lib"

const ROOT = join(__dirname, "../../..")
const TSX = join(ROOT, "node_modules/.bin/tsx")
const COUNT = 5000
const SEED = 20261207

test(`fuzz-gateway: ${COUNT} inputs, seed ${SEED}, no failure and the gateway still answers`, async () => {
    const r = await new Promise<{ code: number; out: string }>((resolve) => {
        execFile(
            TSX,
            [join(ROOT, "scripts", "fuzz-gateway.ts"), String(COUNT), String(SEED)],
            { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 },
            (err, stdout, stderr) => {
                const code = err ? (typeof err.code === "number" ? err.code : 1) : 0
                resolve({ code, out: stdout + stderr })
            }
        )
    })
    const s = parseSummary(r.out)
    if (r.code !== 0 || !s) console.log(r.out.slice(-4000))
    expect(s?.name).toBe("fuzz-gateway")
    expect(s?.inputs).toBe(COUNT)
    expect(s?.failures).toBe(0)
    expect(r.out).toMatch(/known-good checks, boundary faults 0/)
    expect(r.code).toBe(0)
}, 120_000)
