// Standalone fuzz loop for the CoAP codec layer:
//   npx tsx scripts/fuzz-coap.ts [count] [seed]
// Feeds mutations of valid messages and random bytes into decodeMessage, decodeTcpMessage, the
// TCP frame reader and decodeCbor (+ senmlFromCbor). Only the typed errors are expected; any
// other exception, or a decoded datagram/frame that does not re-encode to the same bytes
// (the codec's canonical-form property), is a failure: the input hex is printed, and the run
// exits 1 after the summary.
// Deterministic: the same seed gives the same inputs.

import {
    CoapFormatError,
    CoapTcpFrameReader,
    decodeMessage,
    decodeTcpMessage,
    encodeMessage,
    encodeTcpMessage,
} from "../src/coap/codec/codec"
import {
    CoapCode,
    CoapType,
    ContentFormat,
    newMessage,
    setContentFormat,
    setUintOption,
    setUriPath,
    setUriQuery,
    addOption,
} from "../src/coap/codec/message"
import { OptionNumber, encodeBlock } from "../src/coap/codec/options"
import { CborError, CborMap, decodeCbor, encodeCbor } from "../src/coap/formats/cbor"
import { SenmlError, senmlFromCbor, senmlToCbor } from "../src/coap/formats/senml"
import { Failures, Rng, finish, fuzzArgs } from "./fuzz-lib"

const args = fuzzArgs(0x2545f491)
const { count, seed } = args
const rng = new Rng(seed)
const rnd = () => rng.next()
const below = (n: number) => rnd() % n

function coapCorpus(): Buffer[] {
    const out: Buffer[] = []
    const get = newMessage(CoapType.CON, CoapCode.GET, 0x7d34, Buffer.from("71", "hex"))
    setUriPath(get, "/sensors/temperature")
    setUriQuery(get, ["rt=temperature", "if=sensor"])
    setUintOption(get, OptionNumber.Accept, ContentFormat.SenmlJson)
    out.push(encodeMessage(get))
    const obs = newMessage(CoapType.NON, CoapCode.Content, 9, Buffer.from("0102030405060708", "hex"))
    setUintOption(obs, OptionNumber.Observe, 0x123456)
    setContentFormat(obs, ContentFormat.SenmlCbor)
    setUintOption(obs, OptionNumber.MaxAge, 60)
    obs.payload = senmlToCbor([{ bn: "dev/", n: "t", u: "Cel", v: 21.53 }])
    out.push(encodeMessage(obs))
    const blk = newMessage(CoapType.ACK, CoapCode.Content, 77, Buffer.from("aa", "hex"))
    setUintOption(blk, OptionNumber.Block2, encodeBlock({ num: 3, more: true, szx: 2 }))
    setUintOption(blk, OptionNumber.Size2, 1500)
    blk.payload = Buffer.alloc(64, 0x61)
    out.push(encodeMessage(blk))
    const big = newMessage(CoapType.CON, CoapCode.PUT, 1, Buffer.alloc(0))
    addOption(big, 300, Buffer.alloc(14, 1))
    addOption(big, 2000, Buffer.alloc(270, 2))
    addOption(big, 65535, Buffer.alloc(0))
    big.payload = Buffer.from("x")
    out.push(encodeMessage(big))
    out.push(encodeMessage(newMessage(CoapType.CON, CoapCode.Empty, 5)))
    out.push(encodeMessage(newMessage(CoapType.RST, CoapCode.Empty, 5)))
    const csm = newMessage(CoapType.CON, CoapCode.CSM, 0)
    setUintOption(csm, 2, 1152)
    addOption(csm, 4, Buffer.alloc(0))
    out.push(encodeTcpMessage(csm))
    out.push(encodeTcpMessage(get))
    out.push(encodeTcpMessage(blk))
    return out
}

