// Fuzz loop for the JSON-RPC 2.0 dispatcher with the firmware's real method table:
//   npx tsx scripts/fuzz-jsonrpc.ts [count] [seed]
//
// The dispatcher is the one a DeviceApp builds (src/rpc/jsonrpc.ts + src/firmware/methods.ts),
// over in-memory fakes of the app's interfaces (settings store, clock, restarter, sensors that
// sometimes fail or read extreme values, an LED that sometimes fails, a bus that drops everything).
// Inputs: valid requests with right and wrong params, invalid requests, batches, random JSON
// values, char-level mutations of all of these (unicode, lone surrogates, control characters),
// deep nesting, long texts, huge/odd numbers.
//
// Each reply is checked against an oracle computed with Node's own JSON.parse (independent of the
// dispatcher's code). Failure (printed with the input text; exit 1 after the summary) when
//   - the dispatcher throws (handle() hides such a bug as a bare -32603, so handleText is called),
//   - a reply is not JSON, or not a JSON-RPC 2.0 Response: jsonrpc "2.0", exactly one of
//     result/error, error = {code: integer, message: string[, data]}, no other members,
//   - an error code is not the one the spec requires for that input (-32700, -32600, -32601) or,
//     for a valid call, not -32602 / -32000 (the app's documented hardware error); -32603 from a
//     firmware method counts as a failure: it means a method threw something it should not,
//   - the id is not the request's id (null when it could not be read),
//   - a notification, or a batch of only notifications, gets a reply; a batch's replies are not
//     one per non-notification in order.
import { Config, MemoryStore } from "../src/config/config"
import { SETTINGS } from "../src/config/schema"
import { DeviceApp, MAX_REQUEST_BYTES } from "../src/firmware/app"
import { HARDWARE_ERROR } from "../src/firmware/methods"
import { BoardHardware, SensorChannel } from "../src/firmware/hardware"
import { MessageBus } from "../src/firmware/bus"
import { Dispatcher } from "../src/rpc/jsonrpc"
import { formatNumber } from "../src/util/decimal"
import { Failures, Rng, finish, fuzzArgs } from "./fuzz-lib"

const args = fuzzArgs(0x6a09e667)
const rng = new Rng(args.seed)
const failures = new Failures("fuzz-jsonrpc", args.seed)

/** The dispatcher's limits: DeviceApp sets the length (MAX_REQUEST_BYTES), the rest are its defaults. */
const MAX_LENGTH = MAX_REQUEST_BYTES
const MAX_DEPTH = 8
const MAX_BATCH = 10
const CODES = { parse: -32700, invalid: -32600, notFound: -32601, params: -32602, internal: -32603 }

// ---------------------------------------------------------------- the app under test, on fakes

const EXTREME = [21.53, -40, 0, -0, 1e-300, 123456.789, 1e15, 9.999e20, -1e300, 1e308, NaN, Infinity, -Infinity]
let now = 1000

function sensor(key: string, unit: string, decimals: number): SensorChannel {
    return {
        key,
        unit,
        decimals,
        deviceClass: key,
        name: key,
        read: async () => {
            const r = rng.below(16)
            if (r === 0) throw new Error("i2c nack")
            if (r === 1) return undefined as unknown as number
            if (r < 5) return rng.pick(EXTREME)
            return (rng.next() % 100000) / 100 - 200
        },
    }
}

async function makeApp(): Promise<Dispatcher> {
    let ledOn = false
    const hw: BoardHardware = {
        board: "fuzz",
        model: "Fuzz board + fake sensors",
        tls: true,
        sensors: [sensor("temperature", "°C", 2), sensor("humidity", "%", 1), sensor("pressure", "hPa", 1)],
        led: {
            set: async (on: boolean) => {
                if (rng.below(8) === 0) throw new Error("gpio busy")
                ledOn = on
            },
            get: () => ledOn,
        },
    }
    const config = new Config(new MemoryStore(), () => {})
    await config.load()
    const app = new DeviceApp({
        hw,
        config,
        clock: { now: () => now },
        restarter: { restartSoon: () => {} },
        log: () => {},
        hardwareId: "fuzz0001",
    })
    const bus: MessageBus = { publish: async () => {}, subscribe: async () => {} }
    await app.onConnected(bus)
    return app.dispatcher
}

// ---------------------------------------------------------------- inputs

