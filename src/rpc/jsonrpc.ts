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

import { countUpTo, toJson, jsonString } from "../util/json"
import { formatNumber } from "../util/decimal"
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
     * Called between chunks of the input scan so a long request never runs past DeviceScript's
     * watchdog in one go (the board passes `async () => { await ds.sleep(0) }`). Optional in Node.
     */
    pause?: () => Promise<void>
}

/** Characters scanned between pause() calls. */
const SCAN_CHUNK = 512

/** One reply object; an id that is not a string or number (absent, null, invalid) is reported as null (§5). */
function reply(id: any, member: string, text: string): string {
    const t = typeof id
    return "{\"jsonrpc\":\"2.0\",\"" + member + "\":" + text + ",\"id\":" + (t === "string" || t === "number" ? toJson(id) : "null") + "}"
}

function errorReply(id: any, code: number, message: string, data?: any): string {
    let err = "{\"code\":" + formatNumber(code) + ",\"message\":" + jsonString(message)
    if (data !== undefined) {
        let dataText = "null"
        try {
            dataText = toJson(data)
        } catch (e) {
            // too deep to write: the error still goes out
        }
        err += ",\"data\":" + dataText
    }
    return reply(id, "error", err + "}")
}

/**
 * Whether the brackets/braces in text (outside strings) nest deeper than limit.
 * WHY: DeviceScript's native JSON.parse recurses in C once per nesting level; about 3000 levels
 * overflowed the simulator's stack and killed the VM (a device would crash the same way), so
 * input from the network is checked before JSON.parse. The per-character loop pauses every
 * SCAN_CHUNK characters: 3000 characters in one go hit DeviceScript's ~128k-op watchdog.
 * (A function, not a method: a method also costs an entry in the compiler-made prototype.)
 */
async function tooDeep(text: string, limit: number, pause: (() => Promise<void>) | undefined): Promise<boolean> {
    // Fast path: few opening brackets cannot nest deeply (two native indexOf scans).
    if (countUpTo(text, "[", limit) + countUpTo(text, "{", limit) <= limit) return false
    let depth = 0
    let inString = false
    let escaped = false
    for (let i = 0; i < text.length; i++) {
        if (pause && i > 0 && i % SCAN_CHUNK === 0) await pause()
        const c = text.charCodeAt(i)
        if (inString) {
            if (escaped) escaped = false
            else if (c === 0x5c) escaped = true
            else if (c === 0x22) inString = false
        } else if (c === 0x22) inString = true
        else if (c === 0x5b || c === 0x7b) {
            depth++
            if (depth > limit) return true
        } else if (c === 0x5d || c === 0x7d) depth--
    }
    return false
}

export class Dispatcher {
    private methods: MethodDef[] = []
    private maxLength: number
    private maxDepth: number
    private maxBatch: number
    private pause: (() => Promise<void>) | undefined

    constructor(options?: DispatcherOptions) {
        const o = options || {}
        this.maxLength = o.maxLength || 2048
        this.maxDepth = o.maxDepth || 8
        this.maxBatch = o.maxBatch || 10
        this.pause = o.pause
        const self = this
        this.register({
            name: "rpc.list",
            description: "Lists the methods this device answers, with their parameters",
            handler: async (p: Record<string, any>) => self.describe(),
        })
    }

    /** Adds a method; a later registration under the same name replaces the earlier one. */
    register(def: MethodDef): void {
        for (let i = 0; i < this.methods.length; i++) {
            if (this.methods[i].name === def.name) {
                this.methods[i] = def
                return
            }
        }
        this.methods.push(def)
    }

    /** What rpc.list returns: [{name, description, params:[{name,type,optional?,min?,max?,values?}]}]. */
    describe(): any[] {
        // Members left undefined are not written by the JSON writer.
        return this.methods.map(m => ({
            name: m.name,
            description: m.description,
            params: (m.params || []).map(p => ({ name: p.name, type: p.type, optional: p.optional ? true : undefined, min: p.min, max: p.max, values: p.values })),
        }))
    }

