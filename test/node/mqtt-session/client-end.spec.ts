// MqttClient.end() and the promises waiting for a connection: both settle with CLIENT_ENDED.
import { describe, expect, test } from "vitest"
import { Stream, StreamConnector, StreamEvents, StreamTarget } from "../../../src/io"
import { connect } from "../../../src/mqtt/client/client"
import { nodeClock, nodeCompletions, nodeRandom } from "../../../src/host/node-platform"
import { untilValue } from "../../helpers/wait"

/** A link that never opens: the client stays in its first attempt. */
class SilentConnector implements StreamConnector {
    open(target: StreamTarget, events: StreamEvents): Stream {
        return { write: () => {}, close: () => {} }
    }
}

/** How p settled; "still pending" if it has not after a generous wait (a hang, not a slow machine). */
async function outcome(p: Promise<void>): Promise<string> {
    let settled: string | undefined
    p.then(
        () => (settled = "resolved"),
        (e) => (settled = "rejected " + (e.code ?? e.message))
    )
    return untilValue(() => settled, 5000, "the promise to settle").catch(() => "still pending")
}

describe("MqttClient.end() settles whoever waits for a connection", () => {
    test("a whenConnected() made before end() rejects CLIENT_ENDED, and so does one made after", async () => {
        const client = connect(
            { host: "h", clientId: "c" },
            { connector: new SilentConnector(), clock: nodeClock, random: nodeRandom, completions: nodeCompletions }
        )
        const before = outcome(client.whenConnected())
        client.end()
        expect(await before).toBe("rejected CLIENT_ENDED")
        expect(await outcome(client.whenConnected())).toBe("rejected CLIENT_ENDED")
    })
})
