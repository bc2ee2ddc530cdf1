// The portable MQTT client (src/mqtt) on the board: only the wiring to the DeviceScript adapters.
//   const client = connectMqtt({ host, port, clientId })
//   await client.whenConnected()
//   await client.publish("t", "hello", { qos: 1 })
// Pipelining on the board: client.publishNoWait(...) per message, then await client.flush().
import { ClientOptions, connect, MqttClient } from "../src/mqtt/client/client"
import { dsClock } from "./clock"
import { dsCompletions } from "./completion"
import { dsNetConnector } from "./net-stream"
import { dsRandom } from "./random"

export { MqttClient, ClientOptions } from "../src/mqtt/client/client"

/** Creates a client over the board's socket and starts connecting (listen for "connect" or await whenConnected()). */
export function connectMqtt(options: ClientOptions): MqttClient {
    return connect(options, {
        connector: dsNetConnector,
        clock: dsClock,
        random: dsRandom,
        completions: dsCompletions,
    })
}