const UNICODE = ["é", "😀", "日本", "\u0000", "\u001f", "\u2028", "\ud800", "\udfff", "\ufeff", "\\", '"', "\\u0000", "\\ud83d", "\\udc00"]
const NUMBERS = [
    0, -0, 1, -1, 100, 99, 60000, 60001, 2147483647, 2147483648, -2147483649, 4294967296, 9007199254740991, 9007199254740993, 1e21, 1e308,
    -1e308, 5e-324, 0.5, 1.0000000001, 123.456, -0.000001,
]
const NUMBER_TEXTS = ["1e309", "-1e400", "1E2", "1e-400", "123456789012345678901234567890", "0.1e1", "-0", "1.5e+300", "0e0"]
const METHODS = ["sys.info", "sys.restart", "sensors.read", "telemetry.now", "config.get", "config.set", "led.set", "led.get", "rpc.list"]
const OTHER_METHODS = [
    "",
    "SYS.INFO",
    "sys.info ",
    "nope",
    "rpc.",
    "__proto__",
    "constructor",
    "toString",
    "hasOwnProperty",
    "sys.info\u0000",
    "日本",
]
const KEYS = SETTINGS.map((s) => s.key).concat(["", "__proto__", "constructor", "mqtt_url", "X".repeat(14), "é"])

function str(): string {
    switch (rng.below(6)) {
        case 0:
            return ""
        case 1:
            return rng.pick(UNICODE)
        case 2:
            return rng.pick(METHODS)
        case 3:
            return rng.pick(KEYS)
        case 4:
            return rng.pick([
                "mqtt://h:1883",
                "mqtts://broker.example:8883",
                "coap+tcp://gw",
                "devices",
                "on",
                "true",
                "60",
                "-1",
                "x/y",
                "+",
                "#",
                "$SYS",
            ])
        default: {
            const n = rng.below(12)
            let s = ""
            for (let i = 0; i < n; i++) s += rng.below(4) === 0 ? rng.pick(UNICODE) : String.fromCharCode(32 + rng.below(95))
            return s
        }
    }
}

function num(): number {
    return rng.below(3) === 0 ? rng.next() - 2147483648 : rng.pick(NUMBERS)
}

function value(depth: number): unknown {
    const r = rng.below(depth > 3 ? 6 : 9)
    if (r === 0) return null
    if (r === 1) return rng.bool()
    if (r === 2 || r === 3) return num()
    if (r === 4 || r === 5) return str()
    if (r === 6 || r === 7) {
        const a: unknown[] = []
        for (let i = rng.below(4); i > 0; i--) a.push(value(depth + 1))
        return a
    }
    const o: Record<string, unknown> = {}
    for (let i = rng.below(4); i > 0; i--) o[rng.bool() ? rng.pick(KEYS) : str()] = value(depth + 1)
    return o
}

/** Params aimed at the method's own spec: right types, boundary values, wrong types, extras. */
function paramsFor(method: string): unknown {
    const wrong = rng.below(4) === 0
    const positional = rng.below(4) === 0
    let named: Record<string, unknown> = {}
    switch (method) {
        case "sys.restart":
            if (rng.bool()) named["delay_ms"] = wrong ? value(0) : rng.pick([99, 100, 101, 500, 60000, 60001, 100.5, -1, 1e308, 0])
            break
        case "config.get":
            if (rng.bool()) named["key"] = wrong ? value(0) : rng.pick(KEYS)
            break
        case "config.set": {
            const s: Record<string, unknown> = {}
            for (let i = rng.below(4); i > 0; i--) {
                const k = rng.pick(KEYS)
                s[k] = rng.below(3) === 0 ? value(0) : settingValue(k)
            }
            named["settings"] = wrong ? value(0) : s
            break
        }
        case "led.set":
            named["on"] = wrong ? value(0) : rng.bool()
            break
        default:
            if (wrong) named = value(0) as Record<string, unknown>
    }
    if (rng.below(8) === 0 && named && typeof named === "object") named[rng.pick(KEYS)] = value(1)
    if (positional && named && typeof named === "object" && !Array.isArray(named)) {
        const arr = Object.values(named)
        if (rng.below(4) === 0) arr.push(value(1))
        return arr
    }
    return named
}

