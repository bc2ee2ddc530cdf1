// StreamConnector over the board's single socket (devs/socket.ts).
//
// Why fibers: Socket.connect/send/recv are async in DeviceScript but Stream.write() is not, so
// - opening runs in its own fiber, then that fiber becomes the reader (recv -> onData);
// - write() only queues; one writer fiber at a time drains the queue. A packet is not split
//   across writes (two writes cost ~40 ms through Nagle) unless it is larger than SEND_MAX;
//   packets queued together are joined into one send() up to COALESCE_MAX bytes.
// - received bytes go up in pieces of at most RECV_PIECE with a yield between them: the client
//   decodes a piece synchronously, and a 20 KB burst decoded in one VM turn ran past the ~128k-op
//   watchdog (InfiniteLoop panic, found by the fault and firmware tests), and so did a 512-byte
//   piece holding 128 PUBACKs of a 128-message window (each one completes a publish and sends the
//   next; test/e2e/mqtt-window.spec.ts);
// - after each send() the VM is woken every millisecond for a short while (see REPLY_WATCH_MS):
//   the simulator runs the program only when a timer is due (at most every 10 ms when nothing
//   is), so a reply that arrived at once waited up to 10 ms to be read, and pipelined QoS 1 went
//   at one in-flight window per 10-20 ms.
// Every socket error ends up in onClose(reason), exactly once per stream: an exception escaping
// any fiber would panic the whole board.
import * as ds from "@devicescript/core"
import { connect, Socket } from "./socket"
import { Stream, StreamConnector, StreamEvents, StreamTarget } from "../src/io"
import { errText } from "./err-text"

/**
 * Largest single send(). On ESP32 a TLS write larger than mbedTLS's output record (4 KB by default
 * in ESP-IDF, and smaller when a build shrinks it to save RAM) hits a firmware assert, so every send
 * stays at 1 KB: well under that record, the same as the coalescing limit (COALESCE_MAX), and
 * the size the runtime's own recv() hands out. Only a packet larger than this is ever cut.
 */
export const SEND_MAX = 1024
/**
 * Piece of a text payload per send(): small, because what the text is sent as must be allocated
 * while the heap is at its most fragmented (a reply is being sent); with 1 KB pieces and 18 KB of
 * the heap held by the soak's ballast, no free block of 1 KB was left (docs/faults.md, "Memory").
 */
const TEXT_PIECE = 256
/**
 * The ESP32 runtime queues writes (50 entries) and throws "send error -1" when the queue is full;
 * such a send is retried after 10, 20, 40 ... ms, up to this much waiting in all, before the link
 * is given up.
 */
const SEND_RETRY_MS = 5000

/** Anything with the Socket's send (tests pass a fake that enforces the ESP32's limits). */
export interface Sender {
    send(buf: Buffer): Promise<void>
}

/**
 * Sends data in pieces of at most SEND_MAX bytes, retrying a full send queue with backoff. Text
 * (a PUBLISH's payload after its header, src/io.ts) goes as its UTF-8 bytes, copied into pieces
 * of TEXT_PIECE bytes (blitAt counts bytes), so no Buffer of the whole text is made.
 */
export async function sendInPieces(sock: Sender, data: Buffer | string): Promise<void> {
    const text = typeof data === "string"
    // a DeviceScript string's byteLength: its UTF-8 size
    const n = text ? (data as any).byteLength : (data as Buffer).length
    const step = text ? TEXT_PIECE : SEND_MAX
    for (let off = 0; off < n; off += step) {
        const k = n - off < step ? n - off : step
        let piece = data as Buffer
        if (text) {
            piece = Buffer.alloc(k)
            piece.blitAt(0, data as any, off, k)
        } else if (n > SEND_MAX) piece = piece.slice(off, off + k)
        for (let wait = 10; ; wait *= 2) {
            try {
                await sock.send(piece)
                break
            } catch (e) {
                if (wait > SEND_RETRY_MS || errText(e).indexOf("send error -1") < 0) throw e
                await ds.sleep(wait)
            }
        }
    }
}

/** recv() waits this long at most, so a reader notices a local close() (which wakes nobody). */
const RECV_POLL_MS = 1000
/**
 * Largest write made of several queued packets. Fewer send() calls is what makes the writer fast
 * (each one crosses into the runtime; on ESP32 it takes one of 50 queue slots), and a TLS write on
 * ESP32 must stay under the 4 KB mbedTLS record, so joined writes stay well below it.
 */
