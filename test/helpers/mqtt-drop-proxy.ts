// A TCP proxy on loopback between one MQTT client and a real broker that loses chosen PUBLISH
// packets on their way to the client, whole and silently, the way a broker that never delivered
// them would look from the client (a clustered broker can drop a retained message published while
// a subscription is being set up: docs/fleet.md, "Start-up"). Everything else passes unchanged,
// in order. The client -> broker direction is not parsed.
import { createServer, connect, type Server, type Socket } from "node:net"

export interface MqttDropProxy {
    port: number
    url: string
    /** Drops the next `count` PUBLISH packets to the client whose topic is `topic`. */
    dropPublishes(topic: string, count: number): void
    /** PUBLISH packets dropped so far. */
    dropped: number
    close(): Promise<void>
}

/** The topic of a PUBLISH frame (3.3.2.1: a 2-byte length, then UTF-8), after its fixed header at `body`. */
function publishTopic(frame: Buffer, body: number): string {
    if (frame.length < body + 2) return ""
    const n = frame.readUInt16BE(body)
    return frame.subarray(body + 2, body + 2 + n).toString("utf-8")
}

export async function startMqttDropProxy(brokerPort: number, brokerHost = "127.0.0.1"): Promise<MqttDropProxy> {
    const drops = new Map<string, number>()
    const sockets = new Set<Socket>()
    const proxy: MqttDropProxy = {
        port: 0,
        url: "",
        dropped: 0,
        dropPublishes(topic, count) {
            drops.set(topic, (drops.get(topic) ?? 0) + count)
        },
        close: () =>
            new Promise<void>((resolve) => {
                for (const s of sockets) s.destroy()
                server.close(() => resolve())
            }),
    }
    /** Passes the broker's bytes on frame by frame (2.2: type byte, remaining length), dropping what is asked. */
    function toClient(client: Socket): (d: Buffer) => void {
        let held: Buffer = Buffer.alloc(0)
        return (d: Buffer) => {
            held = held.length === 0 ? d : Buffer.concat([held, d])
            for (;;) {
                let len = 0
                let mul = 1
                let at = 1
                for (; at < held.length && at <= 4; at++) {
                    len += (held[at] & 0x7f) * mul
                    mul *= 128
                    if ((held[at] & 0x80) === 0) break
                }
                if (at >= held.length || at > 4) return
                const body = at + 1
                if (held.length < body + len) return
                const frame = held.subarray(0, body + len)
                held = held.subarray(body + len)
                if (frame[0] >> 4 === 3) {
                    const topic = publishTopic(frame, body)
                    const left = drops.get(topic) ?? 0
                    if (left > 0) {
                        drops.set(topic, left - 1)
                        proxy.dropped++
                        continue
                    }
                }
                client.write(frame)
            }
        }
    }
    const server: Server = createServer((client) => {
        const broker = connect(brokerPort, brokerHost)
        sockets.add(client)
        sockets.add(broker)
        client.on("data", (d) => broker.write(d))
        broker.on("data", toClient(client))
        const end = () => {
            client.destroy()
            broker.destroy()
            sockets.delete(client)
            sockets.delete(broker)
        }
        client.on("close", end)
        broker.on("close", end)
        client.on("error", end)
        broker.on("error", end)
    })
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()))
    const addr = server.address()
    proxy.port = typeof addr === "object" && addr ? addr.port : 0
    proxy.url = `mqtt://127.0.0.1:${proxy.port}`
    return proxy
}
