// Fuzz loop for the CoAP endpoint's request path over UDP:
//   npx tsx scripts/fuzz-coap-endpoint.ts [count] [seed]
//
// A MessageLayer + CoapServer (src/coap) with the firmware's device resources (sensors, LED,
// device, config, rpc, discovery) on a fake clock, fed one datagram per input from three peers:
// valid requests of every kind (Observe, Block1/Block2, ETag, If-Match, No-Response, Accept,
// queries, unknown critical options, Proxy-Uri), empty/ACK/RST messages, and 1-4 byte mutations
// of these. Each datagram gets a fresh Message ID (so the checks below are exact), except a few
// exact duplicates and ACK/RSTs aimed at the server's own CONs; the clock moves randomly, with
// now and then a long jump so dedup entries, Block1 transfers and observers expire; observers are
// notified now and then. (fuzz-coap.ts fuzzes the codec alone; this one the state machines above.)
//
// Failure (input hex printed; exit 1 after the summary) when
//   - receive() or tick() throws, or a promise is rejected unhandled,
//   - a CON (version 1, at least 4 bytes, by its header) gets neither an ACK nor an RST with its
//     Message ID, or gets both (RFC 7252 4.2), after the handler ran and the separate-response
//     timer (1 s) passed,
//   - an ACK is sent for a NON, ACK or RST, or an RST for an ACK or RST (4.2, 4.3),
//   - a piggybacked response does not carry the request's token (5.3.2),
//   - the server sends a datagram decodeMessage rejects,
//   - a complete (no Block2) JSON or SenML JSON body is not JSON, or a SenML CBOR body does not decode,
//   - the dedup table or the retransmission queue grows past its bound.
import { MessageLayer } from "../src/coap/transport/messagelayer"
import { CoapServer } from "../src/coap/server/endpoint"
import { DeviceModel, SensorReading, installDeviceResources } from "../src/coap/server/device-resources"
import { decodeMessage, encodeMessage } from "../src/coap/codec/codec"
import { decodeCbor } from "../src/coap/formats/cbor"
import {
    CoapCode,
    CoapMessage,
    CoapType,
    ContentFormat,
    addOption,
    getContentFormat,
    hasOption,
    newMessage,
    setContentFormat,
    setUintOption,
    setUriPath,
    setUriQuery,
} from "../src/coap/codec/message"
import { OptionNumber, encodeBlock } from "../src/coap/codec/options"
import { Dispatcher, handleToText } from "../src/rpc/jsonrpc"
import { Failures, Rng, finish, fuzzArgs, mutateBytes } from "./fuzz-lib"

const args = fuzzArgs(0xbb67ae85)
const rng = new Rng(args.seed)
const failures = new Failures("fuzz-coap-endpoint", args.seed)

const DEDUP = 64
const SEPARATE_AFTER = 1000
const PEERS = ["10.0.0.1:5683", "10.0.0.2:40000", "[::1]:5683"]

// ---------------------------------------------------------------- server on a fake clock

const clock = { t: 0, now: () => clock.t }
interface Sent {
    bytes: Buffer
    peer: string
}
let sent: Sent[] = []
const ml = new MessageLayer({
    clock,
    random: { next: () => rng.next() / 4294967296 },
    send: (bytes, peer) => {
        sent.push({ bytes, peer })
    },
    separateAfter: SEPARATE_AFTER,
    dedupCapacity: DEDUP,
})
const server = new CoapServer(ml, { clock })
ml.attach(server)

const EXTREME = [21.53, -40.5, 0, 1e-7, 101325, 3.4e38, -3.4e38, 1e20, 1e308]
let led = false
let config = '{"interval":60,"name":"fuzz"}'
const dispatcher = new Dispatcher()
dispatcher.register({ name: "echo", description: "", params: [{ name: "x", type: "any" }], handler: async (p) => p["x"] })

