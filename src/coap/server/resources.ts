// Resources as the request/response layer serves them (RFC 7252 5.8 methods, 5.10 options,
// RFC 6690 link attributes). A resource is plain data plus handler functions; the endpoint
// (./endpoint) does the protocol work (negotiation, conditions, Observe, block-wise) around them.

import type { CoapMessage, CoapOption } from "../codec/message"

/** The request as a handler sees it: decoded, reassembled (Block1) and negotiated. */
export interface CoapRequest {
    /** CoapCode.GET / POST / PUT / DELETE. */
    method: number
    /** Opaque key of the client endpoint. */
    peer: string
    /** "/a/b" from the Uri-Path options. */
    path: string
    segments: string[]
    /** Uri-Query options, each "k=v" or "k". */
    query: string[]
    /** The whole request body (Block1 transfers already put together). */
    payload: Buffer
    /** Content-Format of the payload, or undefined when the request has none. */
    contentFormat: number | undefined
    /** Accept option, or undefined. */
    accept: number | undefined
    /** The representation to produce: Accept when given, else the resource's first format. */
    format: number
    /** True when the endpoint asks for the current state to send an Observe notification. */
    notification: boolean
    /** The request message itself, for options the fields above do not cover. */
    message: CoapMessage
}

/** What a handler answers; the endpoint turns it into a response message. */
export interface CoapResponse {
    /** Response code, e.g. CoapCode.Content. */
    code: number
    payload?: Buffer
    contentFormat?: number
    etag?: Buffer
    /** Max-Age in seconds (RFC 7252 5.10.5); the resource's maxAge when absent. */
    maxAge?: number
    /** Location-Path of a created resource, "/a/b" (RFC 7252 5.10.7). */
    locationPath?: string
    /** Location-Query values, each "k=v". */
    locationQuery?: string[]
    /** Any further options. */
    options?: CoapOption[]
}

export type Reply = (response: CoapResponse) => void

/**
 * A method handler. It must call `reply` exactly once, now or later (a handler may take time;
 * the UDP binding then sends an empty ACK and a separate response). It may be an async function:
 * the endpoint catches a rejected promise (Node) or a throw (both) and answers 5.00.
 */
export type Handler = (req: CoapRequest, reply: Reply) => void

export interface Resource {
    /** "/a/b". */
    path: string
    get?: Handler
    put?: Handler
    post?: Handler
    delete?: Handler
    /** Representations GET can produce, preferred first; an Accept outside them gets 4.06. */
    formats?: number[]
    /** Content-Formats PUT/POST accept; a request in another format gets 4.15. */
    accepts?: number[]
    /** RFC 7641: GET with Observe registers. */
    observable?: boolean
    /** Notifications as CON (true) or NON with a CON every few (false, the default). */
    notifyConfirmable?: boolean
    /** Max-Age (seconds) put on responses and notifications unless the handler sets one. */
    maxAge?: number
    /**
     * For resources that keep a value: the ETag of the current value, or undefined when there is
     * no value (not created yet / deleted). Drives If-Match and If-None-Match (RFC 7252 5.10.8)
     * and is put on 2.05 responses that carry no ETag of their own.
     */
    etag?: () => Buffer
    /** Largest request body accepted (Block1 included); the endpoint default when absent. */
    maxBodySize?: number
    // ---- RFC 6690 link attributes for /.well-known/core ----
    /** Resource type(s), space separated. */
    rt?: string
    /** Interface description(s), space separated ("if"). */
    iface?: string
    title?: string
    /** Maximum size estimate ("sz"). */
    sz?: number
    /** Content-Format(s) listed as "ct"; `formats` when absent. */
    ct?: number[]
    /** Left out of discovery. */
    hidden?: boolean
}

/**
 * Resources by path. Flat: "/a" and "/a/b" are independent entries. Removal is removeResource()
 * (a free function: a board's resource set is fixed, and every method of a class is compiled).
 */
export class ResourceTree {
    /** Read through find()/list(); written by add() and removeResource() only. */
    byPath: Record<string, Resource>
    order: string[]

    constructor() {
        this.byPath = {}
        this.order = []
    }

    /** Adds or replaces the resource at res.path. */
    add(res: Resource): void {
        const p = normalisePath(res.path)
        res.path = p
        if (this.byPath[p] === undefined) this.order.push(p)
        this.byPath[p] = res
    }

    find(path: string): Resource {
        return this.byPath[normalisePath(path)]
    }

    /** All resources in the order they were added. */
    list(): Resource[] {
        const r: Resource[] = []
        for (const p of this.order) r.push(this.byPath[p])
        return r
    }
}

/** Removes the resource at `path`; false when there was none. */
export function removeResource(tree: ResourceTree, path: string): boolean {
    const p = normalisePath(path)
    if (tree.byPath[p] === undefined) return false
    delete tree.byPath[p]
    const rest: string[] = []
    for (const q of tree.order) if (q !== p) rest.push(q)
    tree.order = rest
    return true
}

/** "a/b", "/a/b" -> "/a/b"; "" -> "/". */
export function normalisePath(path: string): string {
    if (path.length === 0) return "/"
    return path.charAt(0) === "/" ? path : "/" + path
}
