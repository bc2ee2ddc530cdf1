// Token matching for transports without message ids (RFC 8323 3.3, and the CoAP-over-MQTT
// binding that reuses its framing): the client side of an exchange is found by token alone.
// One table per connection (or per board on MQTT). An Observe=0 request stays registered while
// 2.xx responses carrying Observe keep arriving (RFC 7641 3.3); anything else ends it.
// The deadline only covers the FIRST response, so a quiet observation never times out here.

import { Random } from "../../io"
import { CoapMessage, codeClass, getOption, getUintOption } from "../codec/message"
import { OptionNumber } from "../codec/options"

/** Called with the response, or with error set (timeout, closed, offline...) and resp undefined. */
export type CoapResponseCallback = (resp: CoapMessage | undefined, error: string | undefined) => void

interface Pending {
    cb: CoapResponseCallback
    observe: boolean
    /** Clock time after which the request fails; 0 once a first response arrived. */
    deadline: number
}

export class TokenMatcher {
    private pending: Record<string, Pending>
    private random: Random

    constructor(random: Random) {
        this.pending = {}
        this.random = random
    }

    /** 4 random bytes no pending request uses. */
    freshToken(): Buffer {
        while (true) {
            const t = Buffer.alloc(4)
            for (let i = 0; i < 4; i++) t[i] = Math.floor(this.random.next() * 256) & 0xff
            if (this.pending[t.toString("hex")] === undefined) return t
        }
    }

    /**
     * Remembers `req` under its token and returns it. An empty token is replaced by a fresh one;
     * a token already pending is replaced too. A caller may reuse a token on purpose: RFC 7641
     * 3.6 deregisters an observation with a GET carrying Observe=1 and the SAME token.
     */
    add(req: CoapMessage, cb: CoapResponseCallback, deadline: number): Buffer {
        let token = req.token
        if (token === undefined || token.length === 0 || this.pending[token.toString("hex")] !== undefined) {
            token = this.freshToken()
            req.token = token
        }
        this.pending[token.toString("hex")] = {
            cb: cb,
            observe: getUintOption(req, OptionNumber.Observe) === 0,
            deadline: deadline,
        }
        return token
    }

    /** Delivers a response to its request; false when no request has its token. */
    match(resp: CoapMessage): boolean {
        const key = resp.token.toString("hex")
        const p = this.pending[key]
        if (p === undefined) return false
        const keep = p.observe && codeClass(resp.code) === 2 && getOption(resp, OptionNumber.Observe) !== undefined
        if (keep) p.deadline = 0
        else delete this.pending[key]
        p.cb(resp, undefined)
        return true
    }

    /** Forgets a request or observation; its callback is not called again. */
    cancel(token: Buffer): void {
        if (token) delete this.pending[token.toString("hex")]
    }

    /** Fails every request whose first response is overdue. */
    expire(now: number): void {
        const expired: Pending[] = []
        for (const k of Object.keys(this.pending)) {
            const p = this.pending[k]
            if (p.deadline > 0 && now >= p.deadline) {
                expired.push(p)
                delete this.pending[k]
            }
        }
        for (const p of expired) p.cb(undefined, "timeout")
    }

    /** Fails everything (the connection is gone), observations included. */
    failAll(reason: string): void {
        const all: Pending[] = []
        for (const k of Object.keys(this.pending)) all.push(this.pending[k])
        this.pending = {}
        for (const p of all) p.cb(undefined, reason)
    }

    count(): number {
        return Object.keys(this.pending).length
    }
}