const model: DeviceModel = {
    info: () => ({ id: "fuzz01", board: "fuzz", firmware: "devs-link fuzz", uptime: Math.floor(clock.t / 1000) }),
    readSensors: (): SensorReading[] => [
        { name: "temperature", unit: "Cel", value: rng.below(8) === 0 ? rng.pick(EXTREME) : 21.5 + rng.below(100) / 100, decimals: 2 },
        { name: "humidity", unit: "%RH", value: rng.below(8) === 0 ? rng.pick(EXTREME) : 40.1, decimals: 1 },
    ],
    getLed: () => led,
    setLed: (on) => {
        led = on
    },
    getConfig: () => config,
    setConfig: (json) => {
        let o: unknown
        try {
            o = JSON.parse(json)
        } catch (e) {
            return "not JSON"
        }
        if (o === null || typeof o !== "object" || Array.isArray(o)) return "not an object"
        config = JSON.stringify(o)
        return undefined
    },
    rpc: (text) => handleToText(dispatcher, text),
}
const notify = installDeviceResources(server, model, {})

// ---------------------------------------------------------------- inputs

const PATHS = [
    "/sensors",
    "/sensors/temperature",
    "/sensors/humidity",
    "/sensors/nope",
    "/actuators/led",
    "/device",
    "/config",
    "/rpc",
    "/.well-known/core",
    "/",
    "",
    "/sensors/",
    "//x",
    "/%ff",
]
const FORMATS = [
    ContentFormat.TextPlain,
    ContentFormat.LinkFormat,
    ContentFormat.Json,
    ContentFormat.Cbor,
    ContentFormat.SenmlJson,
    ContentFormat.SenmlCbor,
    9999,
]
const BODIES = [
    "on",
    "off",
    "toggle",
    "",
    '{"on":true}',
    '{"on":1}',
    '{"interval":5}',
    "[]",
    "{",
    '{"jsonrpc":"2.0","method":"rpc.list","id":1}',
    '{"jsonrpc":"2.0","method":"echo","params":{"x":"é"}}',
    '[{"jsonrpc":"2.0","method":"echo","params":[1],"id":2}]',
    "x".repeat(1100),
]

function token(): Buffer {
    const b = Buffer.alloc(rng.below(9))
    for (let i = 0; i < b.length; i++) b[i] = rng.next() & 0xff
    return b
}

function request(): CoapMessage {
    const type = rng.below(4) === 0 ? CoapType.NON : CoapType.CON
    const code =
        rng.below(8) === 0
            ? rng.pick([CoapCode.DELETE, 0x05, 0x07, 0x1f])
            : rng.pick([CoapCode.GET, CoapCode.GET, CoapCode.GET, CoapCode.PUT, CoapCode.POST])
    const m = newMessage(type, code, 0, token())
    setUriPath(m, rng.pick(PATHS))
    if (rng.below(6) === 0) setUriQuery(m, [rng.pick(["rt=temperature", "if=core.s", "href=/sensors*", "ct=50", "x", "rt=*", ""])])
    if (rng.below(4) === 0) setUintOption(m, OptionNumber.Accept, rng.pick(FORMATS))
    if (code === CoapCode.PUT || code === CoapCode.POST) {
        setContentFormat(m, rng.below(4) === 0 ? rng.pick(FORMATS) : rng.pick([ContentFormat.TextPlain, ContentFormat.Json]))
        m.payload = Buffer.from(rng.pick(BODIES))
    }
    if (rng.below(5) === 0) setUintOption(m, OptionNumber.Observe, rng.pick([0, 1, 2, 0xffffff]))
    if (rng.below(6) === 0) setUintOption(m, OptionNumber.Block2, encodeBlock({ num: rng.below(4), more: false, szx: rng.below(8) }))
    if (rng.below(10) === 0) {
        setUintOption(m, OptionNumber.Block1, encodeBlock({ num: rng.below(3), more: rng.bool(), szx: rng.below(7) }))
        if (rng.bool()) setUintOption(m, OptionNumber.Size1, rng.pick([10, 5000, 100000]))
    }
    if (rng.below(10) === 0) addOption(m, rng.pick([OptionNumber.IfMatch, OptionNumber.ETag]), Buffer.from([rng.below(2)]))
    if (rng.below(12) === 0) addOption(m, OptionNumber.IfNoneMatch, Buffer.alloc(0))
    if (rng.below(12) === 0) setUintOption(m, OptionNumber.NoResponse, rng.pick([0, 2, 8, 16, 26]))
    if (rng.below(20) === 0) addOption(m, rng.pick([9, 13, 35, 2049, 65001]), Buffer.from("x"))
    return m
}

