// RFC 7641 server state: the list of observers (4.1), sequence numbers (4.4) and the rule for
// when a notification must be confirmable (4.5). Sending is the endpoint's job.

import type { CoapMessage } from "../codec/message"

/** RFC 7641 4.4: Observe values are 24-bit. */
export const OBSERVE_SEQ_MODULUS = 0x1000000

/** RFC 7641 4.5: a server must send a CON at least every 24 hours so dead observers get pruned. */
export const RFC7641_4_5_CON_INTERVAL_MS = 24 * 3600 * 1000

export interface Observer {
    /** peer + token: RFC 7641 4.1 keys an entry by client endpoint and token. */
    key: string
    peer: string
    token: Buffer
    path: string
    /** The registration request, replayed (as a GET without Observe) to build each notification. */
    request: CoapMessage
    /** Content-Format of the registration response (-1 when it had none): RFC 7641 4.2 / TD_COAP_OBS_08. */
    contentFormat: number
    /** NON notifications sent since the last CON. */
    nonSinceCon: number
    /** When the last CON notification (or the registration) was acknowledged. */
    lastConAt: number
    /** A notification is being produced (its handler may take time). Absent = false. */
    busy?: boolean
    /** The resource changed again while busy: produce one more notification afterwards. Absent = false. */
    dirty?: boolean
    /** False once removed, so late callbacks can tell. */
    active: boolean
}

function hex(b: Buffer): string {
    return b.toString("hex")
}

export function observerKey(peer: string, token: Buffer): string {
    return peer + "|" + hex(token)
}

export class ObserverRegistry {
    /** The observations (read-only outside this class; list.length is the count). */
    list: Observer[]
    private seq: number
    max: number

    constructor(max: number, initialSeq: number) {
        this.list = []
        this.max = max
        this.seq = initialSeq % OBSERVE_SEQ_MODULUS
    }

    find(peer: string, token: Buffer): Observer | undefined {
        const k = observerKey(peer, token)
        for (const o of this.list) if (o.key === k) return o
        return undefined
    }

    /** False when the list is full (the caller serves a plain GET, 4.1). Re-registration replaces (4.1). */
    add(o: Observer): boolean {
        const old = this.find(o.peer, o.token)
        if (old !== undefined) {
            this.removeEntry(old)
        } else if (this.list.length >= this.max) {
            return false
        }
        this.list.push(o)
        return true
    }

    remove(peer: string, token: Buffer): Observer | undefined {
        const o = this.find(peer, token)
        if (o !== undefined) this.removeEntry(o)
        return o
    }

    removeEntry(o: Observer): void {
        this.drop(o, undefined)
    }

    removePeer(peer: string): void {
        this.drop(undefined, peer)
    }

    /** Removes `o` and every observer of `peer`, marking them inactive. */
    private drop(o: Observer | undefined, peer: string | undefined): void {
        const keep: Observer[] = []
        for (const x of this.list) {
            if (x === o || x.peer === peer) x.active = false
            else keep.push(x)
        }
        this.list = keep
    }

    forPath(path: string): Observer[] {
        const r: Observer[] = []
        for (const o of this.list) if (o.path === path) r.push(o)
        return r
    }

    /** RFC 7641 4.4: the next Observe value, increasing modulo 2^24. */
    nextSeq(): number {
        const s = this.seq
        this.seq = (this.seq + 1) % OBSERVE_SEQ_MODULUS
        return s
    }
}

/**
 * RFC 7641 4.5: whether this notification goes as CON. Always for resources that want CON;
 * otherwise after `conEveryN` - 1 NON ones, and when the last CON is older than `conInterval`.
 */
export function mustConfirm(o: Observer, alwaysCon: boolean, conEveryN: number, conInterval: number, now: number): boolean {
    if (alwaysCon) return true
    if (conEveryN > 0 && o.nonSinceCon + 1 >= conEveryN) return true
    return now - o.lastConAt >= conInterval
}
