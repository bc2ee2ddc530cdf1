// SenML (RFC 8428) packs as application/senml+json (110) and application/senml+cbor (112).
// JSON is written by hand so numbers are exact on the board (DeviceScript's number->string is
// lossy: about 7 significant digits) and non-ASCII text stays UTF-8 (its JSON.stringify mangles it).
// Not supported: vd (data values, base64url in JSON) and base sum/bs is passed through only.

import { CborMap, CborValue, cborHead, cborScalar, decodeCbor } from "./cbor"
import { concatBytes } from "../../util/bytes"
import { formatNumber } from "../../util/decimal"
import { jsonString } from "../../util/json"

export interface SenmlRecord {
    bver?: number
    bn?: string
    bt?: number
    bu?: string
    bv?: number
    bs?: number
    n?: string
    u?: string
    v?: number
    vs?: string
    vb?: boolean
    s?: number
    t?: number
    ut?: number
}

export class SenmlError extends Error {
    constructor(reason: string) {
        super(reason)
        this.name = "SenmlError"
    }
}

// RFC 8428 4.1/4.2 fields in output order, as data (strings cost no board bytecode; a table of
// objects is built by code at start-up). The 6 base fields have CBOR labels -1..-6, the others
// 0..7 (section 6 table 4); FIELD_KINDS[i] is the value kind: N number, S string, B boolean.
const FIELD_NAMES = "bver bn bt bu bv bs n u v vs vb s t ut".split(" ")
const FIELD_KINDS = "NSNSNNSSNSBNNN"
const BASE_FIELDS = 6

function fieldLabel(i: number): number {
    return i < BASE_FIELDS ? -1 - i : i - BASE_FIELDS
}

// ---- JSON ----

// jsonString: the project's one JSON string writer (src/util/json.ts, RFC 8259 7), re-exported here.
export { jsonString }

/** A JSON number, exact (shortest round-trip form); non-finite numbers are not allowed in SenML. */
function jsonNumber(v: number): string {
    if (v - v !== 0) throw new SenmlError("non-finite number")
    return formatNumber(v)
}

/** Serializes a SenML pack to application/senml+json text. */
export function senmlToJson(records: SenmlRecord[]): string {
    const out: string[] = []
    for (const r of records) {
        const rec: any = r
        const parts: string[] = []
        for (let i = 0; i < FIELD_NAMES.length; i++) {
            const name = FIELD_NAMES[i]
            const v = rec[name]
            if (v === undefined) continue
            const kind = FIELD_KINDS.charAt(i)
            const text = kind === "N" ? jsonNumber(v) : kind === "S" ? jsonString(v) : v ? "true" : "false"
            parts.push('"' + name + '":' + text)
        }
        out.push("{" + parts.join(",") + "}")
    }
    return "[" + out.join(",") + "]"
}

/**
 * Serializes a SenML pack to application/senml+cbor (integer labels, RFC 8428 6): an array of
 * maps, written straight from the records (no CborMap in between).
 */
export function senmlToCbor(records: SenmlRecord[]): Buffer {
    const out: Buffer[] = []
    cborHead(out, 4, records.length)
    for (const r of records) {
        const rec: any = r
        let n = 0
        for (const name of FIELD_NAMES) if (rec[name] !== undefined) n++
        cborHead(out, 5, n)
        for (let i = 0; i < FIELD_NAMES.length; i++) {
            const v = rec[FIELD_NAMES[i]]
            if (v === undefined) continue
            cborScalar(out, fieldLabel(i))
            if (!cborScalar(out, v)) throw new SenmlError("bad type for " + FIELD_NAMES[i])
        }
    }
    return concatBytes(out)
}

/** Checks the value of field `i` against its kind; returns the field's name. */
function checkKind(i: number, v: any): string {
    const kind = FIELD_KINDS.charAt(i)
    const ok = kind === "N" ? typeof v === "number" : kind === "S" ? typeof v === "string" : typeof v === "boolean"
    if (!ok) throw new SenmlError("bad type for " + FIELD_NAMES[i])
    return FIELD_NAMES[i]
}

