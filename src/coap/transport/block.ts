// Block-wise transfers (RFC 7959) as pure pieces the endpoint composes:
//   - Block2: which slice of a representation answers a request (2.2, 2.4), stateless, so a
//     server regenerates the representation per block (an ETag lets the client notice changes).
//   - Block1: putting a request body together from its blocks (2.3, 2.5), bounded in size,
//     number of transfers and time.

import { BlockValue, szxToSize } from "../codec/options"
import { bytesEqual, concatBytes, sliceBytes } from "../../util/bytes"

/** The slice of a representation a Block2 response carries. */
export interface Block2Slice {
    /** False when the requested block starts beyond the representation (answer 4.02). */
    ok: boolean
    block: BlockValue
    payload: Buffer
}

/**
 * RFC 7959 2.4: the block to send for `requested` (undefined when the request had no Block2:
 * then block 0 at the server's size, "late negotiation" by the client being possible later).
 * A client asking for a bigger size than `maxSzx` gets the server's size and the block number
 * scaled so the offset stays the same (2.4: the server may use a smaller size).
 */
export function sliceBlock2(body: Buffer, requested: BlockValue | undefined, maxSzx: number): Block2Slice {
    let szx = maxSzx
    let offset = 0
    if (requested !== undefined) {
        const reqSzx = requested.szx > 6 ? 6 : requested.szx
        if (reqSzx < szx) szx = reqSzx
        offset = requested.num * szxToSize(reqSzx)
    }
    const size = szxToSize(szx)
    const num = Math.floor(offset / size)
    if (offset > 0 && offset >= body.length) {
        return { ok: false, block: { num: num, more: false, szx: szx }, payload: Buffer.alloc(0) }
    }
    const end = offset + size < body.length ? offset + size : body.length
    return {
        ok: true,
        block: { num: num, more: end < body.length, szx: szx },
        payload: sliceBytes(body, offset, end),
    }
}

/** RFC 7959 2.2: does a body need Block2 at this size? */
export function needsBlock2(bodyLength: number, szx: number): boolean {
    return bodyLength > szxToSize(szx)
}

export const enum Block1Status {
    /** More blocks expected: answer 2.31 Continue (2.3). */
    Continue = 0,
    /** The last block arrived: the body is complete. */
    Complete = 1,
    /** A block out of order or for an unknown transfer: 4.08 Request Entity Incomplete (2.9.2). */
    Incomplete = 2,
    /** Over the size limit: 4.13 Request Entity Too Large with Size1 (2.9.3). */
    TooLarge = 3,
    /** A malformed block (wrong payload size for M=1, reserved SZX): 4.00. */
    BadBlock = 4,
}

export interface Block1Result {
    status: Block1Status
    /** The whole body, only with Complete. */
    body: Buffer | undefined
}

interface Transfer {
    key: string
    chunks: Buffer[]
    received: number
    /** Size of the last block taken, to recognise it when it comes again. */
    lastLength: number
    expires: number
}

/**
 * Collects Block1 request bodies. A transfer is keyed by the caller (client endpoint + method +
 * URI, 2.3: blocks of one body share them). Block 0 starts (or restarts) a transfer; every later
 * block must continue exactly where the previous one ended, whatever its size (the client may
 * shrink the size after our 2.31 said so, 2.5), or repeat the last block byte for byte.
 */
export class Block1Assembler {
    private transfers: Transfer[]
    private maxTransfers: number
    private lifetime: number

    constructor(maxTransfers: number, lifetime: number) {
        this.transfers = []
        this.maxTransfers = maxTransfers
        this.lifetime = lifetime
    }

    add(key: string, block: BlockValue, payload: Buffer, now: number, maxBody: number): Block1Result {
        this.expire(now)
        if (block.szx > 6) return { status: Block1Status.BadBlock, body: undefined }
        const size = szxToSize(block.szx)
        if (block.more && payload.length !== size) {
            this.drop(key)
            return { status: Block1Status.BadBlock, body: undefined }
        }
        const offset = block.num * size
        let t = this.find(key)
        if (block.num === 0) {
            this.drop(key)
            t = { key: key, chunks: [], received: 0, lastLength: 0, expires: 0 }
            // bounded: the oldest unfinished transfer makes room for a new one
            while (this.transfers.length >= this.maxTransfers && this.transfers.length > 0) this.transfers.shift()
            if (this.maxTransfers > 0) this.transfers.push(t)
        }
        if (t !== undefined && block.num > 0 && block.more && t.chunks.length > 0 && offset === t.received - t.lastLength) {
            // the last block again, as a new message (our 2.31 got lost and the client's stack
            // re-sent it with a new Message ID, which the message layer's dedup cannot catch):
            // the same bytes are a repeat, answered 2.31 again (2.5); different bytes are not
            const last = t.chunks[t.chunks.length - 1]
            if (bytesEqual(last, payload)) {
                t.expires = now + this.lifetime
                return { status: Block1Status.Continue, body: undefined }
            }
        }
        if (t === undefined || offset !== t.received) {
            this.drop(key)
            return { status: Block1Status.Incomplete, body: undefined }
        }
        if (t.received + payload.length > maxBody) {
            this.drop(key)
            return { status: Block1Status.TooLarge, body: undefined }
        }
        t.chunks.push(payload)
        t.received += payload.length
        t.lastLength = payload.length
        t.expires = now + this.lifetime
        if (block.more) return { status: Block1Status.Continue, body: undefined }
        this.drop(key)
        return { status: Block1Status.Complete, body: concatBytes(t.chunks) }
    }

    /** Forgets every transfer whose key starts with `prefix` (e.g. a peer that went away). */
    dropPrefix(prefix: string): void {
        const keep: Transfer[] = []
        for (const t of this.transfers) if (!t.key.startsWith(prefix)) keep.push(t)
        this.transfers = keep
    }

    count(): number {
        return this.transfers.length
    }

    private find(key: string): Transfer | undefined {
        for (const t of this.transfers) if (t.key === key) return t
        return undefined
    }

    private drop(key: string): void {
        const keep: Transfer[] = []
        for (const t of this.transfers) if (t.key !== key) keep.push(t)
        this.transfers = keep
    }

    private expire(now: number): void {
        const keep: Transfer[] = []
        for (const t of this.transfers) if (t.expires === 0 || t.expires > now) keep.push(t)
        this.transfers = keep
    }
}