function empty(): CoapMessage {
    return newMessage(
        rng.pick([CoapType.CON, CoapType.NON, CoapType.ACK, CoapType.RST]),
        rng.below(6) === 0 ? CoapCode.Content : CoapCode.Empty,
        0
    )
}

let nextMid = rng.below(65536)
const history: Sent[] = []
/** Message ids of CONs the server sent recently, with their peer (targets for ACK/RST inputs). */
const serverCons: { mid: number; peer: string }[] = []

interface Input {
    bytes: Buffer
    peer: string
    /** Fresh Message ID: the exact-reply checks apply. */
    fresh: boolean
}

function input(): Input {
    const r = rng.below(16)
    if (r === 0 && history.length > 0) {
        const h = rng.pick(history)
        return { bytes: h.bytes, peer: h.peer, fresh: false }
    }
    if (r === 1 && serverCons.length > 0) {
        const c = rng.pick(serverCons)
        const m = newMessage(rng.below(4) === 0 ? CoapType.RST : CoapType.ACK, CoapCode.Empty, c.mid)
        return { bytes: encodeMessage(m), peer: c.peer, fresh: false }
    }
    let bytes: Buffer
    if (r === 2) bytes = rng.bytes(24)
    else {
        const m = r === 3 ? empty() : request()
        bytes = encodeMessage(m)
        if (rng.below(3) === 0) bytes = mutateBytes(rng, bytes)
    }
    if (bytes.length >= 4) {
        bytes = Buffer.from(bytes)
        bytes[2] = nextMid >> 8
        bytes[3] = nextMid & 0xff
        nextMid = (nextMid + 1) & 0xffff
    }
    return { bytes, peer: rng.pick(PEERS), fresh: true }
}

// ---------------------------------------------------------------- checks

const TYPE = ["CON", "NON", "ACK", "RST"]
let maxPending = 0
let answeredCon = 0
let conInputs = 0
let responses = 0
let invalidBodies = 0

function checkBody(m: CoapMessage): string | undefined {
    if (m.code >> 5 !== 2 || m.payload.length === 0 || hasOption(m, OptionNumber.Block2)) return undefined
    const cf = getContentFormat(m)
    try {
        if (cf === ContentFormat.Json || cf === ContentFormat.SenmlJson) JSON.parse(m.payload.toString("utf-8"))
        else if (cf === ContentFormat.SenmlCbor || cf === ContentFormat.Cbor) decodeCbor(m.payload)
    } catch (e) {
        invalidBodies++
        return `content-format ${cf} body does not parse: ${m.payload.toString("hex")} (${(e as Error).message})`
    }
    return undefined
}

