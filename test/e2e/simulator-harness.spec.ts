import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { runTestEntry, startSimulator, type Simulator } from "../helpers/simulator"

describe("simulator harness, non-test mode", () => {
    let sim: Simulator
    beforeAll(async () => {
        sim = await startSimulator()
    }, 600_000)
    afterAll(async () => {
        await sim?.stop()
    })

    test("settings and the device id reach the simulated board", async () => {
        const run = await sim.run("test/devs/probes/settings-probe.ts", {
            settings: { PROBE_TEXT: "from-test", PROBE_NUM: 4242 },
            deviceId: "0123456789abcdef",
        })
        await run.log.waitFor(/^probe id=0123456789abcdef$/, 30_000)
        await run.log.waitFor(/^probe text=from-test num=4242 type=number$/, 10_000)
        await run.log.waitFor(/^probe tick \d+/, 10_000)
        await run.stop()
        expect(run.log.exitCode).not.toBe(undefined)
    }, 60_000)

    test("a new run starts from a clean flash: no leftover settings", async () => {
        const run = await sim.run("test/devs/probes/settings-probe.ts", { applyEnvFiles: false })
        await run.log.waitFor(/^probe text=unset num=-1/, 30_000)
    }, 60_000)

    test("waitFor rejects on timeout with the log tail", async () => {
        const run = await sim.run("test/devs/probes/settings-probe.ts", { applyEnvFiles: false })
        await run.log.waitFor(/^probe tick/, 30_000)
        await expect(run.log.waitFor(/^never printed$/, 300)).rejects.toThrow(/timeout.*probe tick/s)
    }, 60_000)
})

describe("simulator harness, test mode", () => {
    test("simEnv values reach a --test -k entry", async () => {
        const r = await runTestEntry("test/devs/probes/env-probe.ts", { env: { GREETING: "hi there", N: 7 } })
        expect(r.log.find(/^env greeting=hi there n=7$/)).toBeTruthy()
        expect(r.code).toBe(0)
    }, 60_000)

    test("a failing expectation gives exit code 1", async () => {
        const r = await runTestEntry("test/devs/probes/env-probe.ts", { env: { GREETING: "other", N: 7 } })
        expect(r.code).toBe(1)
    }, 60_000)
})
