// JSON-RPC 2.0 dispatcher (https://www.jsonrpc.org/specification), transport-neutral: the MQTT
// rx/tx topics and the CoAP endpoint both hand it request text and send back what it returns.
//
// Choices (documented in docs/firmware.md):
// - Batches (§6) are supported, up to `maxBatch` entries, answered in order, one reply array.
// - A request longer than `maxLength` characters or nested deeper than `maxDepth` is rejected with
//   -32600 before JSON.parse (DeviceScript's parser recurses in C; deep input would crash the VM).
// - A method that throws RpcError replies with its code; any other throw becomes -32603 with the
//   error's message in `data`. Nothing a method does can make handle() throw.
// - Replies are written by our own JSON writer (src/util/json.ts): DeviceScript's JSON.stringify
//   corrupts non-ASCII text and fractions.

import { toJson } from "../util/json"
import { INTERNAL_ERROR, INVALID_PARAMS, INVALID_REQUEST, METHOD_NOT_FOUND, PARSE_ERROR, RpcError } from "./errors"
import { ParamSpec, bindParams } from "./params"

export interface MethodDef {
    name: string
    description: string
    /** Parameters by name, in positional order. Omitted: the method takes none. */
    params?: ParamSpec[]
    /**
     * Receives params already validated against `params`, and the method's name (so one function
     * can serve several methods); its return value is the result.
     */
    handler: (params: Record<string, any>, name: string) => Promise<any>
}

export interface DispatcherOptions {
    /** Longest request text accepted, in characters (default 2048). */
    maxLength?: number
    /** Deepest bracket nesting accepted (default 8). */
    maxDepth?: number
    /** Most requests in one batch (default 10). */
    maxBatch?: number
    /**
     * Called with each request's id (as written) before it runs: returns why it must not run (a
     * repeated id, see DeviceCore), or undefined. Optional.
     */
    checkId?: (idText: string) => string | undefined
    /**
     * Called between chunks of the input scan so a long request never runs past DeviceScript's
     * watchdog in one go (the board passes `async () => { await ds.sleep(0) }`). Optional in Node.
     */
    pause?: () => Promise<void>
}

/** Characters scanned between pause() calls. */
const SCAN_CHUNK = 512

/**
 * One reply object as its parts, in order; idText is the request's id as written, or "null" (§5).
 * Never joined on the board: the parts go to the socket one after the other (MQTT's text payload
 * in parts, src/io.ts), and the value's members are parts of their own (toJson's out), because
 * in a 64 KB heap that never moves anything a reply the size of rpc.list's (1.6 KB), or a result
 * of 700 B, needs a free block of its whole size, and those were what ran out first. Throws what
 * toJson throws (a value nested too deeply).
 */
function reply(idText: string, member: string, value: any): string[] {
    const parts = ['{"jsonrpc":"2.0","', member, '":']
    parts.push(toJson(value, 0, parts), ',"id":', idText, "}")
    return parts
}

function errorReply(idText: string, code: number, message: string, data?: any): string[] {
    // (toJson leaves out an undefined data)
    const err = { code: code, message: message, data: data }
    try {
        return reply(idText, "error", err)
    } catch (e) {
        // data too deep to write: the error still goes out
        err.data = null
    }
    return reply(idText, "error", err)
}

/**
 * Scans request text before JSON.parse, outside strings: returns undefined when brackets/braces
 * nest deeper than limit, else the raw text of each request object's "id" member ("" when it has
 * none), in order.
 * WHY the nesting check: DeviceScript's native JSON.parse recurses in C once per nesting level;
 * about 3000 levels overflowed the simulator's stack and killed the VM (a device would crash the
 * same way), so input from the network is checked before JSON.parse.
 * WHY raw ids: an id is echoed exactly as it was written (JSON-RPC 2.0 §5); a parsed number is a
 * double, so 9007199254740993 would come back as 9007199254740992.
 * The per-character loop pauses every SCAN_CHUNK characters: 3000 characters in one go hit
 * DeviceScript's ~128k-op watchdog. (A function, not a method: a method also costs an entry in the
 * compiler-made prototype.)
 */
