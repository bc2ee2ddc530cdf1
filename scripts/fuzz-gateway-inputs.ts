// Inputs for scripts/fuzz-gateway.ts, one generator per front of the gateway: raw HTTP/1.1
// requests, UDP CoAP datagrams, RFC 8323 frames for the coap+tcp head-end, and MQTT payloads for
// the coap/res and status topics. Valid inputs of every kind the front understands, with 1-4
// byte mutations (fuzz-lib's mutateBytes) and plain garbage, all from one reproducible Rng.
import { encodeMessage, encodeTcpMessage } from "../src/coap/codec/codec"
import {
    CoapCode,
    CoapMessage,
    CoapType,
    ContentFormat,
    addOption,
    newMessage,
    setContentFormat,
    setUintOption,
    setUriPath,
    setUriQuery,
} from "../src/coap/codec/message"
import { OptionNumber, encodeBlock } from "../src/coap/codec/options"
import { Rng, mutateBytes } from "./fuzz-lib"

/** Boards the health checks use; fuzz inputs may reach them, but never claim or retire their ids. */
export const HEALTH_BOARDS = ["tb1", "mb1"]
/** Board ids fuzz inputs register, announce and address. */
const FUZZ_IDS = ["fz1", "fz2", "x", "ü", "a b", "%41", "..", "very-long-" + "i".repeat(200)]
const PATHS = ["sensors/temperature", "sensors/humidity", "actuators/led", "rpc", "big", "nope", ".well-known/core", "", "a/b/c/d/e/f"]

function anyId(rng: Rng): string {
    return rng.below(3) === 0 ? rng.pick(HEALTH_BOARDS) : rng.pick(FUZZ_IDS)
}

// ------------------------------------------------------------------ HTTP

const METHODS = ["GET", "PUT", "POST", "DELETE", "HEAD", "OPTIONS", "PATCH", "FETCH", "CONNECT", "TRACE", "get", "G\u00c9T", "X".repeat(40)]
const ESCAPES = [
    "%ZZ",
    "%",
    "%C0%AF",
    "%E0%A4%A",
    "%00",
    "%2F",
    "%25",
    "%FF%FE",
    "%ED%A0%80",
    "%F4%90%80%80",
    "%20",
    "%3F",
    "%23",
    "%uD800",
    "%%%",
    "%C3%BC",
    "%7E",
]
const ODD_TARGETS = [
    "*",
    "http://[x/devices",
    "http://gateway/devices",
    "//devices",
    "/devices?",
    "/devices#x",
    "/.well-known/core",
    "/.well-known/core?rt=temperature",
    "/devices",
    "/",
    "http://[::1]:99999/devices/tb1/rpc",
    "/devices/tb1/../../etc",
    "https://a@b:c/devices/tb1/big",
]
const MEDIA = [
    "text/plain",
    "application/json",
    "application/cbor",
    "application/senml+json",
    "application/link-format",
    "image/png",
    "*/*",
    "",
    ";;;",
    "text/plain; charset=utf-8",
    "APPLICATION/JSON",
    "a".repeat(300),
]

function pathSegment(rng: Rng): string {
    switch (rng.below(5)) {
        case 0:
            return rng.pick(ESCAPES)
        case 1:
            return "seg" + rng.pick(ESCAPES) + "x"
        case 2: {
            let s = ""
            for (let n = rng.below(12); n > 0; n--) s += String.fromCharCode(0x21 + rng.below(0x5e))
            return s
        }
        default:
            return rng.pick(PATHS.concat(HEALTH_BOARDS, FUZZ_IDS)).split("/")[0]
    }
}

function httpTarget(rng: Rng): string {
    if (rng.below(6) === 0) return rng.pick(ODD_TARGETS)
    const segs = ["devices", anyId(rng)]
    if (rng.below(2) === 0) segs.push(...rng.pick(PATHS).split("/"))
    for (let n = rng.below(3); n > 0; n--) segs.splice(rng.below(segs.length + 1), 0, pathSegment(rng))
    let t = "/" + segs.map((s) => encodeURI(s).replace(/%25/g, "%")).join("/")
    if (rng.below(3) === 0) t += "?" + rng.pick(["a=1", "rt=x&if=y", "=", "&&", "q=" + rng.pick(ESCAPES), "at=secret"])
    return t
}

