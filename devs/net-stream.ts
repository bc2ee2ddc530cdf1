// StreamConnector over @devicescript/net's single socket.
//
// Why fibers: Socket.connect/send/recv are async in DeviceScript but Stream.write() is not, so
// - opening runs in its own fiber, then that fiber becomes the reader (recv -> onData);
// - write() only queues; one writer fiber at a time drains the queue, one send() per queued
//   packet, so a packet is never split across writes (two writes cost ~40 ms through Nagle).
// Every socket error ends up in onClose(reason), exactly once per stream: an exception escaping
// any fiber would panic the whole board.
import * as ds from "@devicescript/core"
import { connect, Socket } from "@devicescript/net"
import { Stream, StreamConnector, StreamEvents, StreamTarget } from "../src/io"

/** recv() waits this long at most, so a reader notices a local close() (which wakes nobody). */
const RECV_POLL_MS = 1000
/** Socket.connect's own timeout. */
const CONNECT_TIMEOUT_MS = 30000

function reasonOf(e: unknown): string {
    const m = (e as Error)?.message
    return m ? m : "" + e
}

export class DsNetStream implements Stream {
    private socket: Socket = undefined
    private queue: Buffer[] = []
    private writing = false
    private closed = false

    constructor(
        private target: StreamTarget,
        private events: StreamEvents
    ) {}

    /** Connects, then reads until the socket ends. Runs as its own fiber. */
    async run(): Promise<void> {
        let sock: Socket
        try {
            sock = await connect({
                host: this.target.host,
                port: this.target.port,
                proto: this.target.tls ? "tls" : "tcp",
                timeout: CONNECT_TIMEOUT_MS,
            })
        } catch (e) {
            this.finish("connect failed: " + reasonOf(e))
            return
        }
        if (this.closed) {
            // close() came while connecting.
            await this.closeSocket(sock)
            return
        }
        this.socket = sock
        try {
            this.events.onOpen()
        } catch (e) {
            await this.fail("onOpen threw: " + reasonOf(e))
            return
        }
        if (this.queue.length > 0) this.startWriter()
        await this.readLoop(sock)
    }

    private async readLoop(sock: Socket): Promise<void> {
        while (!this.closed) {
            let chunk: Buffer
            try {
                chunk = await sock.recv(RECV_POLL_MS)
            } catch (e) {
                // "terminated" when another stream took the socket, or the socket's error text.
                this.finish(reasonOf(e))
                return
            }
            if (chunk === null) {
                this.finish("closed by peer")
                return
            }
            if (chunk === undefined || this.closed) continue
            try {
                this.events.onData(chunk)
            } catch (e) {
                await this.fail("onData threw: " + reasonOf(e))
                return
            }
        }
    }

    write(data: Buffer): void {
        if (this.closed) return
        this.queue.push(data)
        if (this.socket && !this.writing) this.startWriter()
    }

    private startWriter(): void {
        this.writing = true
        this.drain.start()
    }

    /** The one writer: sends queued packets in order until the queue is empty. */
    private async drain(): Promise<void> {
        try {
            while (!this.closed && this.queue.length > 0) {
                const sock = this.socket
                await sock.send(this.queue.shift())
            }
        } catch (e) {
            this.writing = false
            await this.fail("send failed: " + reasonOf(e))
            return
        }
        this.writing = false
    }

    close(): void {
        if (this.closed) return
        const sock = this.socket
        this.finish("closed")
        if (sock) this.closeSocket.start(sock)
    }

    private async fail(reason: string): Promise<void> {
        const sock = this.socket
        this.finish(reason)
        if (sock) await this.closeSocket(sock)
    }

    private async closeSocket(sock: Socket): Promise<void> {
        try {
            await sock.close()
        } catch (e) {
            // Already gone; nothing else to release.
        }
    }

    /** Marks the stream closed and reports it, once. */
    private finish(reason: string): void {
        if (this.closed && this.queue === null) return
        this.closed = true
        this.queue = null
        this.socket = undefined
        try {
            this.events.onClose(reason)
        } catch (e) {
            console.log("net-stream: onClose threw: " + reasonOf(e))
        }
    }
}

/** The board's socket as a StreamConnector. Opening a stream ends the previous one ("terminated"). */
export class DsNetConnector implements StreamConnector {
    open(target: StreamTarget, events: StreamEvents): Stream {
        const s = new DsNetStream(target, events)
        s.run.start()
        return s
    }
}

export const dsNetConnector: StreamConnector = new DsNetConnector()
