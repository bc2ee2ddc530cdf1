// MqttClient.end() and the promises waiting for a connection: both settle with CLIENT_ENDED.
import { describe, expect, test } from "vitest"
import { Stream, StreamConnector, StreamEvents, StreamTarget } from "../../../src/io"
import { connect } from "../../../src/mqtt/client"
import { nodeClock, nodeCompletions, nodeRandom } from "../../../src/host/node-platform"

/** A link that never opens: the client stays in its first attempt. */
class SilentConnector implements StreamConnector {
    open(target: StreamTarget, events: StreamEvents): Stream {
        return { write: () => {}, close: () => {} }
    }
}

function outcome(p: Promise<void>): Promise<string> {
    return Promise.race([
        p.then(
            () => "resolved",
            (e) => "rejected " + (e.code ?? e.message)
        ),
        new Promise<string>((r) => setTimeout(() => r("still pending"), 200)),
    ])
}

describe("MqttClient.end() settles whoever waits for a connection", () => {
    test("a whenConnected() made before end() rejects CLIENT_ENDED, and so does one made after", async () => {
        const client = connect({ host: "h", clientId: "c" }, { connector: new SilentConnector(), clock: nodeClock, random: nodeRandom, completions: nodeCompletions })
        const before = outcome(client.whenConnected())
        client.end()
        expect(await before).toBe("rejected CLIENT_ENDED")
        expect(await outcome(client.whenConnected())).toBe("rejected CLIENT_ENDED")
    })
})
