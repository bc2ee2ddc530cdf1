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
import { close, connect, recv, Socket } from "./socket"
import { Payload, Stream, StreamConnector, StreamEvents, StreamTarget } from "../src/io"
import { utf8Length } from "../src/util/bytes"
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
 * (a PUBLISH's payload after its header, src/io.ts), or a text in parts, goes as its UTF-8 bytes,
 * copied into pieces of TEXT_PIECE bytes (blitAt counts bytes; a piece runs on into the next
 * part), so no Buffer of the whole text is made and the parts are never joined.
 */
export async function sendInPieces(sock: Sender, data: Payload): Promise<void> {
    const text = !(data instanceof Buffer)
    let parts = data as string[]
    if (typeof data === "string") parts = [data]
    let n = (data as Buffer).length
    let step = SEND_MAX
    if (text) {
        n = utf8Length(parts)
        step = TEXT_PIECE
    }
    // the part being copied, and the byte offset in it
    let i = 0
    let at = 0
    for (let off = 0; off < n; off += step) {
        const k = n - off < step ? n - off : step
        let piece = data as Buffer
        if (text) {
            piece = Buffer.alloc(k)
            for (let o = 0; o < k;) {
                const t = parts[i] as any
                let c = t.byteLength - at
                if (c > k - o) c = k - o
                piece.blitAt(o, t, at, c)
                o += c
                at += c
                if (at === t.byteLength) {
                    i++
                    at = 0
                }
            }
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

// The stream's steps are free functions, not methods: a method costs the board ~12 B more in the
// compiler-made prototype (docs/bytecode-size.md). Only the Stream interface's write() and close()
// are methods. The flags are declared, not initialised (undefined reads as false; each initialiser
// costs constructor bytecode).
export class DsNetStream implements Stream {
    declare socket: Socket
    queue: Payload[] = []
    declare writing: boolean
    declare closed: boolean
    declare reported: boolean
    /** Until this ds.millis() the VM is woken every ms (see REPLY_WATCH_MS); watching: that fiber runs. */
    declare watchUntil: number
    declare watching: boolean

    constructor(
        public target: StreamTarget,
        public events: StreamEvents
    ) {}

    write(data: Payload): void {
        if (this.closed) return
        this.queue.push(data)
        if (this.socket && !this.writing) {
            this.writing = true
            drain.start(this)
        }
    }

    /**
     * Stops writing and reading at once; onClose("closed") comes later, from another fiber, like a
     * Node socket's "close" event: the caller may be in the middle of its own state change.
     */
    close(): void {
        if (this.closed) return
        const sock = this.socket
        this.closed = true
        this.queue = null
        this.socket = undefined
        closeAndReport.start(this, sock)
    }
}

/**
 * Connects, then reads until the socket ends, handing each received chunk up in pieces of at
 * most RECV_PIECE bytes. Runs as the stream's own fiber.
 */
async function run(s: DsNetStream): Promise<void> {
    let sock: Socket
    try {
        sock = await connect({
            host: s.target.host,
            port: s.target.port,
            proto: s.target.tls ? "tls" : "tcp",
            timeout: CONNECT_TIMEOUT_MS,
        })
    } catch (e) {
        finish(s, "connect failed: " + errText(e))
        return
    }
    if (s.closed) {
        // close() came while connecting.
        await closeSocket(sock)
        return
    }
    s.socket = sock
    try {
        s.events.onOpen()
    } catch (e) {
        await fail(s, "onOpen threw: " + errText(e))
        return
    }
    if (s.queue.length > 0) {
        s.writing = true
        drain.start(s)
    }
    while (!s.closed) {
        let chunk: Buffer
        try {
            chunk = await recv(sock, RECV_POLL_MS)
        } catch (e) {
            // "terminated" when another stream took the socket, or the socket's error text.
            if (!s.closed) finish(s, errText(e))
            return
        }
        if (chunk === null) {
            if (!s.closed) finish(s, "closed by peer")
            return
        }
        if (chunk === undefined || s.closed) continue
        const len = chunk.length
        for (let off = 0; off < len && !s.closed; off += RECV_PIECE) {
            if (off > 0) await ds.sleep(0)
            const end = Math.min(off + RECV_PIECE, len)
            try {
                s.events.onData(off === 0 && end === len ? chunk : chunk.slice(off, end))
            } catch (e) {
                await fail(s, "onData threw: " + errText(e))
                return
            }
        }
        await ds.sleep(0)
    }
}

/**
 * The one writer: sends queued packets in order until the queue is empty. Packets queued
 * together go out in one send() (never a packet split across two), up to COALESCE_MAX bytes;
 * text alone.
 */
async function drain(s: DsNetStream): Promise<void> {
    try {
        while (!s.closed && s.queue.length > 0) {
            const q = s.queue
            let n = 1
            let bytes = q[0].length
            while (n < q.length && q[0] instanceof Buffer && q[n] instanceof Buffer && bytes + q[n].length <= COALESCE_MAX) {
                bytes += q[n].length
                n++
            }
            let batch: Payload
            if (n === 1) batch = q.shift()
            else {
                // the runtime's concat: faster than a copy loop in bytecode (bench --phases pieces)
                batch = Buffer.concat(...(q.slice(0, n) as Buffer[]))
                q.insert(0, -n)
            }
            await sendInPieces(s.socket, batch)
            s.watchUntil = ds.millis() + REPLY_WATCH_MS
            if (!s.watching) {
                s.watching = true
                watchForReply.start(s)
            }
        }
    } catch (e) {
        s.writing = false
        await fail(s, "send failed: " + errText(e))
        return
    }
    s.writing = false
}

/** Sleeps 1 ms at a time until REPLY_WATCH_MS after the last send(): each wake lets the VM read the socket. */
async function watchForReply(s: DsNetStream): Promise<void> {
    while (!s.closed && ds.millis() < s.watchUntil) await ds.sleep(1)
    s.watching = false
}

/** After close(): releases the socket, then reports "closed". */
async function closeAndReport(s: DsNetStream, sock: Socket): Promise<void> {
    if (sock) await closeSocket(sock)
    finish(s, "closed")
}

async function fail(s: DsNetStream, reason: string): Promise<void> {
    const sock = s.socket
    finish(s, reason)
    if (sock) await closeSocket(sock)
}

async function closeSocket(sock: Socket): Promise<void> {
    try {
        await close(sock)
    } catch (e) {
        // Already gone; nothing else to release.
    }
}

/** Marks the stream closed and reports it (once per stream). */
function finish(s: DsNetStream, reason: string): void {
    s.closed = true
    s.queue = null
    s.socket = undefined
    if (s.reported) return
    s.reported = true
    try {
        s.events.onClose(reason)
    } catch (e) {
        // Nothing above us to tell; an escaping exception would panic the board.
        console.log("net-stream: onClose threw: " + errText(e))
    }
}

/**
 * The board's socket as a StreamConnector. Opening a stream ends the previous one ("terminated").
 * An object literal, not a class: no constructor or prototype in the image.
 */
export const dsNetConnector: StreamConnector = {
    open: function (target: StreamTarget, events: StreamEvents): Stream {
        const s = new DsNetStream(target, events)
        run.start(s)
        return s
    },
}
