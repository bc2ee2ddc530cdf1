// Several gateways on one broker, each with its own observations of the same boards.
// A board on the MQTT binding keeps ONE observer token per resource, and a new registration
// replaces the old one (src/coap/server/board-coap.ts). Every gateway subscribes to every board's request
// and response topics, so each one sees all registrations and all notifications; each one tracks
// which token the board currently notifies for each resource, and:
//   - takes a notification carrying another gateway's token as its own, for a resource it observes
//     (the notification is the same for every observer: the board's one representation);
//   - registers again when another gateway deregisters a resource it still observes;
//   - does not send its own deregistration while the board notifies another gateway's token
//     (that would end the other gateway's observation).
// Only replies to this gateway's own tokens (./mqtt-side puts its instance id in every token) and
// adopted notifications reach the token matcher; everything else is dropped without a word.

import { CoapCode, CoapMessage, codeClass, getUintOption, getUriPath } from "../../coap/codec/message"
import { OptionNumber } from "../../coap/codec/options"
import { CoapResponseCallback } from "../../coap/transport/token-matcher"

interface OwnObservation {
    token: Buffer
    req: CoapMessage
    cb: CoapResponseCallback
}

export class SharedObservations {
    /** board|path -> hex token the board notifies now (the latest Observe=0 seen on its request topic). */
    private current = new Map<string, string>()
    /** board|path -> this gateway's observation. */
    private ours = new Map<string, OwnObservation>()

    constructor(
        private isOurs: (token: Buffer) => boolean,
        /** Sends the registration again (same token, same callback). */
        private reRegister: (id: string, req: CoapMessage, cb: CoapResponseCallback) => void
    ) {}

    /**
     * One of our requests on its way out; returns the callback to register with, or undefined
     * when the request must not be sent (a deregistration while another gateway is the observer).
     */
    outgoing(id: string, req: CoapMessage, cb: CoapResponseCallback): CoapResponseCallback | undefined {
        const observe = req.code === CoapCode.GET ? getUintOption(req, OptionNumber.Observe) : undefined
        if (observe === undefined) return cb
        const key = id + "|" + getUriPath(req)
        if (observe === 1) {
            this.ours.delete(key)
            const cur = this.current.get(key)
            return cur !== undefined && cur !== req.token.toString("hex") ? undefined : cb
        }
        if (observe !== 0) return cb
        const own: OwnObservation = { token: req.token, req, cb }
        this.ours.set(key, own)
        // RFC 7641 3.2: an error or a response without Observe ends the observation
        return (resp, err) => {
            const ended =
                err !== undefined || !resp || codeClass(resp.code) !== 2 || getUintOption(resp, OptionNumber.Observe) === undefined
            if (ended && this.ours.get(key) === own) this.ours.delete(key)
            cb(resp, err)
        }
    }

    /** A request seen on a board's request topic (ours or another gateway's). */
    seenRequest(id: string, req: CoapMessage): void {
        if (req.code !== CoapCode.GET) return
        const observe = getUintOption(req, OptionNumber.Observe)
        if (observe === undefined) return
        const key = id + "|" + getUriPath(req)
        if (observe === 0) {
            this.current.set(key, req.token.toString("hex"))
            return
        }
        if (observe !== 1) return
        this.current.delete(key)
        const own = this.ours.get(key)
        if (own && !this.isOurs(req.token)) {
            // the board dropped its observer for this resource: be it again
            const again: CoapMessage = { ...own.req, token: own.token }
            this.reRegister(id, again, own.cb)
        }
    }

    /**
     * A response whose token is not ours: the token of our observation it stands for (a
     * notification to another gateway's token for a resource we observe), or undefined to drop it.
     */
    adopt(id: string, resp: CoapMessage): Buffer | undefined {
        if (codeClass(resp.code) !== 2 || getUintOption(resp, OptionNumber.Observe) === undefined) return undefined
        const hex = resp.token.toString("hex")
        for (const [key, token] of this.current) {
            if (token !== hex || !key.startsWith(id + "|")) continue
            const own = this.ours.get(key)
            return own ? own.token : undefined
        }
        return undefined
    }

    /** The board went offline: it has no observers any more. */
    boardGone(id: string): void {
        for (const key of [...this.current.keys()]) if (key.startsWith(id + "|")) this.current.delete(key)
        for (const key of [...this.ours.keys()]) if (key.startsWith(id + "|")) this.ours.delete(key)
    }

    /** This gateway's live observations (for tests and status). */
    count(): number {
        return this.ours.size
    }
}
