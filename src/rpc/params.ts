// Method parameters described as data, and the one validator that checks a request against them.
// JSON-RPC 2.0 §4.2 allows params by position (array) or by name (object); both are mapped onto
// the same named record before a method sees them, so methods never look at the raw form.

export type ParamType = "string" | "number" | "integer" | "boolean" | "object" | "array" | "any"

export interface ParamSpec {
    name: string
    type: ParamType
    optional?: boolean
    /** Numbers: smallest value; strings: shortest length. */
    min?: number
    /** Numbers: largest value; strings: longest length. */
    max?: number
    /** Strings: the allowed values. */
    values?: string[]
    description?: string
}

function typeOk(v: any, type: ParamType): boolean {
    if (type === "any") return true
    if (v === null) return false
    const t = typeof v
    if (type === "integer") return t === "number" && Math.floor(v) === v && v - v === 0
    if (type === "number") return t === "number" && v - v === 0
    if (type === "array") return Array.isArray(v)
    if (type === "object") return t === "object" && !Array.isArray(v)
    return t === type
}

/** Checks one value against its spec; returns what is wrong, or undefined. */
export function checkParam(spec: ParamSpec, v: any): string | undefined {
    if (!typeOk(v, spec.type)) return "'" + spec.name + "' must be " + (spec.type === "integer" ? "an integer" : "a " + spec.type)
    if (spec.type === "string") {
        const s = v as string
        if (spec.min !== undefined && s.length < spec.min) return "'" + spec.name + "' is too short"
        if (spec.max !== undefined && s.length > spec.max) return "'" + spec.name + "' is too long"
        if (spec.values && spec.values.indexOf(s) < 0) return "'" + spec.name + "' must be one of " + spec.values.join(", ")
    } else if (spec.type === "number" || spec.type === "integer") {
        if (spec.min !== undefined && v < spec.min) return "'" + spec.name + "' is below its minimum"
        if (spec.max !== undefined && v > spec.max) return "'" + spec.name + "' is above its maximum"
    }
    return undefined
}

/**
 * Maps raw params (undefined, array or object) onto a record keyed by spec names.
 * Returns the record, or a string saying what is wrong (which becomes -32602 Invalid params).
 */
export function bindParams(specs: ParamSpec[], raw: any): Record<string, any> | string {
    const out: Record<string, any> = {}
    if (raw === undefined) raw = {}
    if (Array.isArray(raw)) {
        const arr = raw as any[]
        if (arr.length > specs.length) return "too many parameters (at most " + specs.length + ")"
        for (let i = 0; i < arr.length; i++) out[specs[i].name] = arr[i]
    } else {
        for (const k of Object.keys(raw)) {
            let known = false
            for (const s of specs) if (s.name === k) known = true
            if (!known) return "unknown parameter '" + k + "'"
            out[k] = raw[k]
        }
    }
    for (const s of specs) {
        const v = out[s.name]
        if (v === undefined) {
            if (!s.optional) return "missing parameter '" + s.name + "'"
            continue
        }
        const problem = checkParam(s, v)
        if (problem) return problem
    }
    return out
}
