// RFC 6690 discovery: GET /.well-known/core lists the resources as application/link-format,
// with rt, if, ct, obs, sz and title (RFC 6690 3, RFC 7641 6), filtered by the request's
// Uri-Query (RFC 6690 4.1: href, rt, if, ct..., a trailing "*" matching a prefix).
// Serialization and filtering are ./linkformat's; this file only maps resources to links.

import { CoapCode, ContentFormat } from "./message"
import { WebLink, filterLinks, makeLink, serializeLinks } from "./linkformat"
import type { CoapRequest, Handler, Reply, Resource, ResourceTree } from "./resources"

/** The link for one resource. */
export function resourceLink(res: Resource): WebLink {
    return makeLink(res.path, {
        rt: res.rt,
        iface: res.iface,
        ct: res.ct !== undefined ? res.ct : res.formats,
        obs: res.observable === true,
        sz: res.sz,
        title: res.title,
    })
}

/** Links of every resource not marked hidden, in the tree's order. */
export function discoveryLinks(tree: ResourceTree): WebLink[] {
    const links: WebLink[] = []
    for (const r of tree.list()) if (!r.hidden) links.push(resourceLink(r))
    return links
}

/** The GET handler of /.well-known/core over `tree`. */
export function discoveryHandler(tree: ResourceTree): Handler {
    return (req: CoapRequest, reply: Reply) => {
        const links = filterLinks(discoveryLinks(tree), req.query)
        reply({
            code: CoapCode.Content,
            contentFormat: ContentFormat.LinkFormat,
            payload: Buffer.from(serializeLinks(links)),
        })
    }
}
