// A plain TCP echo server and a client for it, on loopback: the far end and the near end for the
// specs of the proxies in this folder (whatever the proxy does shows as a difference between what
// the client sent, what the echo server received and what came back).
import { connect, createServer, type Socket } from "node:net"
import { startFaultProxy, type FaultProxy } from "./fault-proxy"

export interface EchoServer {
    port: number
    /** Every chunk received, in order, over all connections. */
    chunks: Buffer[]
    /** The accepted connections, in order. */
    sockets: Socket[]
    /** Bytes received so far, over all connections. */
    received(): number
    close(): Promise<void>
}

export async function startEcho(): Promise<EchoServer> {
    const chunks: Buffer[] = []
    const sockets: Socket[] = []
    const server = createServer((s) => {
        sockets.push(s)
        s.on("error", () => {})
        s.on("data", (d: Buffer) => {
            chunks.push(d)
            s.write(d)
        })
    })
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()))
    return {
        port: (server.address() as { port: number }).port,
        chunks,
        sockets,
        received: () => chunks.reduce((n, c) => n + c.length, 0),
        close: async () => {
            for (const s of sockets) s.destroy()
            await new Promise((r) => server.close(r))
        },
    }
}

export interface EchoClient {
    s: Socket
    /** What came back, chunk by chunk. */
    got: Buffer[]
    /** Bytes that came back so far. */
    bytes(): number
    /** Resolves with the error code that ended the connection, or "closed". */
    closed: Promise<string>
}

/** Connects to 127.0.0.1:port with Nagle off, so each write leaves as its own segment. */
export function dial(port: number): Promise<EchoClient> {
    return new Promise((resolve, reject) => {
        const s = connect(port, "127.0.0.1")
        s.setNoDelay(true)
        const got: Buffer[] = []
        let n = 0
        let err = ""
        s.on("data", (d: Buffer) => {
            got.push(d)
            n += d.length
        })
        s.on("error", (e: NodeJS.ErrnoException) => (err = e.code ?? e.message))
        const closed = new Promise<string>((r) => s.once("close", () => r(err || "closed")))
        s.once("connect", () => resolve({ s, got, bytes: () => n, closed }))
        s.once("error", reject)
    })
}

/** A fresh echo server with a fresh fault proxy in front of it; close() stops the proxy, then the server. */
export async function startEchoBehindFaultProxy(): Promise<{ echo: EchoServer; proxy: FaultProxy; close(): Promise<void> }> {
    const echo = await startEcho()
    const proxy = await startFaultProxy(echo.port)
    return {
        echo,
        proxy,
        close: async () => {
            await proxy.close()
            await echo.close()
        },
    }
}
