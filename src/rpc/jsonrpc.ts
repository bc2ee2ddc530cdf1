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

import { DepthScan, countUpTo, toJson, jsonString } from "../util/json"
import { formatNumber } from "../telemetry/format"
import { INTERNAL_ERROR, INVALID_PARAMS, INVALID_REQUEST, METHOD_NOT_FOUND, PARSE_ERROR, RpcError } from "./errors"
import { ParamSpec, bindParams } from "./params"

export interface MethodDef {
    name: string
    description: string
    /** Parameters by name, in positional order. Omitted: the method takes none. */
    params?: ParamSpec[]
    /** Receives params already validated against `params`; its return value is the result. */
    handler: (params: Record<string, any>) => Promise<any>
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

function errorReply(id: any, code: number, message: string, data?: any): string {
    const idText = id === undefined ? "null" : idJson(id)
    let err = "{\"code\":" + formatNumber(code) + ",\"message\":" + jsonString(message)
    if (data !== undefined) {
        let dataText = "null"
        try {
            dataText = toJson(data)
        } catch (e) {
            dataText = "null"
        }
        err += ",\"data\":" + dataText
    }
    return "{\"jsonrpc\":\"2.0\",\"error\":" + err + "},\"id\":" + idText + "}"
}

/** A valid id (string, number, null) as JSON; anything else is reported as null (§5). */
function idJson(id: any): string {
    const t = typeof id
    if (t === "string") return jsonString(id)
    if (t === "number") return formatNumber(id)
    return "null"
}

function validId(id: any): boolean {
    const t = typeof id
    return id === undefined || id === null || t === "string" || t === "number"
}

export class Dispatcher {
    private methods: MethodDef[] = []
    private maxLength: number
    private maxDepth: number
    private maxBatch: number
    private pause: () => Promise<void>

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

    names(): string[] {
        return this.methods.map(m => m.name)
    }

    /** What rpc.list returns: [{name, description, params:[{name,type,optional?}]}]. */
    describe(): any[] {
        return this.methods.map(m => {
            const params = (m.params || []).map(p => {
                const d: Record<string, any> = { name: p.name, type: p.type }
                if (p.optional) d["optional"] = true
                if (p.min !== undefined) d["min"] = p.min
                if (p.max !== undefined) d["max"] = p.max
                if (p.values) d["values"] = p.values
                return d
            })
            return { name: m.name, description: m.description, params: params }
        })
    }

    private find(name: string): MethodDef {
        for (const m of this.methods) if (m.name === name) return m
        return undefined
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
            return errorReply(null, INTERNAL_ERROR, "Internal error")
        }
    }

    private async tooDeep(text: string): Promise<boolean> {
        // Fast path: few opening brackets cannot nest deeply (two native indexOf scans).
        const limit = this.maxDepth
        if (countUpTo(text, "[", limit) + countUpTo(text, "{", limit) <= limit) return false
        const scan = new DepthScan()
        for (let from = 0; from < text.length; from += SCAN_CHUNK) {
            const to = Math.min(text.length, from + SCAN_CHUNK)
            if (scan.feed(text, from, to) > limit) return true
            if (this.pause && to < text.length) await this.pause()
        }
        return false
    }

    private async handleText(text: string): Promise<string | undefined> {
        if (typeof text !== "string") return errorReply(null, INVALID_REQUEST, "Invalid Request", "request must be text")
        if (text.length > this.maxLength) return errorReply(null, INVALID_REQUEST, "Invalid Request", "request longer than " + this.maxLength + " characters")
        if (await this.tooDeep(text)) return errorReply(null, INVALID_REQUEST, "Invalid Request", "request nested deeper than " + this.maxDepth + " levels")
        let req: any
        try {
            req = JSON.parse(text)
        } catch (e) {
            // DeviceScript's parse errors have no e.name; any throw from JSON.parse is a parse error.
            return errorReply(null, PARSE_ERROR, "Parse error")
        }
        if (!Array.isArray(req)) return await this.handleOne(req)
        const batch = req as any[]
        if (batch.length === 0) return errorReply(null, INVALID_REQUEST, "Invalid Request", "empty batch")
        if (batch.length > this.maxBatch) return errorReply(null, INVALID_REQUEST, "Invalid Request", "batch larger than " + this.maxBatch)
        const replies: string[] = []
        for (const one of batch) {
            const r = await this.handleOne(one)
            if (r !== undefined) replies.push(r)
        }
        if (replies.length === 0) return undefined
        return "[" + replies.join(",") + "]"
    }

    /** One request object (§4). */
    private async handleOne(req: any): Promise<string | undefined> {
        if (req === null || typeof req !== "object" || Array.isArray(req)) return errorReply(null, INVALID_REQUEST, "Invalid Request", "request must be an object")
        const id = req["id"]
        if (!validId(id)) return errorReply(null, INVALID_REQUEST, "Invalid Request", "id must be a string, number or null")
        const replyId = id === undefined ? null : id
        if (req["jsonrpc"] !== "2.0") return errorReply(replyId, INVALID_REQUEST, "Invalid Request", "jsonrpc must be \"2.0\"")
        const method = req["method"]
        if (typeof method !== "string") return errorReply(replyId, INVALID_REQUEST, "Invalid Request", "method must be a string")
        const params = req["params"]
        if (params !== undefined && (params === null || typeof params !== "object")) return errorReply(replyId, INVALID_REQUEST, "Invalid Request", "params must be an object or an array")
        // From here on the request is valid, so a notification (no id member, §4.1) gets no reply.
        const isNotification = id === undefined
        const def = this.find(method)
        if (!def) return isNotification ? undefined : errorReply(id, METHOD_NOT_FOUND, "Method not found", method)
        const bound = bindParams(def.params || [], params)
        if (typeof bound === "string") return isNotification ? undefined : errorReply(id, INVALID_PARAMS, "Invalid params", bound)
        let resultText: string
        try {
            const result = await def.handler(bound as Record<string, any>)
            resultText = toJson(result === undefined ? null : result)
        } catch (e) {
            if (isNotification) return undefined
            if (e instanceof RpcError) {
                const re = e as RpcError
                return errorReply(id, re.code, re.message, re.data)
            }
            const msg = (e as Error)?.message
            return errorReply(id, INTERNAL_ERROR, "Internal error", typeof msg === "string" ? msg : undefined)
        }
        if (isNotification) return undefined
        return "{\"jsonrpc\":\"2.0\",\"result\":" + resultText + ",\"id\":" + idJson(id) + "}"
    }
}
