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

/** Checks one value against its spec; returns what is wrong, or undefined. */
export function checkParam(spec: ParamSpec, v: any): string | undefined {
    const type = spec.type
    const name = "'" + spec.name + "' "
    const t = typeof v
    // What v is, in ParamType words; "" for NaN and the infinities (no ParamType accepts them).
    // (if/else rather than nested ?:, which the compiler turns into a copy per level)
    let kind: string = t
    if (v === null) kind = "null"
    else if (Array.isArray(v)) kind = "array"
    else if (t === "number") {
        if (v - v !== 0) kind = ""
        else if (Math.floor(v) === v) kind = "integer"
    }
    if (type === "any") return undefined
    if (kind !== type && !(type === "number" && kind === "integer")) {
        let article = "a "
        if ("aeiou".indexOf(type.charAt(0)) >= 0) article = "an "
        return name + "must be " + article + type
    }
    const str = type === "string"
    if (!str && t !== "number") return undefined
    // strings: min/max are lengths; numbers and integers: values
    let n = v
    if (str) n = (v as string).length
    // a comparison with an absent (undefined) bound is false, in DeviceScript as in JavaScript
    if (n < (spec.min as number)) {
        if (str) return name + "is too short"
        return name + "is below its minimum"
    }
    if (n > (spec.max as number)) {
        if (str) return name + "is too long"
        return name + "is above its maximum"
    }
    if (str && spec.values && spec.values.indexOf(v) < 0) return name + "must be one of " + spec.values.join(", ")
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
