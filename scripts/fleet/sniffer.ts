// The broker's view of the CoAP traffic, for ./diagnose: a QoS 0 subscriber to every board's
// request and response topic (QoS 0 so that a NATS cluster backs it with no JetStream consumer)
// that notes when each token passed through the broker.
import { connectNode } from "../../src/host/mqtt"

export interface Sniffer {
    /** token hex -> when the request, and its response, reached the sniffer (Date.now()). */
    seen: Map<string, { req?: number; res?: number }>
    /** Board id -> the requests to it the broker passed on: token hex and when. */
    requests: Map<string, { token: string; at: number }[]>
    ready(): boolean
    stop(): void
}

export function startSniffer(url: string): Sniffer {
    const client = connectNode({ url, clientId: "fleet-sniffer", keepalive: 10, reconnectPeriod: 200, reconnectPeriodMax: 2000 })
    let subscribed = false
    const seen = new Map<string, { req?: number; res?: number }>()
    const requests = new Map<string, { token: string; at: number }[]>()
    client.on("error", () => {})
    client.on("close", () => (subscribed = false))
    client.on("connect", () =>
        client.subscribeNoWait(["devices/+/coap/req", "devices/+/coap/res"], { qos: 0 }, (err?: Error) => (subscribed = !err))
    )
    client.on("message", (topic: string, f: Buffer) => {
        if (f.length < 2) return
        const len = f[0] >> 4
        const at = 1 + (len === 13 ? 1 : len === 14 ? 2 : len === 15 ? 4 : 0) + 1
        const token = f.subarray(at, at + (f[0] & 15)).toString("hex")
        let e = seen.get(token)
        if (!e) seen.set(token, (e = {}))
        if (topic.endsWith("/req")) {
            e.req ??= Date.now()
            const id = topic.split("/")[1]
            let list = requests.get(id)
            if (!list) requests.set(id, (list = []))
            list.push({ token, at: Date.now() })
        } else e.res ??= Date.now()
    })
    return { seen, requests, ready: () => subscribed && client.isConnected(), stop: () => client.end() }
}