/** A raw HTTP/1.1 request (a complete message: the body matches its Content-Length). */
export function httpRequest(rng: Rng): { method: string; bytes: Buffer; mutated: boolean } {
    const method = rng.pick(METHODS)
    const body =
        rng.below(3) === 0
            ? Buffer.alloc(0)
            : rng.below(2) === 0
              ? Buffer.from(rng.pick(["on", "off", '{"jsonrpc":"2.0","id":1,"method":"sys.info"}', "[]"]))
              : rng.bytes(200)
    const headers: string[] = ["Host: gateway"]
    if (rng.below(2) === 0) headers.push("Accept: " + rng.pick(MEDIA) + (rng.bool() ? ", " + rng.pick(MEDIA) : ""))
    if (rng.below(2) === 0) headers.push("Content-Type: " + rng.pick(MEDIA))
    if (rng.below(4) === 0)
        headers.push("Authorization: " + rng.pick(["Bearer x", "Bearer", "Basic Zm9vOmJhcg==", "bearer  " + "t".repeat(100)]))
    if (rng.below(8) === 0) headers.push("X-Junk-" + rng.below(100) + ": " + "v".repeat(rng.below(2000)))
    if (rng.below(10) === 0) headers.push("Expect: 100-continue")
    let framing = "Content-Length: " + body.length
    let wire = body
    if (rng.below(6) === 0 && body.length > 0) {
        framing = "Transfer-Encoding: chunked"
        wire = Buffer.concat([Buffer.from(body.length.toString(16) + "\r\n"), body, Buffer.from("\r\n0\r\n\r\n")])
    }
    headers.push(framing)
    let head: Buffer = Buffer.from(`${method} ${httpTarget(rng)} HTTP/1.1\r\n${headers.join("\r\n")}\r\n\r\n`, "latin1")
    // the head mutated now and then: the server's parser answers 400 and closes the connection,
    // or (a longer Content-Length, a lost terminator) waits for bytes that never come
    const mutated = rng.below(10) === 0
    if (mutated) head = mutateBytes(rng, head)
    return { method, bytes: Buffer.concat([head, wire]), mutated }
}

// ------------------------------------------------------------------ CoAP (UDP and TCP share requests)

function coapRequest(rng: Rng, tcp: boolean): CoapMessage {
    const code = rng.pick([CoapCode.GET, CoapCode.GET, CoapCode.PUT, CoapCode.POST, CoapCode.DELETE, 5, 7, 31])
    const type = tcp ? CoapType.CON : rng.pick([CoapType.CON, CoapType.CON, CoapType.NON])
    const m = newMessage(type, code, rng.below(65536), rng.bytes(8))
    const path = rng.below(8) === 0 ? pathSegment(rng) : rng.below(10) === 0 ? ".well-known/core" : anyId(rng) + "/" + rng.pick(PATHS)
    setUriPath(m, "/" + path)
    if (rng.below(4) === 0) setUriQuery(m, [rng.pick(["rt=temperature", "at=x", "ep=fz1", "lt=60", "a"])])
    if (rng.below(4) === 0) setUintOption(m, OptionNumber.Accept, rng.pick([0, 40, 50, 60, 110, 112, 41, 65535]))
    if (rng.below(4) === 0) setContentFormat(m, rng.pick([ContentFormat.TextPlain, ContentFormat.Json, ContentFormat.LinkFormat, 9999]))
    if (code === CoapCode.GET && rng.below(4) === 0) setUintOption(m, OptionNumber.Observe, rng.pick([0, 0, 1, 2, 0xffffff]))
    if (rng.below(5) === 0) setUintOption(m, OptionNumber.Block2, encodeBlock({ num: rng.below(8), more: rng.bool(), szx: rng.below(8) }))
    if (rng.below(6) === 0) setUintOption(m, OptionNumber.Block1, encodeBlock({ num: rng.below(4), more: rng.bool(), szx: rng.below(8) }))
    if (rng.below(12) === 0) addOption(m, OptionNumber.ProxyUri, Buffer.from("coap://elsewhere/x"))
    if (rng.below(12) === 0) setUintOption(m, OptionNumber.NoResponse, rng.below(32))
    if (rng.below(12) === 0) addOption(m, OptionNumber.IfNoneMatch, Buffer.alloc(0))
    if (rng.below(12) === 0) addOption(m, 9 + 2 * rng.below(20), rng.bytes(4)) // unknown, critical when odd
    if (rng.below(12) === 0) setUintOption(m, OptionNumber.Size1, rng.next())
    if (rng.below(3) === 0)
        m.payload =
            rng.below(2) === 0
                ? Buffer.from(rng.pick(["on", "off", '{"jsonrpc":"2.0","id":1,"method":"sys.info"}', "</x>;rt=y"]))
                : rng.bytes(rng.pick([16, 64, 300, 1100]))
    return m
}

/** One UDP datagram for the CoAP front. */
export function udpDatagram(rng: Rng): Buffer {
    const k = rng.below(20)
    if (k === 0) return rng.bytes(64)
    if (k === 1) return encodeMessage(newMessage(rng.pick([CoapType.CON, CoapType.NON, CoapType.ACK, CoapType.RST]), 0, rng.below(65536)))
    if (k === 2)
        return encodeMessage(
            newMessage(CoapType.CON, rng.pick([CoapCode.Content, CoapCode.NotFound, 0xe1]), rng.below(65536), rng.bytes(4))
        )
    let bytes: Buffer
    try {
        bytes = encodeMessage(coapRequest(rng, false))
    } catch {
        return rng.bytes(32)
    }
    return k < 12 ? bytes : mutateBytes(rng, bytes)
}