function cborCorpus(): Buffer[] {
    const m = new CborMap()
    m.set(-2, "dev/").set(0, "x").set(2, 1.5)
    return [
        encodeCbor([1, -1, 1.1, "text", Buffer.from("0102", "hex"), true, false, null, undefined, { a: [1, { b: 2 }] }]),
        encodeCbor([m]),
        senmlToCbor([
            { bn: "urn:dev:1:", bt: 1700000000, n: "temp", u: "Cel", v: 21.5 },
            { n: "led", vb: true },
            { n: "s", vs: "ok" },
        ]),
        Buffer.from("bf61610161629f0203ffff", "hex"),
        Buffer.from("5f42010243030405ff", "hex"),
        Buffer.from("7f657374726561646d696e67ff", "hex"),
        Buffer.from("f93e00fa47c35000fb3ff199999999999a", "hex"),
        Buffer.from("1bffffffffffffffff", "hex"),
    ]
}

/** 1..4 random edits: overwrite, bit flip, insert, delete, truncate, duplicate a slice. */
function mutate(src: Buffer): Buffer {
    let b = Buffer.from(src)
    const edits = 1 + below(4)
    for (let e = 0; e < edits; e++) {
        const p = b.length ? below(b.length) : 0
        switch (below(6)) {
            case 0:
                if (b.length) b[p] = below(256)
                break
            case 1:
                if (b.length) b[p] ^= 1 << below(8)
                break
            case 2:
                b = Buffer.concat([b.subarray(0, p), Buffer.from([below(256)]), b.subarray(p)])
                break
            case 3:
                b = Buffer.concat([b.subarray(0, p), b.subarray(p + 1)])
                break
            case 4:
                b = b.subarray(0, p)
                break
            default: {
                const q = p + below(8)
                b = Buffer.concat([b.subarray(0, q), b.subarray(p, q), b.subarray(q)])
            }
        }
    }
    return b
}

function randomBytes(): Buffer {
    const b = Buffer.alloc(below(48))
    for (let i = 0; i < b.length; i++) b[i] = below(256)
    return b
}

const failures = new Failures("fuzz-coap", seed)
function fail(target: string, input: Buffer, err: unknown): void {
    failures.report("in " + target, input, err)
}

function expectTyped(target: string, input: Buffer, f: () => void, ...types: Function[]): void {
    try {
        f()
    } catch (e) {
        if (!types.some((t) => e instanceof t)) fail(target, input, e)
    }
}

const coap = coapCorpus()
const cbor = cborCorpus()
let decodedDatagrams = 0
let decodedFrames = 0
let decodedCbor = 0
const t0 = process.hrtime.bigint()
for (let i = 0; i < count; i++) {
    const kind = below(8)
    const input = kind === 0 ? randomBytes() : kind < 6 ? mutate(coap[below(coap.length)]) : mutate(cbor[below(cbor.length)])
    expectTyped(
        "decodeMessage",
        input,
        () => {
            const m = decodeMessage(input)
            decodedDatagrams++
            const again = encodeMessage(m)
            if (!again.equals(input)) throw new Error("re-encoding differs: " + again.toString("hex"))
        },
        CoapFormatError
    )
    expectTyped(
        "decodeTcpMessage",
        input,
        () => {
            const m = decodeTcpMessage(input)
            decodedFrames++
            const again = encodeTcpMessage(m)
            if (!again.equals(input)) throw new Error("re-encoding differs: " + again.toString("hex"))
        },
        CoapFormatError
    )
    if ((i & 7) === 0) {
        const step = 1 + below(8)
        expectTyped(
            "CoapTcpFrameReader",
            input,
            () => {
                const r = new CoapTcpFrameReader(4096)
                for (let o = 0; o < input.length; o += step) {
                    r.push(input.subarray(o, o + step))
                    while (r.nextMessage() !== undefined) {}
                }
            },
            CoapFormatError
        )
    }
    expectTyped(
        "decodeCbor",
        input,
        () => {
            decodeCbor(input)
            decodedCbor++
        },
        CborError
    )
    if ((i & 3) === 0) expectTyped("senmlFromCbor", input, () => senmlFromCbor(input), CborError, SenmlError)
}
finish(
    "fuzz-coap",
    args,
    t0,
    failures.count,
    `valid: ${decodedDatagrams} datagrams, ${decodedFrames} TCP frames, ${decodedCbor} CBOR items`
)
