// StreamConnector over node:net / node:tls. Nagle is off (setNoDelay) because the client writes
// each packet in one call and a small ack must not wait 40 ms behind the previous write.

import { connect as netConnect, isIP, Socket } from "node:net"
import { connect as tlsConnect, ConnectionOptions } from "node:tls"
import { Payload, Stream, StreamConnector, StreamEvents, StreamTarget } from "../io"

export interface NodeTlsOptions {
    /** Extra trusted CA certificate(s), PEM. */
    ca?: string | Buffer | Array<string | Buffer>
    /** Client certificate and key, PEM (mutual TLS). */
    cert?: string | Buffer
    key?: string | Buffer
    /** Default true; false accepts any server certificate (tests only). */
    rejectUnauthorized?: boolean
    /** SNI / certificate name; default the host (unless it is an IP address). */
    servername?: string
}

class NodeStream implements Stream {
    private socket: Socket
    private closed: boolean

    constructor(socket: Socket) {
        this.socket = socket
        this.closed = false
    }

    write(data: Payload): void {
        if (this.closed || this.socket.destroyed) return
        // one write for a text in parts, as for any packet: Node's heap has room for the joined text
        this.socket.write(Array.isArray(data) ? data.join("") : data)
    }

    close(): void {
        if (this.closed) return
        this.closed = true
        // end() lets a final DISCONNECT reach the broker; destroy() later in case the peer is gone (half-open)
        this.socket.end()
        const s = this.socket
        setTimeout(() => s.destroy(), 1000).unref()
    }

    /** Test hook: drop the connection abruptly, as a crash or a pulled cable would (no DISCONNECT). */
    destroy(): void {
        this.closed = true
        this.socket.destroy()
    }
}

export class NodeStreamConnector implements StreamConnector {
    private tlsOptions: NodeTlsOptions
    /** The most recent stream (tests use it to kill the link). */
    last: NodeStream | undefined

    constructor(tlsOptions: NodeTlsOptions = {}) {
        this.tlsOptions = tlsOptions
    }

    open(target: StreamTarget, events: StreamEvents): Stream {
        let socket: Socket
        if (target.tls) {
            const o: ConnectionOptions = {
                host: target.host,
                port: target.port,
                ca: this.tlsOptions.ca,
                cert: this.tlsOptions.cert,
                key: this.tlsOptions.key,
                rejectUnauthorized: this.tlsOptions.rejectUnauthorized ?? true,
            }
            const sni = this.tlsOptions.servername ?? (isIP(target.host) ? undefined : target.host)
            if (sni) o.servername = sni
            socket = tlsConnect(o)
            socket.once("secureConnect", () => events.onOpen())
        } else {
            socket = netConnect({ host: target.host, port: target.port })
            socket.once("connect", () => events.onOpen())
        }
        socket.setNoDelay(true)
        let reason = "connection closed"
        socket.on("data", (chunk: Buffer) => events.onData(chunk))
        socket.on("error", (e: Error) => {
            reason = e.message
        })
        socket.once("close", () => events.onClose(reason))
        const stream = new NodeStream(socket)
        this.last = stream
        return stream
    }
}
