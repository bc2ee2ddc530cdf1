// A short soak of the firmware in the simulator (scripts/soak.ts with 1,000 requests, ~45 s with
// start-up): every due JSON-RPC reply exactly once and right, no notification answered,
// telemetry flowing, no panic, no restart. The 20,000-request soak is `npm run soak`.
import { expect, test } from "vitest"
import { formatSoak, runSoak } from "../../scripts/soak"

test("firmware soak, 1,000 requests in, replies and telemetry out", async () => {
    const r = await runSoak({ requests: 1000, log: () => {} })
    console.log(formatSoak(r))
    if (!r.ok) console.log(r.logTail)
    expect(r.problems).toEqual([])
    expect(r.answered).toBe(r.due)
    expect(r.panic).toBe(undefined)
    expect(r.starts).toBe(1)
    expect(r.ok).toBe(true)
}, 300_000)
