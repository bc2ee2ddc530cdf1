// The board's one TCP/TLS socket over the runtime's socket calls: the part of @devicescript/net's
// Socket that net-stream.ts uses (connect, recv, send, close), with its behaviour and error texts
// ("socket tcp://host:port: terminated", "... send error -1", "... Timeout"), without its
// readLine, its four public event emitters and its debug log of every event (about 1 KB of image).
import * as ds from "@devicescript/core"

type SocketEvent = "open" | "close" | "data" | "error"
type DsSockets = typeof ds & {
    _socketOpen(host: string, port: number): number
    _socketClose(): number
    _socketWrite(buf: Buffer): number
    _socketOnEvent: (event: SocketEvent, arg?: Buffer | string) => void
}

export interface SocketOptions {
    host: string
    port: number
    proto: "tcp" | "tls"
    timeout: number
}

/** The open socket: the runtime has one, so opening another ends this one ("terminated"). */
let current: Socket = undefined

export class Socket {
    buffers: Buffer[] = []
    /**
     * Why the socket ended with an error, as thrown by recv(); closed: it ended. Declared, not
     * initialised (an initialiser costs constructor bytecode): undefined reads as "no error", "open".
     */
    declare error: string
    declare closed: boolean
    /** Emits on every event: true when open, false otherwise. */
    wake = ds.emitter<boolean>()

    constructor(public name: string) {}

    /** Sends `buf` whole; throws "send error <code>" (-1: the ESP32's write queue is full, after 10 ms). */
    async send(buf: Buffer): Promise<void> {
        if (this !== current) throw new Error(failure(this, "old socket used"))
        const r = (ds as DsSockets)._socketWrite(buf)
        if (r === 0) return
        if (r === -1) await ds.sleep(10)
        throw new Error(failure(this, "send error " + r))
    }
}

// recv and close are free functions, not methods: a method costs the board ~12 B more in the
// compiler-made prototype. send stays a method (net-stream's Sender, which tests fake).

/** The next received chunk of `s`; undefined after `timeout` ms, null once closed; throws the socket's error. */
export async function recv(s: Socket, timeout: number): Promise<Buffer> {
    for (;;) {
        if (s.buffers.length) return s.buffers.shift()
        if (s.error) throw new Error(s.error)
        if (s.closed) return null
        if ((await ds.wait(s.wake, timeout)) === undefined) return undefined
    }
}

/** Closes `s` if it is still the open socket. */
export async function close(s: Socket): Promise<void> {
    if (s !== current) return
    // the runtime's result is ignored: the socket is gone either way
    ;(ds as DsSockets)._socketClose()
    current = undefined
}

function failure(s: Socket, msg: string): string {
    return "socket " + s.name + ": " + msg
}

/** Ends `s`: with `msg`, recv() throws it; without, recv() returns null. */
function finish(s: Socket, msg: string): void {
    if (msg !== undefined) s.error = failure(s, msg)
    s.closed = true
    current = undefined
    s.wake.emit(false)
}

function onSocketEvent(event: SocketEvent, arg?: Buffer | string): void {
    const s = current
    if (!s) return
    if (event === "open") s.wake.emit(true)
    else if (event === "data") {
        s.buffers.push(arg as Buffer)
        s.wake.emit(false)
    } else finish(s, event === "error" ? arg + "" : undefined)
}

/** Opens the socket (ending the one open before) and waits for it; throws on error or timeout. */
export async function connect(o: SocketOptions): Promise<Socket> {
    ;(ds as DsSockets)._socketOnEvent = onSocketEvent
    if (current) finish(current, "terminated")
    const s = new Socket(o.proto + "://" + o.host + ":" + o.port)
    current = s
    const r = (ds as DsSockets)._socketOpen(o.host, o.proto === "tls" ? -o.port : o.port)
    if (r !== 0) {
        current = undefined
        throw new Error(failure(s, "can't connect: " + r))
    }
    const woken = await ds.wait(s.wake, o.timeout)
    if (s.error) throw new Error(s.error)
    if (woken === undefined) throw new Error(failure(s, "Timeout"))
    // woken by "open", or by data that came with it (a server that speaks first)
    if (s.closed) throw new Error(failure(s, "closed while connecting"))
    return s
}
