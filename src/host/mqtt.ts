// connectNode(): the portable MqttClient wired to node:net / node:tls.

import { ClientOptions, connect, MqttClient } from "../mqtt/client/client"
import { NodeStreamConnector, NodeTlsOptions } from "./node-stream"
import { nodeClock, nodeCompletions, nodeRandom } from "./node-platform"

export { MqttClient } from "../mqtt/client/client"
export { NodeStreamConnector } from "./node-stream"

export interface NodeClientOptions extends ClientOptions {
    /** TLS settings (CA, client cert, SNI) when proto is "tls" or the url is mqtts://. */
    tls?: NodeTlsOptions
    /** Use this connector instead of a fresh NodeStreamConnector (tests keep it to kill links). */
    connector?: NodeStreamConnector
}

/** Creates a client and starts connecting (MQTT.js idiom: listen for "connect"). */
export function connectNode(options: NodeClientOptions): MqttClient {
    const connector = options.connector ?? new NodeStreamConnector(options.tls ?? {})
    return connect(options, { connector, clock: nodeClock, random: nodeRandom, completions: nodeCompletions })
}

/** Like connectNode, but resolves once connected and rejects (ending the client) if the first attempt fails. */
export async function connectNodeAsync(options: NodeClientOptions): Promise<MqttClient> {
    const client = connectNode(options)
    try {
        await client.whenConnected()
    } catch (e) {
        client.end()
        throw e
    }
    return client
}
