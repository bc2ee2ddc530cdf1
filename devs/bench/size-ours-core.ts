// Built (not run) by bench/run.ts: MqttClientCore (QoS 0/1, what the firmware links) doing the
// stock client's job in size-stock.ts, for an like-for-like bytecode comparison.
import * as ds from "@devicescript/core"
import { MqttClientCore } from "../../src/mqtt/client/client-core"
import { SessionState } from "../../src/mqtt/session/session-core"
import { dsClock } from "../clock"
import { dsCompletions } from "../completion"
import { dsNetConnector } from "../net-stream"
import { dsRandom } from "../random"

const client = new MqttClientCore(
    { host: "127.0.0.1", port: 1883, clientId: "size" },
    { connector: dsNetConnector, clock: dsClock, random: dsRandom, completions: dsCompletions }
)
client.on("message", (topic: string, payload: Buffer) => console.log(topic))
client.start()
while (client.session.state !== SessionState.CONNECTED) await ds.sleep(10)
await client.subscribe("a/#", { qos: 1 })
await client.publish("a/b", "x", { qos: 0 })
await client.publish("a/b", "x", { qos: 1 })
