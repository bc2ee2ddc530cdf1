// A JSON writer that behaves the same in DeviceScript and Node.
//
// WHY our own writer: DeviceScript's JSON.stringify escapes every non-ASCII character as its UTF-8
// bytes, one `\u00XX` per byte ("é" -> "\u00c3\u00a9"), which decodes as "Ã©" on the other side,
// and prints fractions with ~7 significant digits. A config value or device name with an accent
// would come back corrupted in an RPC reply. This writer escapes only what RFC 8259 §7 requires
// (quote, backslash, U+0000..U+001F) and leaves other characters as they are, so the payload is
// plain UTF-8 (MQTT payloads are sent as Buffer.from(text), which is UTF-8 in both runtimes).
// Numbers go through formatNumber (exact, identical digits in both runtimes).

import { formatNumber } from "./decimal"

/** Text that is already valid JSON (e.g. a reading formatted with formatScaled); written verbatim. */
export class JsonRaw {
    constructor(public text: string) {}
}

/** Deepest nesting the writer follows; deeper values are an error, not a stack overflow. */
export const MAX_WRITE_DEPTH = 16

const HEX = "0123456789abcdef"

/** A string as a JSON string literal (RFC 8259 §7). */
export function jsonString(s: string): string {
    const parts: string[] = []
    let start = 0
    const n = s.length
    for (let i = 0; i < n; i++) {
        const c = s.charCodeAt(i)
        if (c >= 0x20 && c !== 0x22 && c !== 0x5c) continue
        if (i > start) parts.push(s.slice(start, i))
        start = i + 1
        if (c === 0x22) parts.push('\\"')
        else if (c === 0x5c) parts.push("\\\\")
        else if (c === 0x0a) parts.push("\\n")
        else if (c === 0x0d) parts.push("\\r")
        else if (c === 0x09) parts.push("\\t")
        else parts.push("\\u00" + HEX[c >> 4] + HEX[c & 15])
    }
    if (start === 0) return '"' + s + '"'
    if (start < n) parts.push(s.slice(start, n))
    return '"' + parts.join("") + '"'
}

/**
 * JSON text for a value built from null, booleans, numbers, strings, arrays, plain objects and
 * JsonRaw. Object members with undefined values (or functions) are left out, and undefined array
 * items written as null (as JSON.stringify does); key order is insertion order. Throws RangeError
 * when nested deeper than MAX_WRITE_DEPTH. `depth` is for the recursion; callers leave it out.
 * `out`: an object's or array's text is not joined but appended to out as parts (its brackets,
 * each member's text, the commas), and "" returned; a JSON-RPC reply is written from its parts
 * (src/rpc/jsonrpc.ts), so no block of the whole result is needed in the board's heap.
 */
export function toJson(v: any, depth?: number, out?: string[]): string {
    const t = typeof v
    if (v === null || v === undefined || t === "function") return "null"
    if (t === "string") return jsonString(v)
    if (t === "number") return formatNumber(v)
    if (t === "boolean") return v ? "true" : "false"
    if (v instanceof JsonRaw) return (v as JsonRaw).text
    const d = (depth || 0) + 1
    if (d > MAX_WRITE_DEPTH) throw new RangeError("JSON value nested too deeply")
    const parts = out || []
    const arr = Array.isArray(v)
    // the brackets; keys stays undefined for an array, and is then never read
    let brackets = "[]"
    let keys: string[] | undefined
    let n = (v as any[]).length
    if (!arr) {
        brackets = "{}"
        keys = Object.keys(v)
        n = keys.length
    }
    parts.push(brackets[0])
    // before each member but the first, a comma (before the first, "": one test fewer per member)
    let sep = ""
    for (let i = 0; i < n; i++) {
        if (arr) parts.push(sep, toJson(v[i], d))
        else {
            const item = v[(keys as string[])[i]]
            if (item === undefined || typeof item === "function") continue
            parts.push(sep, jsonString((keys as string[])[i]) + ":" + toJson(item, d))
        }
        sep = ","
    }
    parts.push(brackets[1])
    if (out) return ""
    return parts.join("")
}