function settingValue(key: string): unknown {
    const def = SETTINGS.find((s) => s.key === key)
    if (!def) return str()
    switch (def.type) {
        case "integer":
        case "number":
            return rng.pick([def.min, def.max, def.default, (def.min ?? 0) - 1, (def.max ?? 0) + 1, 1.5, String(def.default), "12x", num()])
        case "boolean":
            return rng.pick([true, false, 0, 1, "on", "off", "yes", "maybe", 2])
        case "enum":
            return rng.pick<unknown>([...(def.values ?? []), "", "MQTT", 1])
        default:
            return rng.pick([
                def.default,
                "",
                str(),
                "x".repeat(rng.below(300)),
                "mqtt://h",
                "mqtts://h:70000",
                "a/b",
                "a/+/b",
                "/lead",
                "dev-1_A",
                "bad id",
            ])
    }
}

function id(): unknown {
    switch (rng.below(8)) {
        case 0:
            return str()
        case 1:
            return null
        case 2:
            return value(1)
        default:
            return rng.below(4) === 0 ? num() : 1 + rng.below(100000)
    }
}

function request(): Record<string, unknown> {
    const r: Record<string, unknown> = {}
    const method = rng.below(6) === 0 ? (rng.bool() ? rng.pick(OTHER_METHODS) : str()) : rng.pick(METHODS)
    // field order varies; each field is sometimes missing or wrong
    const fields = ["jsonrpc", "method", "params", "id"]
    for (let i = 0; i < 4; i++) {
        const j = rng.below(4)
        const t = fields[i]
        fields[i] = fields[j]
        fields[j] = t
    }
    for (const f of fields) {
        const bad = rng.below(12) === 0
        if (f === "jsonrpc" && rng.below(16) !== 0) r[f] = bad ? rng.pick(["2", "1.0", 2, "2.0 ", null, "2.00"]) : "2.0"
        if (f === "method") r[f] = bad ? value(1) : method
        if (f === "params" && rng.below(4) !== 0) r[f] = bad ? rng.pick([null, 1, "x", true]) : paramsFor(method)
        if (f === "id" && rng.below(5) !== 0) r[f] = id()
    }
    return r
}

function batch(): unknown[] {
    const b: unknown[] = []
    for (let i = rng.below(14); i > 0; i--) b.push(rng.below(6) === 0 ? value(1) : request())
    return b
}

function stringify(v: unknown): string {
    return rng.below(4) === 0 ? JSON.stringify(v, null, rng.pick([1, 2, "\t"])) : JSON.stringify(v)
}

/** Text replacements that keep JSON valid but reach the parser's corners. */
function numberTexts(text: string): string {
    return text.replace(/-?\d+(\.\d+)?(e[+-]?\d+)?/gi, (m) => (rng.below(3) === 0 ? rng.pick(NUMBER_TEXTS) : m))
}

const STRUCTURE = [
    "{",
    "}",
    "[",
    "]",
    '"',
    ":",
    ",",
    "\\",
    " ",
    "\n",
    "0",
    "-",
    "e",
    ".",
    "t",
    "n",
    "null",
    "true",
    '"id"',
    '"jsonrpc":"2.0"',
]

function mutate(text: string): string {
    for (let m = 1 + rng.below(4); m > 0; m--) {
        const at = rng.below(text.length + 1)
        switch (rng.below(6)) {
            case 0:
                text = text.slice(0, at) + (rng.bool() ? rng.pick(STRUCTURE) : rng.pick(UNICODE)) + text.slice(at)
                break
            case 1:
                text = text.slice(0, at) + text.slice(at + 1 + rng.below(4))
                break
            case 2:
                text = text.slice(0, at)
                break
            case 3: {
                const len = rng.below(12)
                text = text.slice(0, at + len) + text.slice(at, at + len) + text.slice(at + len)
                break
            }
            case 4:
                text = text.slice(0, at) + String.fromCharCode(rng.below(0x10000)) + text.slice(at + 1)
                break
            default:
                text = text.slice(0, at) + rng.pick(NUMBER_TEXTS) + text.slice(at)
        }
    }
    return text
}

function nested(): string {
    const depth = MAX_DEPTH - 3 + rng.below(8)
    const open = rng.bool() ? "[" : '{"a":'
    const close = open === "[" ? "]" : "}"
    let inner = rng.bool() ? "1" : '"' + "[".repeat(rng.below(20)) + '"'
    for (let i = 0; i < depth; i++) inner = open + inner + close
    switch (rng.below(4)) {
        case 0:
            return inner
        case 1:
            return `{"jsonrpc":"2.0","method":"config.set","params":{"settings":${inner}},"id":7}`
        case 2:
            return `{"jsonrpc":"2.0","method":"sys.info","params":${inner},"id":"n"}`
        default:
            return "[".repeat(rng.below(5000)) // unbalanced and very deep: the guard must stop it before JSON.parse
    }
}

