// The small interfaces through which the portable core meets a platform.
// src/ never imports @devicescript/* or node:*; devs/ and src/host/ implement these.

/** Monotonic milliseconds; only differences matter. */
export interface Clock {
    now(): number
}

/** Uniform random numbers in [0, 1), for jitter and ids. */
export interface Random {
    next(): number
}

/** Where a stream transport connects. */
export interface StreamTarget {
    host: string
    port: number
    tls: boolean
}

/** What a stream transport reports. Each callback is called from the platform's event loop. */
export interface StreamEvents {
    onOpen(): void
    onData(chunk: Buffer): void
    /** Called once per stream, also when open fails; reason is human-readable. */
    onClose(reason: string): void
}

/**
 * A message's payload: bytes, a text (sent as its UTF-8 bytes), or a text in parts, sent one after
 * the other as if joined. Parts are never joined on the board: a JSON-RPC reply is its envelope
 * around a result that may be 1.6 KB (src/rpc/jsonrpc.ts), and the board's heap, which never moves
 * anything, runs out of blocks that large long before it runs out of bytes.
 */
export type Payload = Buffer | string | string[]

/** One connected byte stream (TCP or TLS). */
export interface Stream {
    /**
     * Queue bytes for sending; one call sends one packet in one socket write. A text (or a text in
     * parts) is the payload of the PUBLISH written just before it (its header alone), sent as its
     * UTF-8 bytes.
     */
    write(data: Payload): void
    close(): void
}

/** Opens streams. The board has exactly one socket, so a new stream ends the previous one. */
export interface StreamConnector {
    open(target: StreamTarget, events: StreamEvents): Stream
}

/**
 * A one-shot result a caller can await. Node implements it with a Promise, DeviceScript
 * (which has no Promise values) with a suspended fiber. Resolving or rejecting twice is ignored.
 */
export interface Completion<T> {
    wait(): Promise<T>
    resolve(value: T): void
    reject(error: Error): void
}

export interface CompletionFactory {
    create<T>(): Completion<T>
}
