// Turns a raw setting value (from .env, flash, or a config.set request) into a typed value, or
// says what is wrong with it. Never throws: a bad value must not crash-loop the board.
//
// DeviceScript JSON-parses .env values when it can, so DEVICE_ID=1234 arrives as the number 1234
// and HA_DISCOVERY=true as a boolean; strings like "60" also arrive for numbers when written by
// hand. Both spellings are accepted here.

import { SettingDef, checkFormat } from "./schema"
import { formatNumber } from "../util/decimal"

export interface Checked {
    value?: any
    error?: string
}

/** A finite number, or decimal text ("-12", "0.25", no exponent) as one; else undefined. */
function toNumber(raw: any): number | undefined {
    if (typeof raw === "number") return raw - raw === 0 ? raw : undefined
    if (typeof raw !== "string") return undefined
    const s = raw.trim()
    let digits = 0
    let dots = 0
    for (let i = 0; i < s.length; i++) {
        const c = s.charCodeAt(i)
        if (c >= 48 && c <= 57) digits++
        else if (c === 46) dots++
        else if (!(i === 0 && c === 45)) return undefined
    }
    return digits > 0 && dots <= 1 ? parseFloat(s) : undefined
}

/** Strings as they are, numbers and booleans from .env parsing back as their text; else undefined. */
function toText(raw: any): string | undefined {
    const t = typeof raw
    if (t === "string") return raw
    if (t === "number") return formatNumber(raw)
    if (t === "boolean") return raw ? "true" : "false"
    return undefined
}

/** The first 4 spellings are true, the last 4 false. */
const BOOLEANS = "true 1 on yes false 0 off no"

/** "must be at least 5" / "must be at most 64 characters": what is wrong with n, or undefined. */
function outOfRange(def: SettingDef, n: number, unit: string): string | undefined {
    if (def.min !== undefined && n < def.min) return "must be at least " + formatNumber(def.min) + unit
    if (def.max !== undefined && n > def.max) return "must be at most " + formatNumber(def.max) + unit
    return undefined
}

export function checkSetting(def: SettingDef, raw: any): Checked {
    const t = def.type
    let v: any = undefined
    let e: string | undefined
    if (raw === undefined || raw === null) e = "is missing"
    else if (t === "boolean") {
        // booleans, the numbers 1 and 0, and their spellings in text
        const s = toText(raw)
        const i = s === undefined ? -1 : BOOLEANS.split(" ").indexOf(s.trim().toLowerCase())
        if (i < 0) e = "must be true or false"
        else v = i < 4
    } else if (t === "integer" || t === "number") {
        v = toNumber(raw)
        if (v === undefined) e = "must be a number"
        else if (t === "integer" && Math.floor(v) !== v) e = "must be a whole number"
        else e = outOfRange(def, v, "")
    } else {
        // string and enum: numbers and booleans from .env parsing are turned back into their text.
        v = toText(raw)
        if (v === undefined) e = "must be text"
        else if (t === "enum") {
            // every enum in the schema lists its values (test/core/app/config.spec.ts)
            if ((def.values as string[]).indexOf(v) < 0) e = "must be one of " + (def.values as string[]).join(", ")
        } else e = outOfRange(def, v.length, " characters") || (def.format ? checkFormat(def.format, v) : undefined)
    }
    return e ? { error: e } : { value: v }
}

/** A value as it may appear in a log line: secrets are never printed. */
export function shownValue(def: SettingDef, v: any): string {
    if (def.secret) return "(hidden)"
    if (typeof v === "string") return "\"" + v + "\""
    const s = toText(v)
    return s === undefined ? "(" + typeof v + ")" : s
}
