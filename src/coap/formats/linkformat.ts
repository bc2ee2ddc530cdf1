// CoRE Link Format (RFC 6690): serializer, parser and the /.well-known/core query filter (4.1).
// Portable string code: only charAt/slice/indexOf/split, ASCII comparisons.

/** One link-param: `;name` (value undefined, e.g. obs) or `;name=value`. */
export interface LinkAttr {
    name: string
    value: string | undefined
}

/** One link-value: `<href>;attr;...`. Attributes keep their order. */
export interface WebLink {
    href: string
    attrs: LinkAttr[]
}

/** Convenience for building links with the attributes this project uses. */
export interface LinkAttrs {
    /** Resource type(s), space separated (RFC 6690 3.1). */
    rt?: string
    /** Interface description(s), space separated (RFC 6690 3.2). */
    iface?: string
    /** Content-Format number(s) (RFC 7252 7.2.1). */
    ct?: number[]
    /** Observable (RFC 7641 6). */
    obs?: boolean
    /** Maximum size estimate in bytes (RFC 6690 3.3). */
    sz?: number
    title?: string
}

export class LinkFormatError extends Error {
    offset: number
    constructor(reason: string, offset: number) {
        super(reason)
        this.name = "LinkFormatError"
        this.offset = offset
    }
}

function uintText(n: number): string {
    // integers below 1e15 print exactly in DeviceScript (from about 1e15 up its number-to-string is off)
    return "" + Math.floor(n)
}

/** The attributes of `a` in this order (LinkAttrs field names; "iface" is written "if"). */
const LINK_ATTR_KEYS = ["rt", "iface", "ct", "obs", "sz", "title"]

/**
 * The link-param value of one LinkAttrs field: null when the attribute is left out (absent,
 * false, empty list), undefined for a bare flag (obs), else the text (numbers in decimal, a ct
 * list space separated).
 */
function attrValue(v: any): string | null | undefined {
    if (v === undefined || v === false || (Array.isArray(v) && v.length === 0)) return null
    if (v === true) return undefined
    if (typeof v === "number") return uintText(v)
    if (Array.isArray(v)) return v.map(uintText).join(" ")
    return v
}

export function makeLink(href: string, a: LinkAttrs): WebLink {
    const attrs: LinkAttr[] = []
    const rec: any = a
    for (const key of LINK_ATTR_KEYS) {
        const v = attrValue(rec[key])
        if (v !== null) attrs.push({ name: key === "iface" ? "if" : key, value: v })
    }
    return { href: href, attrs: attrs }
}

/**
 * One link as text, straight from its attributes: the same as serializeLinks([makeLink(href, a)])
 * without the WebLink in between (what a board's discovery and registration send).
 */
export function linkText(href: string, a: LinkAttrs): string {
    const parts: string[] = ["<" + href + ">"]
    const rec: any = a
    for (const key of LINK_ATTR_KEYS) {
        const v = attrValue(rec[key])
        if (v !== null) parts.push(paramText(key === "iface" ? "if" : key, v))
    }
    return parts.join("")
}

/** First value of attribute `name` ("" for a bare flag), or undefined when absent. */
export function getLinkAttr(link: WebLink, name: string): string | undefined {
    for (const a of link.attrs) if (a.name === name) return a.value === undefined ? "" : a.value
    return undefined
}

function isDigits(s: string): boolean {
    if (s.length === 0) return false
    for (let i = 0; i < s.length; i++) {
        const c = s.charCodeAt(i)
        if (c < 48 || c > 57) return false
    }
    return true
}

/** quoted-string (RFC 6690 2 via RFC 2616): `"` and `\` escaped with a backslash. */
function quote(s: string): string {
    const parts: string[] = ['"']
    let start = 0
    for (let i = 0; i < s.length; i++) {
        const c = s.charAt(i)
        if (c === '"' || c === "\\") {
            parts.push(s.slice(start, i))
            parts.push("\\" + c)
            start = i + 1
        }
    }
    parts.push(s.slice(start))
    parts.push('"')
    return parts.join("")
}

/** `;name` or `;name=value`: cardinal values (ct=40, sz=12) stay bare, all others are quoted. */
function paramText(name: string, value: string | undefined): string {
    return ";" + name + (value === undefined ? "" : "=" + (isDigits(value) ? value : quote(value)))
}

/** Serializes links (RFC 6690 2). */
export function serializeLinks(links: WebLink[]): string {
    const out: string[] = []
    for (const l of links) {
        const parts: string[] = ["<" + l.href + ">"]
        for (const a of l.attrs) parts.push(paramText(a.name, a.value))
        out.push(parts.join(""))
    }
    return out.join(",")
}

// ---- parser ----

class Scanner {
    s: string
    i: number
    constructor(s: string) {
        this.s = s
        this.i = 0
    }
    peek(): string {
        return this.i < this.s.length ? this.s.charAt(this.i) : ""
    }
    skipSpace(): void {
        while (this.i < this.s.length) {
            const c = this.s.charAt(this.i)
            if (c !== " " && c !== "\t" && c !== "\r" && c !== "\n") return
            this.i++
        }
    }
    fail(reason: string): LinkFormatError {
        return new LinkFormatError(reason, this.i)
    }
}

