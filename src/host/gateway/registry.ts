// The gateway's view of the boards: who is there, over which binding, with which resources.
// Filled by the coap+tcp head-end (RFC 9176 registrations) and by the MQTT side (status topic +
// /.well-known/core fetched over CoAP-over-MQTT); read by the UDP and HTTP fronts.

import { EventEmitter } from "node:events"
import { CoapMessage } from "../../coap/codec/message"
import { WebLink } from "../../coap/formats/linkformat"
import { CoapResponseCallback } from "../../coap/transport/token-matcher"

export type Binding = "tcp" | "mqtt"

/** How to reach one board right now. */
export interface BoardLink {
    request(req: CoapMessage, cb: CoapResponseCallback): Buffer | undefined
    cancel(token: Buffer): void
}

export interface Board {
    id: string
    binding: Binding
    /** Resources as the board described them (hrefs relative to the board). */
    links: WebLink[]
    online: boolean
    link: BoardLink | undefined
    /**
     * The board answers one representation per resource and keeps one observer per resource
     * (src/coap/server/board-coap.ts): the gateway makes the other formats (./representations).
     */
    oneRepresentation: boolean
    /** Why it went offline, for status output. */
    reason: string
    /** Date.now() of the last change. */
    since: number
}

/**
 * Events: "online" (board), "offline" (board), "links" (board). A board that goes offline is kept,
 * so requests to it fail fast with 5.04 instead of 4.04.
 */
export class BoardRegistry extends EventEmitter {
    private boards = new Map<string, Board>()

    get(id: string): Board | undefined {
        return this.boards.get(id)
    }

    list(): Board[] {
        return [...this.boards.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    }

    /** The board is reachable over `binding` through `link`. */
    online(id: string, binding: Binding, link: BoardLink, oneRepresentation = false): Board {
        let b = this.boards.get(id)
        if (!b) {
            b = { id, binding, links: [], online: true, link, oneRepresentation, reason: "", since: Date.now() }
            this.boards.set(id, b)
        } else {
            b.binding = binding
            b.oneRepresentation = oneRepresentation
            b.link = link
            b.online = true
            b.reason = ""
            b.since = Date.now()
        }
        this.emit("online", b)
        return b
    }

    setLinks(id: string, links: WebLink[]): void {
        const b = this.boards.get(id)
        if (!b) return
        b.links = links
        this.emit("links", b)
    }

    /** Marks a board unreachable; only if `link` is still its current link (a newer one wins). */
    offline(id: string, reason: string, link?: BoardLink): void {
        const b = this.boards.get(id)
        if (!b || !b.online) return
        if (link !== undefined && b.link !== link) return
        b.online = false
        b.link = undefined
        b.reason = reason
        b.since = Date.now()
        this.emit("offline", b)
    }
}
