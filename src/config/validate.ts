// Turns a raw setting value (from .env, flash, or a config.set request) into a typed value, or
// says what is wrong with it. Never throws: a bad value must not crash-loop the board.
//
// DeviceScript JSON-parses .env values when it can, so DEVICE_ID=1234 arrives as the number 1234
// (turned back into text for text settings) and HA_DISCOVERY=true as a boolean (its spellings on,
// yes, 1... are accepted from .env). A number must be a JSON number: "60" in quotes is text.

import { SettingDef, checkFormat } from "./schema"
import { formatNumber } from "../util/decimal"

export interface Checked {
    value?: any
    error?: string
}

/** Strings as they are, numbers and booleans from .env parsing back as their text; else undefined. */
function toText(raw: any): string | undefined {
    const t = typeof raw
    if (t === "string") return raw
    if (t === "number") return formatNumber(raw)
    if (t === "boolean") {
        if (raw) return "true"
        return "false"
    }
    return undefined
}

/** The first 4 spellings are true, the last 4 false. */
const BOOLEANS = "true 1 on yes false 0 off no"

/** "must be at least 5" / "must be at most 64 characters": what is wrong with n, or undefined. */
function outOfRange(def: SettingDef, n: number, unit: string): string | undefined {
    // a comparison with an absent (undefined) bound is false, in DeviceScript as in JavaScript
    if (n < (def.min as number)) return "must be at least " + formatNumber(def.min as number) + unit
    if (n > (def.max as number)) return "must be at most " + formatNumber(def.max as number) + unit
    return undefined
}

/**
 * strict (config.set over RPC): the value must already have its JSON type; text spellings of
 * numbers and booleans are for .env files only, where every value starts as text.
 */
export function checkSetting(def: SettingDef, raw: any, strict?: boolean): Checked {
    const t = def.type
    let v: any
    let e: string | undefined
    // the JSON type of the value (if/else rather than nested ?:, which costs a copy per level)
    let want = "string"
    if (t === "boolean") want = t
    else if (t === "integer" || t === "number") want = "number"
    // (== null: undefined or null, one instruction instead of two tests)
    if (raw == null) e = "is missing"
    else if ((strict || want === "number") && typeof raw !== want) e = "must be a " + want
    else if (t === "boolean") {
        // booleans, the numbers 1 and 0, and their spellings in text
        const s = toText(raw)
        let i = -1
        if (s !== undefined) i = BOOLEANS.split(" ").indexOf(s.trim().toLowerCase())
        if (i < 0) e = "must be true or false"
        else v = i < 4
    } else if (want === "number") {
        v = raw
        if (v - v !== 0) e = "must be a finite number"
        else if (t === "integer" && Math.floor(v) !== v) e = "must be a whole number"
        else e = outOfRange(def, v, "")
    } else {
        // string and enum: numbers and booleans from .env parsing are turned back into their text.
        v = toText(raw)
        if (v === undefined) e = "must be text"
        else if (t === "enum") {
            // every enum in the schema lists its values (test/core/app/config.spec.ts)
            if ((def.values as string[]).indexOf(v) < 0) e = "must be one of " + (def.values as string[]).join(", ")
        } else {
            e = outOfRange(def, v.length, " characters")
            if (!e && def.format) e = checkFormat(def.format, v)
        }
    }
    // (if rather than ?:, which costs a copy)
    if (e) return { error: e }
    return { value: v }
}

/** A value as it may appear in a log line: secrets are never printed. */
export function shownValue(def: SettingDef, v: any): string {
    if (def.secret) return "(hidden)"
    // a URL with user info may carry a password
    if (typeof v === "string") {
        if (v.indexOf("://") > 0 && v.indexOf("@") > 0) return "(a URL with credentials, hidden)"
        return '"' + v + '"'
    }
    const s = toText(v)
    if (s === undefined) return "(" + typeof v + ")"
    return s
}
