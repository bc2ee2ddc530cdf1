// A --test -k entry reading simEnv inside a test body (the harness's wrapper fills it).
import { describe, test, expect } from "@devicescript/test"
import { simEnv } from "../../../devs/sim-env"

describe("simEnv", () => {
    test("values from the harness arrive", () => {
        console.log("env greeting=" + simEnv["GREETING"] + " n=" + simEnv["N"])
        expect(simEnv["GREETING"]).toBe("hi there")
        expect(simEnv["N"]).toBe(7)
    })
})