const TCP_SIGNALS = [CoapCode.CSM, CoapCode.Ping, CoapCode.Pong, CoapCode.Release, CoapCode.Abort]

/** One RFC 8323 frame (or garbage) for the head-end; `fuzzId` names the board it may register as. */
export function tcpFrame(rng: Rng): Buffer {
    const k = rng.below(20)
    if (k === 0) return rng.bytes(48)
    let m: CoapMessage
    if (k < 4) {
        m = newMessage(CoapType.CON, rng.pick(TCP_SIGNALS), 0, rng.bytes(rng.below(3)))
        if (rng.bool()) setUintOption(m, rng.pick([2, 4, 2, 4, 1, 3]), rng.pick([0, 1, 1152, 65535, 0xffffffff]))
    } else if (k < 8) {
        // the resource directory (RFC 9176): register, update, remove, look up
        m = newMessage(CoapType.CON, rng.pick([CoapCode.POST, CoapCode.POST, CoapCode.DELETE, CoapCode.GET]), 0, rng.bytes(rng.below(9)))
        setUriPath(m, rng.pick(["/rd", "/rd/" + rng.below(20), "/rd-lookup/ep", "/rd/x"]))
        const q: string[] = []
        if (rng.below(4) !== 0) q.push("ep=" + rng.pick(FUZZ_IDS))
        if (rng.bool()) q.push("lt=" + rng.pick(["1", "60", "0", "-1", "99999999999", "x"]))
        if (q.length) setUriQuery(m, q)
        if (rng.bool()) setContentFormat(m, rng.pick([ContentFormat.LinkFormat, ContentFormat.TextPlain]))
        m.payload = Buffer.from(
            rng.pick([
                '</sensors/temperature>;rt="temperature";obs,</actuators/led>',
                "<",
                '<a>;x="',
                ",,,",
                "</" + "a/".repeat(100) + ">",
                "",
            ])
        )
    } else if (k < 11) {
        // a "response" to a request the gateway may or may not have sent
        m = newMessage(
            CoapType.CON,
            rng.pick([CoapCode.Content, CoapCode.Changed, CoapCode.NotFound, CoapCode.Continue]),
            0,
            rng.bytes(rng.below(9))
        )
        if (rng.bool()) setUintOption(m, OptionNumber.Block2, encodeBlock({ num: rng.below(4), more: rng.bool(), szx: rng.below(8) }))
        m.payload = rng.bytes(100)
    } else {
        m = coapRequest(rng, true)
    }
    let bytes: Buffer
    try {
        bytes = encodeTcpMessage(m)
    } catch {
        return rng.bytes(16)
    }
    return k < 15 ? bytes : mutateBytes(rng, bytes)
}

/** The CSM a fuzz connection opens with (RFC 8323 5.3: first message). */
export function tcpCsm(): Buffer {
    return encodeTcpMessage(newMessage(CoapType.CON, CoapCode.CSM, 0))
}

// ------------------------------------------------------------------ MQTT

/** A topic and payload for the gateway's MQTT side (never a status for a health board). */
export function mqttMessage(rng: Rng, prefix: string): { topic: string; payload: Buffer } {
    if (rng.below(2) === 0) {
        const id = rng.pick(FUZZ_IDS.concat(["", "a/b"]))
        const payload =
            rng.below(4) === 0
                ? rng.bytes(64)
                : mutateBytes(
                      rng,
                      Buffer.from(
                          rng.pick([
                              '{"state":"online"}',
                              '{"state":"offline","reason":"x"}',
                              '{"state":1}',
                              "null",
                              "[]",
                              '{"state":"online","x":' + "[".repeat(50) + "]".repeat(50) + "}",
                              "",
                          ])
                      )
                  )
        return {
            topic: `${prefix}/${id}/status`.replace("//", "/"),
            payload: rng.below(6) === 0 ? Buffer.from('{"state":"online"}') : payload,
        }
    }
    const id = rng.below(3) === 0 ? "mb1" : rng.pick(FUZZ_IDS)
    let payload: Buffer
    try {
        const m = newMessage(
            CoapType.CON,
            rng.pick([CoapCode.Content, CoapCode.Changed, CoapCode.GET, 0xe2, CoapCode.CSM]),
            0,
            rng.bytes(rng.below(9))
        )
        if (rng.bool()) setUintOption(m, OptionNumber.Observe, rng.below(1 << 24))
        if (rng.bool()) setUintOption(m, OptionNumber.Block2, encodeBlock({ num: rng.below(4), more: rng.bool(), szx: rng.below(8) }))
        m.payload = rng.bytes(64)
        payload = encodeTcpMessage(m)
    } catch {
        payload = rng.bytes(32)
    }
    return { topic: `${prefix}/${id}/coap/res`, payload: rng.below(3) === 0 ? mutateBytes(rng, payload) : payload }
}