async function scanRequest(text: string, limit: number, pause: (() => Promise<void>) | undefined): Promise<string[] | undefined> {
    const ids: string[] = []
    let depth = 0
    // requests sit at level 1, or 2 in a batch (text starting with [)
    let top = 0
    let inString = false
    let escaped = false
    let start = 0
    let valueAt = -1
    for (let i = 0; i < text.length; i++) {
        if (pause && i > 0 && i % SCAN_CHUNK === 0) await pause()
        const c = text.charCodeAt(i)
        if (inString) {
            if (escaped) escaped = false
            else if (c === 0x5c) escaped = true
            else if (c === 0x22) {
                inString = false
                // the member name "id" at a request's level: its value starts after the colon
                if (depth === top && i === start + 3 && text.slice(start, i + 1) === '"id"') {
                    const colon = text.indexOf(":", i)
                    if (colon > 0 && text.slice(i + 1, colon).trim() === "") valueAt = colon + 1
                }
            }
        } else if (c === 0x22) {
            inString = true
            start = i
        } else if (c === 0x5b || c === 0x7b) {
            depth++
            if (top === 0) {
                top = 1
                if (c === 0x5b) top = 2
            }
            if (depth > limit) return undefined
            if (depth === top && c === 0x7b) ids.push("")
        } else if (c === 0x5d || c === 0x7d || c === 0x2c) {
            if (valueAt >= 0 && depth === top) {
                ids[ids.length - 1] = text.slice(valueAt, i).trim()
                valueAt = -1
            }
            if (c !== 0x2c) depth--
        }
    }
    return ids
}

export class Dispatcher {
    /** In rpc.list order (register). */
    methods: MethodDef[] = []
    private maxLength: number
    private maxDepth: number
    private maxBatch: number
    private pause: (() => Promise<void>) | undefined
    checkId: ((idText: string) => string | undefined) | undefined

    constructor(options?: DispatcherOptions) {
        const o = options || {}
        this.maxLength = o.maxLength || 2048
        this.maxDepth = o.maxDepth || 8
        this.maxBatch = o.maxBatch || 10
        this.pause = o.pause
        this.checkId = o.checkId
        const self = this
        this.register({
            name: "rpc.list",
            description: "Lists the methods this device answers, with their parameters",
            handler: async (p: Record<string, any>) => self.describe(),
        })
    }

    /** Adds a method. Names are unique: with two of the same name, the first one answers. */
    register(def: MethodDef): void {
        this.methods.push(def)
    }

    /** What rpc.list returns: [{name, description, params:[{name,type,optional?,min?,max?,values?}]}]. */
    describe(): any[] {
        // The ParamSpecs as they are: members left undefined are not written by the JSON writer.
        return this.methods.map((m) => ({ name: m.name, description: m.description, params: m.params || [] }))
    }

    /**
     * Handles one request text (a single request or a batch). Returns the reply as parts to be
     * written in order (joined, they are its text: handleToText), or undefined when nothing must be
     * sent (a notification, or a batch of notifications). Never throws.
     */
    async handle(text: string): Promise<string[] | undefined> {
        try {
            return await this.handleText(text)
        } catch (e) {
            // Only a bug in the dispatcher itself can get here; still answer rather than crash.
            // (A separate method so scripts/fuzz-jsonrpc.ts can call handleText and see such a throw.)
            return errorReply("null", INTERNAL_ERROR, "Internal error")
        }
    }

