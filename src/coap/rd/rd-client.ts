// RFC 9176 resource-directory registration, the endpoint side:
//   register  POST /rd?ep=<id>&lt=<s>[&et=<type>]  (Content-Format 40, the board's link-format)  -> 2.01 + Location-Path
//   refresh   POST <location>          (empty: "registration update", 5.3.1)      -> 2.04
// The refresh is sent when `refreshFraction` of the lifetime has passed, so the entry never lapses.
// A refresh the RD refuses (4.04: it forgot us; 4.05: an RD without registration update such as
// libcoap's coap-rd 4.3) falls back to a full registration. A failure retries after retryMs.
// The link going down suspends everything (stop); when it is back, start() registers afresh.
// Runs over any request function: the RFC 8323 session on the board or a test double.

import { Clock } from "../../io"
import {
    CoapCode,
    CoapMessage,
    CoapType,
    ContentFormat,
    codeClass,
    codeToString,
    getLocationPath,
    newMessage,
    setContentFormat,
    setUriPath,
    setUriQuery,
} from "../codec/message"
import { CoapResponseCallback } from "../transport/token-matcher"

/** Sends one request and calls back with its response (or an error string). */
export type CoapRequester = (req: CoapMessage, cb: CoapResponseCallback) => void

export interface RdClientOptions {
    /** The endpoint name (ep=), the board's id. */
    endpoint: string
    /** Registration lifetime in seconds (lt=). Default 300 (RFC 9176's default 90000 is a day). */
    lifetimeS?: number
    /** Path of the registration interface. Default "/rd" (what 9176 5.1 discovery usually finds). */
    rdPath?: string
    /** Refresh when this fraction of the lifetime has passed. Default 0.75. */
    refreshFraction?: number
    /** Wait before retrying a failed registration or refresh. Default 10000 ms. */
    retryMs?: number
    /** Endpoint type (et=, RFC 9176 9.3), sent with the registration when set. */
    endpointType?: string
}

export const enum RdState {
    Idle = 0,
    Registering = 1,
    Registered = 2,
    Refreshing = 3,
    WaitingRetry = 4,
}

export class RdClient {
    private request: CoapRequester
    private clock: Clock
    private links: () => string
    private endpoint: string
    private lifetimeS: number
    private rdPath: string
    private refreshFraction: number
    private retryMs: number
    private endpointType: string | undefined
    // read by rdStatus (below); written only here
    state: RdState
    loc: string | undefined
    private dueAt: number
    /** Bumped by start/stop so answers to requests of an earlier link are ignored. */
    private epoch: number
    registrations: number
    refreshes: number
    lastErr: string | undefined

    constructor(request: CoapRequester, clock: Clock, links: () => string, options: RdClientOptions) {
        this.request = request
        this.clock = clock
        this.links = links
        this.endpoint = options.endpoint
        this.lifetimeS = options.lifetimeS === undefined ? 300 : options.lifetimeS
        this.rdPath = options.rdPath === undefined ? "/rd" : options.rdPath
        this.refreshFraction = options.refreshFraction === undefined ? 0.75 : options.refreshFraction
        this.retryMs = options.retryMs === undefined ? 10000 : options.retryMs
        this.endpointType = options.endpointType
        this.state = RdState.Idle
        this.loc = undefined
        this.dueAt = -1
        this.epoch = 0
        this.registrations = 0
        this.refreshes = 0
        this.lastErr = undefined
    }

    /** The link is up: register now (a new connection may reach a fresh RD, so never assume). */
    start(): void {
        this.epoch++
        this.loc = undefined
        this.register()
    }

    /** The link is down: stop timers; start() will register again. */
    stop(): void {
        this.epoch++
        this.state = RdState.Idle
        this.dueAt = -1
    }

    tick(): void {
        if (this.dueAt < 0 || this.clock.now() < this.dueAt) return
        this.dueAt = -1
        if (this.state === RdState.Registered) this.refresh()
        else if (this.state === RdState.WaitingRetry) {
            if (this.loc !== undefined) this.refresh()
            else this.register()
        }
    }

    private register(): void {
        const self = this
        const epoch = this.epoch
        this.state = RdState.Registering
        const req = newMessage(CoapType.CON, CoapCode.POST, 0)
        setUriPath(req, this.rdPath)
        const query = ["ep=" + this.endpoint, "lt=" + this.lifetimeS]
        if (this.endpointType !== undefined) query.push("et=" + this.endpointType)
        setUriQuery(req, query)
        setContentFormat(req, ContentFormat.LinkFormat)
        req.payload = Buffer.from(this.links())
        // resp is set exactly when err is undefined (CoapResponseCallback)
        this.request(req, ((resp: CoapMessage, err: string) => {
            if (epoch !== self.epoch) return
            if (err !== undefined) self.failed("registration: " + err)
            else if (resp.code !== CoapCode.Created) self.failed("registration refused: " + codeName(resp))
            else {
                const loc = getLocationPath(resp)
                // 9176 5.3: the Location-Path names the registration resource; without it we
                // cannot refresh, only re-register.
                self.loc = loc === "/" ? undefined : loc
                self.registrations++
                self.registered()
            }
        }) as CoapResponseCallback)
    }

    private refresh(): void {
        const self = this
        const epoch = this.epoch
        this.state = RdState.Refreshing
        const req = newMessage(CoapType.CON, CoapCode.POST, 0)
        setUriPath(req, this.loc as string) // refreshing only once registered, with a location
        // resp is set exactly when err is undefined (CoapResponseCallback)
        this.request(req, ((resp: CoapMessage, err: string) => {
            if (epoch !== self.epoch) return
            if (err !== undefined) self.failed("refresh: " + err)
            else if (codeClass(resp.code) === 2) {
                self.refreshes++
                self.registered()
            } else if (codeClass(resp.code) === 4) {
                // 9176 5.3.1: 4.04 means the registration is gone; any other refusal: start over too.
                self.lastErr = "refresh refused: " + codeName(resp)
                self.loc = undefined
                self.register()
            } else self.failed("refresh refused: " + codeName(resp))
        }) as CoapResponseCallback)
    }

    private registered(): void {
        this.state = RdState.Registered
        this.dueAt = this.clock.now() + Math.floor(this.lifetimeS * 1000 * this.refreshFraction)
    }

    private failed(why: string): void {
        this.lastErr = why
        this.state = RdState.WaitingRetry
        this.dueAt = this.clock.now() + this.retryMs
    }
}

/** What rdStatus reports. */
export interface RdStatus {
    state: RdState
    /** The registration resource ("/rd/abc"), once registered. */
    location: string | undefined
    /** Successful registrations and refreshes so far. */
    registrations: number
    refreshes: number
    lastError: string | undefined
}

/**
 * The client's state for tests and diagnostics. A free function, not methods: every method of a
 * class is compiled into a board image, and the board never asks.
 */
export function rdStatus(rd: RdClient): RdStatus {
    return { state: rd.state, location: rd.loc, registrations: rd.registrations, refreshes: rd.refreshes, lastError: rd.lastErr }
}

function codeName(m: CoapMessage): string {
    return codeToString(m.code)
}
