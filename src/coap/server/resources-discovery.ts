// RFC 6690 discovery: GET /.well-known/core lists the resources as application/link-format,
// with rt, if, ct, obs, sz and title (RFC 6690 3, RFC 7641 6), filtered by the request's
// Uri-Query (RFC 6690 4.1: href, rt, if, ct..., a trailing "*" matching a prefix; optional, so
// the board's CoapServerCore answers the whole list and leaves filtering to the gateway).
// Serialization and filtering are ../formats/linkformat's; this file only maps resources to links.

import { CoapCode, ContentFormat } from "../codec/message"
import { LinkAttrs, WebLink, filterLinks, linkText, makeLink, serializeLinks } from "../formats/linkformat"
import type { CoapRequest, Handler, Reply, Resource, ResourceTree } from "./resources"

function resourceAttrs(res: Resource): LinkAttrs {
    return { rt: res.rt, iface: res.iface, ct: res.ct ?? res.formats, obs: res.observable === true, sz: res.sz, title: res.title }
}

/** The link for one resource. */
export function resourceLink(res: Resource): WebLink {
    return makeLink(res.path, resourceAttrs(res))
}

/** Links of every resource not marked hidden, in the tree's order. */
export function discoveryLinks(tree: ResourceTree): WebLink[] {
    const links: WebLink[] = []
    for (const r of tree.list()) if (!r.hidden) links.push(resourceLink(r))
    return links
}

/**
 * The link-format document of the same links, written directly (no WebLink objects): equal to
 * serializeLinks(discoveryLinks(tree)). What a board serves and registers.
 */
export function discoveryText(tree: ResourceTree): string {
    const out: string[] = []
    for (const r of tree.list()) if (!r.hidden) out.push(linkText(r.path, resourceAttrs(r)))
    return out.join(",")
}

/** The GET handler of /.well-known/core over `tree`, filtered by the query (RFC 6690 4.1). */
export function discoveryHandler(tree: ResourceTree): Handler {
    return (req: CoapRequest, reply: Reply) => replyLinks(serializeLinks(filterLinks(discoveryLinks(tree), req.query)), reply)
}

/**
 * The same without query filtering, which RFC 6690 4.1 leaves optional ("MAY"): for boards behind
 * the gateway, which fetches the whole list and filters for its own clients (CoapServerCore).
 */
export function unfilteredDiscoveryHandler(tree: ResourceTree): Handler {
    return (req: CoapRequest, reply: Reply) => replyLinks(discoveryText(tree), reply)
}

function replyLinks(text: string, reply: Reply): void {
    reply({ code: CoapCode.Content, contentFormat: ContentFormat.LinkFormat, payload: Buffer.from(text) })
}