function isParmnameChar(c: string): boolean {
    // parmname = token chars (RFC 5987): letters, digits and !#$&+-.^_`|~*
    // (code comparisons: relational operators on strings are not reliable in DeviceScript)
    const k = c.charCodeAt(0)
    if ((k >= 97 && k <= 122) || (k >= 65 && k <= 90) || (k >= 48 && k <= 57)) return true
    return "!#$&+-.^_`|~*".indexOf(c) >= 0
}

function readQuoted(sc: Scanner): string {
    sc.i++ // opening quote
    const parts: string[] = []
    let start = sc.i
    while (true) {
        if (sc.i >= sc.s.length) throw sc.fail("unterminated quoted string")
        const c = sc.s.charAt(sc.i)
        if (c === '"') {
            parts.push(sc.s.slice(start, sc.i))
            sc.i++
            return parts.join("")
        }
        if (c === "\\") {
            if (sc.i + 1 >= sc.s.length) throw sc.fail("unterminated quoted string")
            parts.push(sc.s.slice(start, sc.i))
            parts.push(sc.s.charAt(sc.i + 1))
            sc.i += 2
            start = sc.i
        } else sc.i++
    }
}

/** ptoken: anything up to the next `;` or `,` (lenient about the exact ptokenchar set). */
function readPtoken(sc: Scanner): string {
    const start = sc.i
    while (sc.i < sc.s.length) {
        const c = sc.s.charAt(sc.i)
        if (c === ";" || c === "," || c === " " || c === '"') break
        sc.i++
    }
    return sc.s.slice(start, sc.i)
}

/** Parses an application/link-format document (RFC 6690 2). Throws LinkFormatError. */
export function parseLinks(text: string): WebLink[] {
    const sc = new Scanner(text)
    const links: WebLink[] = []
    sc.skipSpace()
    if (sc.i >= text.length) return links
    while (true) {
        sc.skipSpace()
        if (sc.peek() !== "<") throw sc.fail("expected <")
        const end = text.indexOf(">", sc.i + 1)
        if (end < 0) throw sc.fail("unterminated <URI-Reference>")
        const link: WebLink = { href: text.slice(sc.i + 1, end), attrs: [] }
        sc.i = end + 1
        sc.skipSpace()
        while (sc.peek() === ";") {
            sc.i++
            sc.skipSpace()
            const ns = sc.i
            while (sc.i < text.length && isParmnameChar(text.charAt(sc.i))) sc.i++
            if (sc.i === ns) throw sc.fail("expected parameter name")
            const name = text.slice(ns, sc.i)
            let value: string | undefined = undefined
            sc.skipSpace()
            if (sc.peek() === "=") {
                sc.i++
                sc.skipSpace()
                value = sc.peek() === '"' ? readQuoted(sc) : readPtoken(sc)
                sc.skipSpace()
            }
            link.attrs.push({ name: name, value: value })
        }
        links.push(link)
        if (sc.i >= text.length) return links
        if (sc.peek() !== ",") throw sc.fail("expected , or ;")
        sc.i++
    }
}

// ---- RFC 6690 4.1 query filtering ----

/** `value` matches `pattern`; a trailing `*` in the pattern means prefix match. */
export function matchesPattern(value: string, pattern: string): boolean {
    if (pattern.length > 0 && pattern.charAt(pattern.length - 1) === "*") return value.startsWith(pattern.slice(0, pattern.length - 1))
    return value === pattern
}

/**
 * Does `link` pass the filter `name=pattern` (RFC 6690 4.1)? `href` compares the target URI;
 * any other name compares that attribute's value, and for space-separated lists (rt, if, ct)
 * any single entry may match. A filter with no `=` keeps links that have the attribute.
 */
export function linkMatches(link: WebLink, name: string, pattern: string | undefined): boolean {
    if (name === "href") return pattern === undefined ? true : matchesPattern(link.href, pattern)
    for (const a of link.attrs) {
        if (a.name !== name) continue
        if (pattern === undefined) return true
        const v = a.value === undefined ? "" : a.value
        if (matchesPattern(v, pattern)) return true
        const items = v.split(" ")
        if (items.length > 1) for (const it of items) if (it.length > 0 && matchesPattern(it, pattern)) return true
    }
    return false
}

/** Splits one Uri-Query value "name=value" (or "name") into [name, value|undefined]. */
export function splitQuery(q: string): [string, string | undefined] {
    const eq = q.indexOf("=")
    if (eq < 0) return [q, undefined]
    return [q.slice(0, eq), q.slice(eq + 1)]
}

/**
 * The links that pass every query filter (Uri-Query options of a GET /.well-known/core).
 * RFC 6690 4.1 requires one filter; several are ANDed (as libcoap does).
 */
export function filterLinks(links: WebLink[], query: string[]): WebLink[] {
    const r: WebLink[] = []
    for (const l of links) {
        let ok = true
        for (const q of query) {
            const nv = splitQuery(q)
            if (!linkMatches(l, nv[0], nv[1])) {
                ok = false
                break
            }
        }
        if (ok) r.push(l)
    }
    return r
}
