// A loopback TCP proxy in front of the broker, so a test can cut or freeze one client's link
// without touching the broker: freeze() stops forwarding client->broker bytes (they are held,
// never delivered), which models a broker that stopped reading; cut() destroys every connection.

import { createServer, connect, Server, Socket } from "node:net"
import { holds } from "../../helpers/wait"

export interface Proxy {
    port: number
    /** Hold client->broker bytes from now on (the broker never sees them). */
    freeze(): void
    /** Forward again for new connections (held bytes of old ones are discarded with them). */
    thaw(): void
    /** Destroy all current connections, both sides. */
    cut(): void
    /** Black-hole both directions while keeping the sockets open (a half-open link). */
    blackhole(on: boolean): void
    close(): Promise<void>
    connections(): number
}

export function startProxy(targetPort: number): Promise<Proxy> {
    const pairs: Array<[Socket, Socket]> = []
    let frozen = false
    let dark = false
    const server: Server = createServer((client) => {
        client.setNoDelay(true)
        const upstream = connect({ host: "127.0.0.1", port: targetPort })
        upstream.setNoDelay(true)
        const pair: [Socket, Socket] = [client, upstream]
        pairs.push(pair)
        client.on("data", (d) => {
            if (!frozen && !dark) upstream.write(d)
        })
        upstream.on("data", (d) => {
            if (!dark) client.write(d)
        })
        const done = () => {
            client.destroy()
            upstream.destroy()
            const i = pairs.indexOf(pair)
            if (i >= 0) pairs.splice(i, 1)
        }
        client.on("close", done)
        upstream.on("close", done)
        client.on("error", () => undefined)
        upstream.on("error", () => undefined)
    })
    return new Promise((resolve) => {
        server.listen(0, "127.0.0.1", () => {
            const addr = server.address()
            const port = typeof addr === "object" && addr ? addr.port : 0
            resolve({
                port,
                freeze: () => (frozen = true),
                thaw: () => (frozen = false),
                blackhole: (on: boolean) => (dark = on),
                cut: () => {
                    for (const [a, b] of pairs.slice()) {
                        a.destroy()
                        b.destroy()
                    }
                },
                connections: () => pairs.length,
                close: () =>
                    new Promise<void>((r) => {
                        for (const [a, b] of pairs.slice()) {
                            a.destroy()
                            b.destroy()
                        }
                        server.close(() => r())
                    }),
            })
        })
    })
}

/** Polls cond until true or timeout; returns cond's last value (assert on it). */
export const until = holds
