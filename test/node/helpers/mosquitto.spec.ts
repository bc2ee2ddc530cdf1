import { describe, expect, test } from "vitest"
import { execFileSync } from "node:child_process"
import { startMosquitto } from "../../helpers/mosquitto"

describe("mosquitto helper", () => {
    test("starts, keeps a retained message across a restart, and stops", async () => {
        const broker = await startMosquitto()
        try {
            // QoS 1: mosquitto_pub returns after the PUBACK, so the broker holds the message before
            // SIGTERM. At QoS 0 a loaded machine delivered the signal first and the message was lost.
            const pub = ["-h", broker.host, "-p", String(broker.port), "-t", "helper/check", "-r", "-q", "1", "-m", "kept"]
            execFileSync("mosquitto_pub", pub)
            await broker.stop()
            await broker.start()
            const got = execFileSync("mosquitto_sub", [
                "-h",
                broker.host,
                "-p",
                String(broker.port),
                "-t",
                "helper/check",
                "-C",
                "1",
                "-W",
                "5",
            ])
            expect(got.toString().trim()).toBe("kept")
        } finally {
            await broker.stop()
        }
    })
})
