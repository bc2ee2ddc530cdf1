// Hands received bytes to the MQTT client in pieces of at most PIECE bytes, with a real suspension
// (ds.sleep(0)) between pieces.
//
// WHY: the client decodes every packet of a chunk synchronously. In the simulator a burst of 200
// requests arrived as one ~20 KB chunk and decoding it ran past the VM's ~128k-op watchdog inside
// the codec (InfiniteLoop panic in sliceBytes <- decodePublish <- frames.next <- session.onData),
// which restarts the program and loses the queued requests. Pieces of 512 bytes keep each run short
// (and the number of requests decoded before the worker runs small). Order is kept: one fiber delivers, close is reported after the data.
// It also holds delivery while the application says it is busy (its request queue is full): the
// unread bytes then stay in the socket, the client sends no PUBACK for what it has not decoded,
// and the broker's in-flight window stops sending. Without that, a burst of requests filled the
// 64 KB heap (OutOfMemory) with queued request strings.
// (This belongs in devs/net-stream.ts; it lives here until that file does it.)
import * as ds from "@devicescript/core"
import { Stream, StreamConnector, StreamEvents, StreamTarget } from "../src/io"

const PIECE = 512
/** How often a held stream checks whether the application caught up. */
const HOLD_POLL_MS = 5

class Pacer {
    private queue: Buffer[] = []
    private running = false
    private closeReason: string = undefined
    stream: Stream = undefined

    constructor(private events: StreamEvents, private holdWhile: () => boolean) {}

    push(chunk: Buffer): void {
        this.queue.push(chunk)
        if (!this.running) {
            this.running = true
            this.drain.start()
        }
    }

    close(reason: string): void {
        if (this.running) this.closeReason = reason
        else this.events.onClose(reason)
    }

    private async drain(): Promise<void> {
        while (this.queue.length > 0) {
            const chunk = this.queue.shift()
            for (let off = 0; off < chunk.length; off += PIECE) {
                while (this.holdWhile && this.holdWhile()) await ds.sleep(HOLD_POLL_MS)
                const end = Math.min(chunk.length, off + PIECE)
                // DeviceScript's slice copies natively (and does not clamp `end`, hence the min).
                const piece = off === 0 && end === chunk.length ? chunk : chunk.slice(off, end)
                try {
                    this.events.onData(piece)
                } catch (e) {
                    console.log("net: onData threw: " + (e as Error)?.message)
                    this.queue = []
                    if (this.stream) this.stream.close()
                    break
                }
                await ds.sleep(0)
            }
        }
        this.running = false
        const r = this.closeReason
        if (r !== undefined) {
            this.closeReason = undefined
            try {
                this.events.onClose(r)
            } catch (e) {
                console.log("net: onClose threw: " + (e as Error)?.message)
            }
        }
    }
}

export class PacedConnector implements StreamConnector {
    /** holdWhile: while it returns true, no more bytes are handed to the client. */
    constructor(private inner: StreamConnector, private holdWhile?: () => boolean) {}

    open(target: StreamTarget, events: StreamEvents): Stream {
        const pacer = new Pacer(events, this.holdWhile)
        const stream = this.inner.open(target, {
            onOpen: () => {
                events.onOpen()
            },
            onData: (chunk: Buffer) => {
                pacer.push(chunk)
            },
            onClose: (reason: string) => {
                pacer.close(reason)
            },
        })
        pacer.stream = stream
        return stream
    }
}