    private async handleText(text: string): Promise<string[] | undefined> {
        let bad: string | undefined
        if (typeof text !== "string") bad = "request must be text"
        else if (text.length > this.maxLength) bad = "request longer than " + this.maxLength + " characters"
        else {
            const ids = await scanRequest(text, this.maxDepth, this.pause)
            if (!ids) bad = "request nested deeper than " + this.maxDepth + " levels"
            else {
                let req: any
                try {
                    req = JSON.parse(text)
                } catch (e) {
                    // DeviceScript's parse errors have no e.name; any throw from JSON.parse is a parse error.
                    return errorReply("null", PARSE_ERROR, "Parse error")
                }
                // the text is no longer needed: let it go before the method runs
                text = undefined as unknown as string
                if (!Array.isArray(req)) return await handleOne(this, req, ids[0])
                const batch = req as any[]
                if (batch.length === 0) bad = "empty batch"
                else if (batch.length > this.maxBatch) bad = "batch larger than " + this.maxBatch
                else {
                    // a batch's replies are joined (each one, then the list): batches are rare, and
                    // their replies short but for rpc.list's
                    const replies: string[] = []
                    let k = 0
                    for (const one of batch) {
                        // ids holds one entry per object in the batch, in order
                        let rawId = ""
                        if (one !== null && typeof one === "object" && !Array.isArray(one)) rawId = ids[k++]
                        const r = await handleOne(this, one, rawId)
                        if (r !== undefined) replies.push(r.join(""))
                    }
                    if (replies.length === 0) return undefined
                    return ["[", replies.join(","), "]"]
                }
            }
        }
        return errorReply("null", INVALID_REQUEST, "Invalid Request", bad)
    }
}

/**
 * One request object (§4); rawId is its id member as written ("" when absent). A function, not a
 * method: a method also costs an entry in the compiler-made prototype.
 */
async function handleOne(d: Dispatcher, req: any, rawId: string): Promise<string[] | undefined> {
    // (declared without "= undefined": a local starts undefined, and each initializer is an instruction)
    let bad: string | undefined
    let id: any
    let method: any
    let params: any
    if (req === null || typeof req !== "object" || Array.isArray(req)) bad = "request must be an object"
    else {
        id = req["id"]
        method = req["method"]
        params = req["params"]
        if (req["jsonrpc"] !== "2.0") bad = 'jsonrpc must be "2.0"'
        else if (typeof method !== "string") bad = "method must be a string"
        else if (params !== undefined && (params === null || typeof params !== "object")) bad = "params must be an object or an array"
    }
    const t = typeof id
    let idText = "null"
    if (t === "string" || t === "number") idText = rawId || toJson(id)
    // An invalid request is answered even without an id (§5); an invalid id is reported as
    // null. A repeated id, or one too long to remember (checkId), is refused before anything runs.
    // (!= null: neither undefined nor null, one instruction instead of two tests)
    if (id != null && idText === "null") bad = "id must be a string, number or null"
    else if (!bad && idText !== "null" && d.checkId) bad = d.checkId(idText)
    if (bad) return errorReply(idText, INVALID_REQUEST, "Invalid Request", bad)
    let def: MethodDef | undefined
    for (const m of d.methods)
        if (m.name === method) {
            def = m
            break
        }
    let out: string[]
    if (!def) out = errorReply(idText, METHOD_NOT_FOUND, "Method not found", method)
    else {
        const bound = bindParams(def.params || [], params)
        if (typeof bound === "string") out = errorReply(idText, INVALID_PARAMS, "Invalid params", bound)
        else {
            try {
                let result = await def.handler(bound as Record<string, any>, def.name)
                if (result === undefined) result = null
                out = reply(idText, "result", result)
            } catch (e) {
                // RpcError chooses its code; anything else is -32603 with its message as data
                let re = e as RpcError
                if (!(e instanceof RpcError)) re = new RpcError(INTERNAL_ERROR, "Internal error", (e as Error)?.message)
                out = errorReply(idText, re.code, re.message, re.data)
            }
        }
    }
    // The request is valid, so a notification (no id member, §4.1) gets no reply; its method still ran.
    if (id === undefined) return undefined
    return out
}

/**
 * The reply to `text` as one string (d.handle's parts joined), for callers with room for it: Node,
 * tests, the CoAP response. The board's MQTT path writes the parts as they are.
 */
export async function handleToText(d: Dispatcher, text: string): Promise<string | undefined> {
    const parts = await d.handle(text)
    return parts && parts.join("")
}