/** RFC 8428 4.4: unknown fields ending in "_" must be understood, so they reject the pack. */
function checkUnknown(name: string): void {
    if (name.length > 0 && name.charAt(name.length - 1) === "_") throw new SenmlError("unsupported must-understand field " + name)
}

/** Index of a field by name or CBOR label, -1 when unknown. */
function fieldIndex(key: number | string): number {
    if (typeof key === "string") return FIELD_NAMES.indexOf(key)
    if (key < -BASE_FIELDS || key >= FIELD_NAMES.length - BASE_FIELDS || Math.floor(key) !== key) return -1
    return key < 0 ? -1 - key : key + BASE_FIELDS
}

/** Parses application/senml+json text. Throws SenmlError on anything that is not a SenML pack. */
export function senmlFromJson(text: string): SenmlRecord[] {
    let doc: any
    try {
        doc = JSON.parse(text)
    } catch (e) {
        throw new SenmlError("invalid JSON")
    }
    if (!Array.isArray(doc)) throw new SenmlError("pack must be an array")
    const out: SenmlRecord[] = []
    for (const o of doc) {
        if (o === null || typeof o !== "object" || Array.isArray(o)) throw new SenmlError("record must be an object")
        const rec: any = {}
        for (const k of Object.keys(o)) {
            const i = FIELD_NAMES.indexOf(k)
            if (i < 0) {
                checkUnknown(k)
                continue
            }
            rec[checkKind(i, o[k])] = o[k]
        }
        out.push(rec)
    }
    return out
}

/** Parses application/senml+cbor (integer labels; text labels also accepted). */
export function senmlFromCbor(buf: Buffer): SenmlRecord[] {
    const doc = decodeCbor(buf) // CborError propagates for malformed CBOR
    if (!Array.isArray(doc)) throw new SenmlError("pack must be an array")
    const out: SenmlRecord[] = []
    for (const o of doc) {
        const rec: any = {}
        let keys: (number | string)[]
        let values: CborValue[]
        if (o instanceof CborMap) {
            keys = o.keys
            values = o.values
        } else if (o !== null && typeof o === "object" && !Array.isArray(o) && !(o instanceof Buffer)) {
            keys = Object.keys(o)
            values = []
            for (const k of keys) values.push(o[k as string])
        } else throw new SenmlError("record must be a map")
        for (let i = 0; i < keys.length; i++) {
            const f = fieldIndex(keys[i])
            if (f < 0) {
                if (typeof keys[i] === "string") checkUnknown(keys[i] as string)
                else if ((keys[i] as number) < -6) throw new SenmlError("unsupported must-understand label")
                continue
            }
            rec[checkKind(f, values[i])] = values[i]
        }
        out.push(rec)
    }
    return out
}

/**
 * RFC 8428 4.6: resolved records (base values applied; bn/bt/bu/bv/bs/bver removed).
 * Base fields carry over to later records until changed. Relative times stay relative (<2^28).
 */
export function resolveSenml(records: SenmlRecord[]): SenmlRecord[] {
    let bn = ""
    let bt = 0
    let bu: string | undefined = undefined
    let bv = 0
    let bs = 0
    const out: SenmlRecord[] = []
    for (const r of records) {
        if (r.bn !== undefined) bn = r.bn
        if (r.bt !== undefined) bt = r.bt
        if (r.bu !== undefined) bu = r.bu
        if (r.bv !== undefined) bv = r.bv
        if (r.bs !== undefined) bs = r.bs
        const x: SenmlRecord = { n: bn + (r.n !== undefined ? r.n : "") }
        const u = r.u !== undefined ? r.u : bu
        if (u !== undefined) x.u = u
        if (r.v !== undefined || (r.vs === undefined && r.vb === undefined && r.s === undefined && r.bv !== undefined))
            x.v = bv + (r.v !== undefined ? r.v : 0)
        if (r.vs !== undefined) x.vs = r.vs
        if (r.vb !== undefined) x.vb = r.vb
        if (r.s !== undefined) x.s = bs + r.s
        x.t = bt + (r.t !== undefined ? r.t : 0)
        if (r.ut !== undefined) x.ut = r.ut
        out.push(x)
    }
    return out
}