function check(inp: Input, out: Sent[]): string | undefined {
    const b = inp.bytes
    const headerOk = b.length >= 4 && b[0] >> 6 === 1
    const type = headerOk ? (b[0] >> 4) & 3 : -1
    const mid = headerOk ? (b[2] << 8) | b[3] : -1
    let acks = 0
    let rsts = 0
    for (const s of out) {
        let m: CoapMessage
        try {
            m = decodeMessage(s.bytes)
        } catch (e) {
            return "server sent an undecodable datagram " + s.bytes.toString("hex") + ": " + (e as Error).message
        }
        if (m.code !== CoapCode.Empty) responses++
        if (m.type === CoapType.CON) {
            serverCons.push({ mid: m.messageId, peer: s.peer })
            if (serverCons.length > 32) serverCons.shift()
        }
        const why = checkBody(m)
        if (why !== undefined) return why
        if (s.peer !== inp.peer || m.messageId !== mid || (m.type !== CoapType.ACK && m.type !== CoapType.RST)) continue
        if (m.type === CoapType.ACK) acks++
        else rsts++
        if (inp.fresh && m.type === CoapType.ACK && m.code !== CoapCode.Empty) {
            const tkl = b[0] & 15
            if (tkl <= 8 && !m.token.equals(b.subarray(4, 4 + tkl)))
                return `piggybacked response token ${m.token.toString("hex")} for request token ${b.subarray(4, 4 + tkl).toString("hex")}`
        }
    }
    if (!headerOk) return acks + rsts > 0 ? "ACK/RST for a datagram without a version-1 header" : undefined
    if (type === CoapType.CON) {
        conInputs++
        if (acks + rsts > 0) answeredCon++
        if (acks + rsts === 0) return "CON got neither ACK nor RST"
        if (inp.fresh && acks > 0 && rsts > 0) return "CON got both an ACK and an RST"
        return undefined
    }
    if (!inp.fresh) return undefined
    if (acks > 0) return `ACK sent for a ${TYPE[type]}`
    if (rsts > 0 && type !== CoapType.NON) return `RST sent for a ${TYPE[type]}`
    return undefined
}

// ---------------------------------------------------------------- the loop

let current: Input = { bytes: Buffer.alloc(0), peer: "", fresh: false }
process.on("unhandledRejection", (e) => failures.report("unhandled rejection", current.bytes, e))

const settle = () => new Promise<void>((resolve) => setImmediate(resolve))

async function main(): Promise<void> {
    const t0 = process.hrtime.bigint()
    for (let i = 0; i < args.count; i++) {
        const r = rng.below(64)
        clock.t += r === 0 ? 300_000 : rng.below(r < 8 ? 5000 : 200)
        sent = []
        current = input()
        try {
            ml.tick(clock.t)
            sent = [] // timer output (retransmissions, notifications) is not this input's answer
            ml.receive(current.bytes, current.peer)
            await settle()
            clock.t += SEPARATE_AFTER
            ml.tick(clock.t)
            if (rng.below(32) === 0) notify.sensorsChanged()
            if (rng.below(64) === 0) notify.ledChanged()
        } catch (e) {
            failures.report("threw", current.bytes, e)
            continue
        }
        const why = check(current, sent)
        if (why !== undefined) failures.report(why, current.bytes, new Error(why))
        if (current.fresh && rng.below(4) === 0) {
            history.push({ bytes: current.bytes, peer: current.peer })
            if (history.length > 16) history.shift()
        }
        maxPending = Math.max(maxPending, ml.pendingCount())
        if (ml.dedupSize() > DEDUP) failures.report(`dedup table at ${ml.dedupSize()} > ${DEDUP}`, current.bytes, new Error("unbounded"))
        if (ml.pendingCount() > 64) failures.report(`retransmission queue at ${ml.pendingCount()}`, current.bytes, new Error("unbounded"))
        if ((i & 0x3ffff) === 0 && i > 0) process.stdout.write(`  ${i} inputs...\n`)
    }
    finish(
        "fuzz-coap-endpoint",
        args,
        t0,
        failures.count,
        `${conInputs} CONs (${answeredCon} answered), ${responses} responses, ${invalidBodies} unparsable bodies, ` +
            `most CONs in flight ${maxPending}, observers at end ${server.observerCount()}`
    )
}

main().catch((e) => {
    console.error(e)
    process.exit(2)
})
