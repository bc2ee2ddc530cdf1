// StreamConnector over @devicescript/net's single socket.
//
// Why fibers: Socket.connect/send/recv are async in DeviceScript but Stream.write() is not, so
// - opening runs in its own fiber, then that fiber becomes the reader (recv -> onData);
// - write() only queues; one writer fiber at a time drains the queue. A packet is never split
//   across writes (two writes cost ~40 ms through Nagle); packets queued together are joined
//   into one send() up to COALESCE_MAX bytes.
// Every socket error ends up in onClose(reason), exactly once per stream: an exception escaping
// any fiber would panic the whole board.
import * as ds from "@devicescript/core"
import { connect, Socket } from "@devicescript/net"
import { Stream, StreamConnector, StreamEvents, StreamTarget } from "../src/io"

/** recv() waits this long at most, so a reader notices a local close() (which wakes nobody). */
const RECV_POLL_MS = 1000
/**
 * Largest write made of several queued packets. Fewer send() calls is what makes the writer fast
 * (each one crosses into the runtime; on ESP32 it takes one of 50 queue slots), and a TLS write on
 * ESP32 must stay under the 4 KB mbedTLS record, so joined writes stay well below it.
 */
const COALESCE_MAX = 1024
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

    /**
     * The one writer: sends queued packets in order until the queue is empty. Packets queued
     * together go out in one send() (never a packet split across two), up to COALESCE_MAX bytes.
     */
    private async drain(): Promise<void> {
        try {
            while (!this.closed && this.queue.length > 0) {
                const sock = this.socket
                await sock.send(this.takeBatch())
            }
        } catch (e) {
            this.writing = false
            await this.fail("send failed: " + reasonOf(e))
            return
        }
        this.writing = false
    }

    /** The next queued packet, or several whole packets joined if they fit in COALESCE_MAX. */
    private takeBatch(): Buffer {
        const q = this.queue
        let n = 1
        let bytes = q[0].length
        while (n < q.length && bytes + q[n].length <= COALESCE_MAX) {
            bytes += q[n].length
            n++
        }
        if (n === 1) return q.shift()
        const out = Buffer.alloc(bytes)
        let off = 0
        for (let i = 0; i < n; i++) {
            out.set(q[i], off)
            off += q[i].length
        }
        q.insert(0, -n)
        return out
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