function long(): string {
    const pad = "x".repeat(MAX_LENGTH - 60 + rng.below(120))
    return `{"jsonrpc":"2.0","method":"config.get","params":{"key":"${pad}"},"id":${rng.below(1000)}}`
}

function input(): string {
    switch (rng.below(16)) {
        case 0:
        case 1:
        case 2:
        case 3:
            return stringify(request())
        case 4:
        case 5:
            return numberTexts(stringify(request()))
        case 6:
            return stringify(batch())
        case 7:
            return stringify(value(0))
        case 8:
            return nested()
        case 9:
            return long()
        case 10:
            return mutate(stringify(batch()))
        default:
            return mutate(stringify(request()))
    }
}

// ---------------------------------------------------------------- the oracle

interface Expect {
    /** No reply at all (a valid notification). */
    none?: boolean
    id?: unknown
    /** A numeric id the dispatcher cannot print exactly (see exactId): any number is accepted and counted. */
    inexact?: boolean
    codes?: number[]
    resultOk?: boolean
}

function depthOf(v: unknown): number {
    if (v === null || typeof v !== "object") return 0
    let d = 0
    for (const c of Object.values(v as object)) d = Math.max(d, depthOf(c))
    return d + 1
}

const has = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k)

/**
 * An id comes back as it was written (the dispatcher copies its text), so the reply's id parses to
 * the request's; where the dispatcher cannot find the text it writes the number with formatNumber
 * (src/util/decimal.ts), which may round (0.1 + 0.2 -> 3.000000000000001e-1): counted and reported.
 */
let inexactIds = 0
/** How often each outcome was seen ("result" or the error code), for the summary. */
const outcomes: Record<string, number> = {}

function replyId(id: unknown): Expect {
    return { id }
}

/**
 * The board's dedup window (DeviceApp.checkId) refuses with -32600 an id among the last ids
 * that ran, and an id longer than MAX_ID_LENGTH characters. It keys ids by their text as written
 * (1E2 and 100 are two ids there), which a model by value cannot follow, so here a valid request
 * with an id may get that refusal; test/core/app/firmware.spec.ts checks the window itself.
 */
const mayBeRefused = (idv: unknown) => idv !== null && (typeof idv === "string" || typeof idv === "number")

function expectOne(v: unknown, methods: string[]): Expect {
    if (v === null || typeof v !== "object" || Array.isArray(v)) return { id: null, codes: [CODES.invalid] }
    const o = v as Record<string, unknown>
    const hasId = has(o, "id")
    const idv = o["id"]
    if (hasId && !(idv === null || typeof idv === "string" || typeof idv === "number")) return { id: null, codes: [CODES.invalid] }
    const rid = replyId(hasId ? idv : null)
    const p = o["params"]
    if (o["jsonrpc"] !== "2.0" || typeof o["method"] !== "string" || (has(o, "params") && (p === null || typeof p !== "object")))
        return { ...rid, codes: [CODES.invalid] }
    if (!hasId) return { none: true }
    const mayRefuse = mayBeRefused(idv)
    if (methods.indexOf(o["method"] as string) < 0) return { ...rid, codes: mayRefuse ? [CODES.notFound, CODES.invalid] : [CODES.notFound] }
    return { ...rid, codes: mayRefuse ? [CODES.params, HARDWARE_ERROR, CODES.invalid] : [CODES.params, HARDWARE_ERROR], resultOk: true }
}

/** What must come back for `text`: undefined = no reply; an Expect = one object; an array = a batch reply. */
function oracle(text: string, methods: string[]): Expect | Expect[] | undefined {
    let parsed: unknown
    try {
        parsed = JSON.parse(text)
    } catch (e) {
        // the length/depth guard runs before the parser, so it may answer first
        return { id: null, codes: [CODES.parse, CODES.invalid] }
    }
    if (text.length > MAX_LENGTH || depthOf(parsed) > MAX_DEPTH) return { id: null, codes: [CODES.invalid] }
    if (!Array.isArray(parsed)) {
        const e = expectOne(parsed, methods)
        return e.none ? undefined : e
    }
    if (parsed.length === 0 || parsed.length > MAX_BATCH) return { id: null, codes: [CODES.invalid] }
    const list = parsed.map((x) => expectOne(x, methods)).filter((e) => !e.none)
    return list.length === 0 ? undefined : list
}

