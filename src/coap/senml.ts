// SenML (RFC 8428) packs as application/senml+json (110) and application/senml+cbor (112).
// JSON is written by hand so numbers are exact on the board (DeviceScript's number->string is
// lossy, shared notes §1) and non-ASCII text stays UTF-8 (its JSON.stringify mangles it).
// Not supported: vd (data values, base64url in JSON) and base sum/bs is passed through only.

import { CborMap, CborValue, decodeCbor, encodeCbor } from "./cbor"
import { formatNumber } from "../util/decimal"
import { jsonString } from "../util/json"

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

const enum Kind {
    Num = 0,
    Str = 1,
    Bool = 2,
}

interface Field {
    name: string
    label: number // RFC 8428 6 table 4 (CBOR map key)
    kind: Kind
}

function f(name: string, label: number, kind: Kind): Field {
    return { name: name, label: label, kind: kind }
}

/** RFC 8428 4.1/4.2 fields and their CBOR labels (section 6), in output order. */
const FIELDS: Field[] = [
    f("bver", -1, Kind.Num),
    f("bn", -2, Kind.Str),
    f("bt", -3, Kind.Num),
    f("bu", -4, Kind.Str),
    f("bv", -5, Kind.Num),
    f("bs", -6, Kind.Num),
    f("n", 0, Kind.Str),
    f("u", 1, Kind.Str),
    f("v", 2, Kind.Num),
    f("vs", 3, Kind.Str),
    f("vb", 4, Kind.Bool),
    f("s", 5, Kind.Num),
    f("t", 6, Kind.Num),
    f("ut", 7, Kind.Num),
]

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
        for (const fd of FIELDS) {
            const v = rec[fd.name]
            if (v === undefined) continue
            const text = fd.kind === Kind.Num ? jsonNumber(v) : fd.kind === Kind.Str ? jsonString(v) : v ? "true" : "false"
            parts.push('"' + fd.name + '":' + text)
        }
        out.push("{" + parts.join(",") + "}")
    }
    return "[" + out.join(",") + "]"
}

/** Serializes a SenML pack to application/senml+cbor (integer labels, RFC 8428 6). */
export function senmlToCbor(records: SenmlRecord[]): Buffer {
    const arr: CborValue[] = []
    for (const r of records) {
        const rec: any = r
        const m = new CborMap()
        for (const fd of FIELDS) {
            const v = rec[fd.name]
            if (v !== undefined) m.set(fd.label, v)
        }
        arr.push(m)
    }
    return encodeCbor(arr)
}

function checkKind(fd: Field, v: any): void {
    const ok = fd.kind === Kind.Num ? typeof v === "number" : fd.kind === Kind.Str ? typeof v === "string" : typeof v === "boolean"
    if (!ok) throw new SenmlError("bad type for " + fd.name)
}

/** RFC 8428 4.4: unknown fields ending in "_" must be understood, so they reject the pack. */
function checkUnknown(name: string): void {
    if (name.length > 0 && name.charAt(name.length - 1) === "_") throw new SenmlError("unsupported must-understand field " + name)
}

function fieldByName(name: string): Field {
    for (const fd of FIELDS) if (fd.name === name) return fd
    return undefined
}

function fieldByLabel(label: number | string): Field {
    if (typeof label === "string") return fieldByName(label)
    for (const fd of FIELDS) if (fd.label === label) return fd
    return undefined
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
            const fd = fieldByName(k)
            if (fd === undefined) {
                checkUnknown(k)
                continue
            }
            checkKind(fd, o[k])
            rec[fd.name] = o[k]
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
            const fd = fieldByLabel(keys[i])
            if (fd === undefined) {
                if (typeof keys[i] === "string") checkUnknown(keys[i] as string)
                else if ((keys[i] as number) < -6) throw new SenmlError("unsupported must-understand label")
                continue
            }
            checkKind(fd, values[i])
            rec[fd.name] = values[i]
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
    let bu: string = undefined
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
