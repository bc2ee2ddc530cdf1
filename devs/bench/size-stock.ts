// Built (not run) by bench/run.ts: the stock client doing the same job (it has no QoS 2 and no
// unsubscribe), for the bytecode comparison.
import { startMQTTClient, MQTTMessage } from "@devicescript/net"

const client = await startMQTTClient({ host: "127.0.0.1", port: 1883, proto: "tcp", clientId: "size" })
client.onunhandledmessage.subscribe((m: MQTTMessage) => console.log(m.topic))
await client.subscribe("a/#", (m: MQTTMessage) => console.log(m.topic), 1)
await client.publish("a/b", "x", 0)
await client.publish("a/b", "x", 1)
await client.stop()
