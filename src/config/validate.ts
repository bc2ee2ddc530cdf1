// Turns a raw setting value (from .env, flash, or a config.set request) into a typed value, or
// says what is wrong with it. Never throws: a bad value must not crash-loop the board.
//
// DeviceScript JSON-parses .env values when it can, so DEVICE_ID=1234 arrives as the number 1234
// and HA_DISCOVERY=true as a boolean; strings like "60" also arrive for numbers when written by
// hand. Both spellings are accepted here.

import { SettingDef } from "./schema"
import { formatNumber } from "../telemetry/format"

export interface Checked {
    value?: any
    error?: string
}

function isDecimalText(s: string): boolean {
    let digits = 0
    let dots = 0
    for (let i = 0; i < s.length; i++) {
        const c = s.charCodeAt(i)
        if (c >= 48 && c <= 57) digits++
        else if (c === 46) dots++
        else if (!(i === 0 && c === 45)) return false
    }
    return digits > 0 && dots <= 1
}

function toNumber(raw: any): number | undefined {
    if (typeof raw === "number") return raw - raw === 0 ? raw : undefined
    if (typeof raw === "string") {
        const s = raw.trim()
        if (!isDecimalText(s)) return undefined
        return parseFloat(s)
    }
    return undefined
}

function toBoolean(raw: any): boolean | undefined {
    if (typeof raw === "boolean") return raw
    if (raw === 1 || raw === 0) return raw === 1
    if (typeof raw === "string") {
        const s = raw.trim().toLowerCase()
        if (s === "true" || s === "1" || s === "on" || s === "yes") return true
        if (s === "false" || s === "0" || s === "off" || s === "no") return false
    }
    return undefined
}

export function checkSetting(def: SettingDef, raw: any): Checked {
    if (raw === undefined || raw === null) return { error: "is missing" }
    const t = def.type
    if (t === "boolean") {
        const b = toBoolean(raw)
        if (b === undefined) return { error: "must be true or false" }
        return { value: b }
    }
    if (t === "integer" || t === "number") {
        const n = toNumber(raw)
        if (n === undefined) return { error: "must be a number" }
        if (t === "integer" && Math.floor(n) !== n) return { error: "must be a whole number" }
        if (def.min !== undefined && n < def.min) return { error: "must be at least " + formatNumber(def.min) }
        if (def.max !== undefined && n > def.max) return { error: "must be at most " + formatNumber(def.max) }
        return { value: n }
    }
    // string and enum: numbers and booleans from .env parsing are turned back into their text.
    let s: string
    if (typeof raw === "string") s = raw
    else if (typeof raw === "number") s = formatNumber(raw)
    else if (typeof raw === "boolean") s = raw ? "true" : "false"
    else return { error: "must be text" }
    if (t === "enum") {
        if (def.values.indexOf(s) < 0) return { error: "must be one of " + def.values.join(", ") }
        return { value: s }
    }
    if (def.min !== undefined && s.length < def.min) return { error: "must be at least " + formatNumber(def.min) + " characters" }
    if (def.max !== undefined && s.length > def.max) return { error: "must be at most " + formatNumber(def.max) + " characters" }
    if (def.check) {
        const problem = def.check(s)
        if (problem) return { error: problem }
    }
    return { value: s }
}

/** A value as it may appear in a log line: secrets are never printed. */
export function shownValue(def: SettingDef, v: any): string {
    if (def.secret) return "(hidden)"
    if (typeof v === "string") return "\"" + v + "\""
    if (typeof v === "number") return formatNumber(v)
    if (typeof v === "boolean") return v ? "true" : "false"
    return "(" + typeof v + ")"
}