const COALESCE_MAX = 1024
/** Largest piece of received bytes handed up in one VM turn (see the header): at most 32 acks. */
const RECV_PIECE = 128
/**
 * How long after a send() the VM is woken every millisecond, so that the reply (PUBACK, SUBACK,
 * an echo) is read when it arrives rather than at the next 10 ms tick. Measured in the simulator
 * (bench, window 16): pipelined QoS 1 from 600 to 2,300 msg/s. Costs nothing while the link is
 * idle; a board that sends continuously wakes every ms (not measured on hardware).
 */
const REPLY_WATCH_MS = 20
/** Socket.connect's own timeout. */
const CONNECT_TIMEOUT_MS = 30000

export class DsNetStream implements Stream {
    private socket: Socket = undefined
    private queue: (Buffer | string)[] = []
    private writing = false
    private closed = false
    private reported = false
    /** Until this ds.millis() the VM is woken every ms (see REPLY_WATCH_MS); watching: that fiber runs. */
    private watchUntil = 0
    private watching = false

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
            this.finish("connect failed: " + errText(e))
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
            await this.fail("onOpen threw: " + errText(e))
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
                if (!this.closed) this.finish(errText(e))
                return
            }
            if (chunk === null) {
                if (!this.closed) this.finish("closed by peer")
                return
            }
            if (chunk === undefined || this.closed) continue
            if (!(await this.deliver(chunk))) return
            await ds.sleep(0)
        }
    }

    /** Hands a received chunk up in pieces; false when the stream ended on the way. */
    private async deliver(chunk: Buffer): Promise<boolean> {
        const len = chunk.length
        for (let off = 0; off < len && !this.closed; off += RECV_PIECE) {
            if (off > 0) await ds.sleep(0)
            const end = Math.min(off + RECV_PIECE, len)
            try {
                this.events.onData(off === 0 && end === len ? chunk : chunk.slice(off, end))
            } catch (e) {
                await this.fail("onData threw: " + errText(e))
                return false
            }
        }
        return true
    }

    write(data: Buffer | string): void {
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
                await sendInPieces(this.socket, this.takeBatch())
                this.watchUntil = ds.millis() + REPLY_WATCH_MS
                if (!this.watching) {
                    this.watching = true
                    this.watchForReply.start()
                }
            }
        } catch (e) {
            this.writing = false
            await this.fail("send failed: " + errText(e))
            return
        }
        this.writing = false
    }

    /** Sleeps 1 ms at a time until REPLY_WATCH_MS after the last send(): each wake lets the VM read the socket. */
    private async watchForReply(): Promise<void> {
        while (!this.closed && ds.millis() < this.watchUntil) await ds.sleep(1)
        this.watching = false
    }

    /** The next queued packet, or several whole packets joined if they fit in COALESCE_MAX; text alone. */
    private takeBatch(): Buffer | string {
        const q = this.queue
        let n = 1
        let bytes = q[0].length
        while (n < q.length && typeof q[0] !== "string" && typeof q[n] !== "string" && bytes + q[n].length <= COALESCE_MAX) {
            bytes += q[n].length
            n++
        }
        if (n === 1) return q.shift()
        // the runtime's concat: faster than a copy loop in bytecode (bench --phases pieces)
        const out = Buffer.concat(...(q.slice(0, n) as Buffer[]))
        q.insert(0, -n)
        return out
    }

    /**
     * Stops writing and reading at once; onClose("closed") comes later, from another fiber, like a
     * Node socket's "close" event: the caller may be in the middle of its own state change.
     */
    close(): void {
        if (this.closed) return
        const sock = this.socket
        this.markClosed()
        this.closeAndReport.start(sock)
    }

    private async closeAndReport(sock: Socket): Promise<void> {
        if (sock) await this.closeSocket(sock)
        this.report("closed")
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

    /** Marks the stream closed and reports it (once per stream). */
    private finish(reason: string): void {
        this.markClosed()
        this.report(reason)
    }

    private markClosed(): void {
        this.closed = true
        this.queue = null
        this.socket = undefined
    }

    private report(reason: string): void {
        if (this.reported) return
        this.reported = true
        try {
            this.events.onClose(reason)
        } catch (e) {
            // Nothing above us to tell; an escaping exception would panic the board.
            console.log("net-stream: onClose threw: " + errText(e))
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