    /**
     * Handles one request text (a single request or a batch). Returns the reply text, or undefined
     * when nothing must be sent (a notification, or a batch of notifications). Never throws.
     */
    async handle(text: string): Promise<string | undefined> {
        try {
            return await this.handleText(text)
        } catch (e) {
            // Only a bug in the dispatcher itself can get here; still answer rather than crash.
            // (A separate method so scripts/fuzz-jsonrpc.ts can call handleText and see such a throw.)
            return errorReply(null, INTERNAL_ERROR, "Internal error")
        }
    }

    private async handleText(text: string): Promise<string | undefined> {
        let bad: string | undefined = undefined
        if (typeof text !== "string") bad = "request must be text"
        else if (text.length > this.maxLength) bad = "request longer than " + this.maxLength + " characters"
        else if (await tooDeep(text, this.maxDepth, this.pause)) bad = "request nested deeper than " + this.maxDepth + " levels"
        else {
            let req: any
            try {
                req = JSON.parse(text)
            } catch (e) {
                // DeviceScript's parse errors have no e.name; any throw from JSON.parse is a parse error.
                return errorReply(null, PARSE_ERROR, "Parse error")
            }
            if (!Array.isArray(req)) return await this.handleOne(req)
            const batch = req as any[]
            if (batch.length === 0) bad = "empty batch"
            else if (batch.length > this.maxBatch) bad = "batch larger than " + this.maxBatch
            else {
                const replies: string[] = []
                for (const one of batch) {
                    const r = await this.handleOne(one)
                    if (r !== undefined) replies.push(r)
                }
                return replies.length === 0 ? undefined : "[" + replies.join(",") + "]"
            }
        }
        return errorReply(null, INVALID_REQUEST, "Invalid Request", bad)
    }

    /** One request object (§4). */
    private async handleOne(req: any): Promise<string | undefined> {
        let bad: string | undefined = undefined
        let id: any = undefined
        let method: any = undefined
        let params: any = undefined
        if (req === null || typeof req !== "object" || Array.isArray(req)) bad = "request must be an object"
        else {
            id = req["id"]
            method = req["method"]
            params = req["params"]
            const t = typeof id
            if (!(id === undefined || id === null || t === "string" || t === "number")) bad = "id must be a string, number or null"
            else if (req["jsonrpc"] !== "2.0") bad = "jsonrpc must be \"2.0\""
            else if (typeof method !== "string") bad = "method must be a string"
            else if (params !== undefined && (params === null || typeof params !== "object")) bad = "params must be an object or an array"
        }
        // An invalid request is answered even without an id (§5); an invalid id is reported as null.
        if (bad) return errorReply(id, INVALID_REQUEST, "Invalid Request", bad)
        let def: MethodDef | undefined = undefined
        for (const m of this.methods) if (m.name === method) def = m
        let out: string
        if (!def) out = errorReply(id, METHOD_NOT_FOUND, "Method not found", method)
        else {
            const bound = bindParams(def.params || [], params)
            if (typeof bound === "string") out = errorReply(id, INVALID_PARAMS, "Invalid params", bound)
            else {
                try {
                    const result = await def.handler(bound as Record<string, any>, def.name)
                    out = reply(id, "result", toJson(result === undefined ? null : result))
                } catch (e) {
                    if (e instanceof RpcError) {
                        const re = e as RpcError
                        out = errorReply(id, re.code, re.message, re.data)
                    } else {
                        const msg = (e as Error)?.message
                        out = errorReply(id, INTERNAL_ERROR, "Internal error", typeof msg === "string" ? msg : undefined)
                    }
                }
            }
        }
        // The request is valid, so a notification (no id member, §4.1) gets no reply; its method still ran.
        return id === undefined ? undefined : out
    }
}
