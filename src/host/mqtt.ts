// connectNode(): the portable MqttClient wired to node:net / node:tls.

import { ClientOptions, connect, MqttClient } from "../mqtt/client/client"
import { invalid } from "../mqtt/session/session-errors"
import { otherCredentials, parseBrokerList } from "../config/broker-list"
import { parseUrlWithCredentials } from "../config/url"
import { BrokerDialler } from "../broker-dialler"
import { StreamConnector } from "../io"
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

/**
 * Creates a client and starts connecting (MQTT.js idiom: listen for "connect"). The url may list
 * several brokers separated by commas (the nodes of one cluster, src/config/broker-list.ts): each
 * new connection then goes to the next of them, with the client's usual backoff between attempts.
 */
export function connectNode(options: NodeClientOptions): MqttClient {
    const stream = options.connector ?? new NodeStreamConnector(options.tls ?? {})
    let connector: StreamConnector = stream
    let single = options
    const url = options.url
    if (url && url.indexOf(",") >= 0) {
        const list = parseBrokerList(url, ["mqtt", "mqtts", "tcp", "tls", "ssl"], parseUrlWithCredentials)
        if (typeof list === "string") throw invalid("url " + list)
        const other = otherCredentials(list)
        if (other) throw invalid("url " + other)
        if (options.host || options.port)
            throw invalid("url lists several brokers: give each its host and port in the list, not the host or port option")
        const proto = options.proto
        connector = new BrokerDialler(
            stream,
            list.map((e) => ({ host: e.host, port: e.port, tls: proto ? proto === "tls" : e.tls }))
        )
        // the session takes its credentials and its own (unused) target from the first entry
        single = { ...options, url: url.slice(0, url.indexOf(",")).trim() }
    }
    return connect(single, { connector, clock: nodeClock, random: nodeRandom, completions: nodeCompletions })
}

/**
 * Like connectNode, but resolves once connected and rejects (ending the client) if the first
 * attempt fails; with a list of brokers, once every broker of the list has failed one attempt.
 */
export async function connectNodeAsync(options: NodeClientOptions): Promise<MqttClient> {
    const client = connectNode(options)
    const brokers = options.url ? options.url.split(",").length : 1
    for (let failed = 1; ; failed++) {
        try {
            await client.whenConnected()
            return client
        } catch (e) {
            if (failed < brokers) continue
            client.end()
            throw e
        }
    }
}