/** What is wrong with one response object, or undefined. */
function checkResponse(r: unknown, e: Expect): string | undefined {
    if (r === null || typeof r !== "object" || Array.isArray(r)) return "response is not an object"
    const o = r as Record<string, unknown>
    for (const k of Object.keys(o)) if (k !== "jsonrpc" && k !== "id" && k !== "result" && k !== "error") return `unexpected member "${k}"`
    if (o["jsonrpc"] !== "2.0") return 'jsonrpc is not "2.0"'
    if (!has(o, "id")) return "no id member"
    if (
        o["id"] !== e.id &&
        !(typeof e.id === "number" && typeof o["id"] === "number" && Number(formatNumber(e.id)) === o["id"] && (e.inexact = true))
    )
        return `id ${JSON.stringify(o["id"])} instead of ${JSON.stringify(e.id)}`
    if (e.inexact) inexactIds++
    if (has(o, "result") === has(o, "error")) return "not exactly one of result/error"
    const outcome = has(o, "result") ? "result" : String((o["error"] as Record<string, unknown>)?.["code"])
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1
    if (has(o, "result")) return e.resultOk ? undefined : `a result where error ${e.codes?.join("|")} was due`
    const err = o["error"] as Record<string, unknown>
    if (err === null || typeof err !== "object" || Array.isArray(err)) return "error is not an object"
    for (const k of Object.keys(err)) if (k !== "code" && k !== "message" && k !== "data") return `unexpected error member "${k}"`
    if (typeof err["code"] !== "number" || !Number.isInteger(err["code"])) return "error.code is not an integer"
    if (typeof err["message"] !== "string") return "error.message is not a string"
    if (e.codes!.indexOf(err["code"] as number) < 0)
        return `error.code ${err["code"]} (${err["message"]}: ${JSON.stringify(err["data"])}) instead of ${e.codes!.join("|")}`
    return undefined
}

function checkReply(text: string, reply: unknown, methods: string[]): string | undefined {
    const want = oracle(text, methods)
    if (want === undefined)
        return reply === undefined ? undefined : "reply to a notification (or a batch of notifications): " + String(reply)
    if (typeof reply !== "string") return "no reply where one was due"
    let r: unknown
    try {
        r = JSON.parse(reply)
    } catch (e) {
        return "reply is not JSON: " + reply
    }
    if (!Array.isArray(want)) {
        const why = checkResponse(r, want)
        return why === undefined ? undefined : why + " in " + reply
    }
    if (!Array.isArray(r)) return "batch answered with a non-array: " + reply
    if (r.length !== want.length) return `batch reply has ${r.length} responses, ${want.length} due: ` + reply
    for (let i = 0; i < r.length; i++) {
        const why = checkResponse(r[i], want[i])
        if (why !== undefined) return `batch response ${i}: ${why} in ${reply}`
    }
    return undefined
}

// ---------------------------------------------------------------- the loop

process.on("unhandledRejection", (e) => failures.report("unhandled rejection", "(unknown input)", e))

async function main(): Promise<void> {
    let dispatcher = await makeApp()
    let methods = dispatcher.describe().map((m) => m.name as string)
    let replies = 0
    let notifications = 0
    const t0 = process.hrtime.bigint()
    for (let i = 0; i < args.count; i++) {
        if (i % 50_000 === 0 && i > 0) {
            // a fresh app now and then, so settings changed by config.set do not pile up
            dispatcher = await makeApp()
            methods = dispatcher.describe().map((m) => m.name as string)
        }
        now += rng.below(2000)
        const text = input()
        let reply: unknown
        try {
            // handle() = handleText() inside a catch-all that answers -32603: call the inner one so a
            // dispatcher bug is seen as the throw it is; now and then the public one as well.
            const parts = (i & 255) === 0 ? await dispatcher.handle(text) : await (dispatcher as any).handleText(text)
            reply = parts && (parts as string[]).join("")
        } catch (e) {
            failures.report("dispatcher threw", text, e)
            continue
        }
        if (reply === undefined) notifications++
        else replies++
        const why = checkReply(text, reply, methods)
        if (why !== undefined) failures.report("bad reply", text, new Error(why))
        if ((i & 0x3ffff) === 0 && i > 0) process.stdout.write(`  ${i} inputs...\n`)
    }
    finish(
        "fuzz-jsonrpc",
        args,
        t0,
        failures.count,
        `${replies} replies, ${notifications} silent (notifications), ${inexactIds} numeric ids echoed rounded (limitation); responses by outcome ${JSON.stringify(outcomes)}`
    )
}

main().catch((e) => {
    console.error(e)
    process.exit(2)
})
