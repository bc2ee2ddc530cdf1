// Built (not run) by bench/run.ts to measure the bytecode of the client a firmware links in:
// connect, publish at every QoS, subscribe with a handler, unsubscribe, end.
import { connectMqtt } from "../mqtt"

const client = connectMqtt({ host: "127.0.0.1", port: 1883, clientId: "size" })
client.on("message", (topic: string, payload: Buffer) => console.log(topic))
await client.whenConnected()
await client.subscribe("a/#", { qos: 1, onMessage: (t: string, p: Buffer) => console.log(t) })
await client.publish("a/b", "x", { qos: 0 })
await client.publish("a/b", "x", { qos: 1 })
await client.publish("a/b", "x", { qos: 2 })
client.publishNoWait("a/b", "x", { qos: 1 }, (err: Error) => console.log("done"))
await client.flush()
await client.unsubscribe("a/#")
client.end()
