// Every front of the gateway runs its inputs inside a boundary (src/host/gateway/boundary.ts):
// a fault while handling one input answers that input with a protocol-correct error, is logged
// once per kind, and every front keeps serving. The faults here are injected through the
// gateway's own extension points (a registry listener that throws, a method replaced by one that
// throws), since the fuzzer (scripts/fuzz-gateway.ts) found no input that still raises one.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest"
import dgram from "node:dgram"
import { connect } from "node:net"
import mqtt from "mqtt"
import { startMosquitto, Mosquitto } from "../../helpers/mosquitto"
import { startGateway, Gateway } from "../../../src/host/gateway/gateway"
import { FaultLog } from "../../../src/host/gateway/boundary"
import { internalErrorFor } from "../../../src/host/coap-udp"
import { decodeMessage, decodeTcpMessage, encodeMessage, encodeTcpMessage, tcpFrameLength } from "../../../src/coap/codec/codec"
import {
    CoapCode,
    CoapMessage,
    CoapType,
    ContentFormat,
    newMessage,
    setContentFormat,
    setUriPath,
    setUriQuery,
} from "../../../src/coap/codec/message"
import { mqttBoard, SimBoard } from "../../interop/coap-tcp/sim-board"
import { until } from "../../helpers/wait"

let mosq: Mosquitto
let gw: Gateway
let board: SimBoard
const undo: (() => void)[] = []

beforeAll(async () => {
    mosq = await startMosquitto({ persistence: false })
    gw = await startGateway({
        coap: { port: 0 },
        tcp: { port: 0, requestTimeoutMs: 1500 },
        http: { port: 0 },
        mqtt: { url: mosq.url, requestTimeoutMs: 1500, discoveryRetryMs: 500 },
    })
    board = mqttBoard("mb1", mosq.url)
    await until(() => (gw.registry.get("mb1")?.links.length ?? 0) >= 5, 10000, "mb1 registered")
})

afterEach(() => {
    for (const u of undo.splice(0)) u()
})

afterAll(async () => {
    board?.stop()
    await gw?.stop()
    await mosq?.stop()
})

const http = (path: string) => fetch(`http://127.0.0.1:${gw.ports.http}${path}`)

/** mb1's humidity through HTTP: the known-good request every test ends with. */
async function stillServes(): Promise<void> {
    const r = await http("/devices/mb1/sensors/humidity")
    expect(r.status).toBe(200)
    expect(await r.text()).toBe("40.5")
}

/** Makes `obj[name]` throw for the inputs `when` picks, until the test ends. */
function breakMethod<T extends object>(obj: T, name: keyof T & string, when: (...a: any[]) => boolean): void {
    const orig = (obj as any)[name]
    ;(obj as any)[name] = function (this: unknown, ...a: any[]) {
        if (when(...a)) throw new Error("injected fault in " + name)
        return orig.apply(this, a)
    }
    undo.push(() => ((obj as any)[name] = orig))
}

/** A registry listener that throws for board `id`, removed when the test ends. */
function throwingListener(event: string, id: string): void {
    const l = (b: { id: string }) => {
        if (b.id === id) throw new Error(`injected fault in a "${event}" listener`)
    }
    gw.registry.on(event, l)
    undo.push(() => gw.registry.off(event, l))
}

describe("the gateway's boundaries", () => {
    test("HTTP: a fault in a request's handling answers 500; the next request is served", async () => {
        const before = gw.faults.counts.get("http") ?? 0
        breakMethod(gw.registry, "list", () => true)
        const r = await http("/devices")
        expect(r.status).toBe(500)
        expect(gw.faults.counts.get("http")).toBe(before + 1)
        undo.pop()!()
        expect((await http("/devices")).status).toBe(200)
        await stillServes()
    })

    test("UDP: a fault while handling a datagram answers a CON request 5.00 with its Message ID and token", async () => {
        const before = gw.faults.counts.get("udp") ?? 0
        breakMethod(gw.front!.layer, "receive", (bytes: Buffer) => bytes.includes(Buffer.from("boom")))
        const s = dgram.createSocket("udp4")
        const got: CoapMessage[] = []
        s.on("message", (m) => got.push(decodeMessage(m)))
        await new Promise<void>((r) => s.bind(0, "127.0.0.1", () => r()))
        const req = newMessage(CoapType.CON, CoapCode.GET, 0x1234, Buffer.from("beef", "hex"))
        setUriPath(req, "/mb1/boom")
        s.send(encodeMessage(req), gw.ports.coap!, "127.0.0.1")
        await until(() => got.length > 0, 5000, "an answer to the request")
        expect(got[0].type).toBe(CoapType.ACK)
        expect(got[0].code).toBe(CoapCode.InternalServerError)
        expect(got[0].messageId).toBe(0x1234)
        expect(got[0].token.toString("hex")).toBe("beef")
        expect(gw.faults.counts.get("udp")).toBe(before + 1)
        const ok = newMessage(CoapType.CON, CoapCode.GET, 0x1235, Buffer.from("01", "hex"))
        setUriPath(ok, "/mb1/sensors/humidity")
        s.send(encodeMessage(ok), gw.ports.coap!, "127.0.0.1")
        await until(() => got.length > 1, 5000, "an answer to the known-good request")
        expect(got[1].code).toBe(CoapCode.Content)
        expect(got[1].payload.toString()).toBe("40.5")
        s.close()
    })

    test("coap+tcp: a fault while handling a connection's bytes aborts that connection (RFC 8323 5.6); others register", async () => {
        const before = gw.faults.counts.get("tcp") ?? 0
        throwingListener("links", "boom")
        const register = (ep: string) =>
            new Promise<{ frames: CoapMessage[]; closed: boolean }>((resolve) => {
                const sock = connect(gw.ports.tcp!, "127.0.0.1")
                const out = { frames: [] as CoapMessage[], closed: false }
                let buf = Buffer.alloc(0)
                sock.on("data", (d: Buffer) => {
                    buf = Buffer.concat([buf, d])
                    for (let n = tcpFrameLength(buf, 0); n > 0 && buf.length >= n; n = tcpFrameLength(buf, 0)) {
                        out.frames.push(decodeTcpMessage(buf.subarray(0, n)))
                        buf = buf.subarray(n)
                    }
                    if (out.frames.some((f) => f.code === CoapCode.Created)) sock.end()
                })
                sock.on("close", () => {
                    out.closed = true
                    resolve(out)
                })
                sock.on("error", () => {})
                const rd = newMessage(CoapType.CON, CoapCode.POST, 0, Buffer.from("01", "hex"))
                setUriPath(rd, "/rd")
                setUriQuery(rd, ["ep=" + ep])
                setContentFormat(rd, ContentFormat.LinkFormat)
                rd.payload = Buffer.from("</sensors/x>")
                sock.write(Buffer.concat([encodeTcpMessage(newMessage(CoapType.CON, CoapCode.CSM, 0)), encodeTcpMessage(rd)]))
            })
        const bad = await register("boom")
        expect(bad.frames.map((f) => f.code)).toContain(CoapCode.Abort)
        expect(bad.closed).toBe(true)
        expect(gw.faults.counts.get("tcp")).toBe(before + 1)
        const good = await register("fine")
        expect(good.frames.map((f) => f.code)).toContain(CoapCode.Created)
        await stillServes()
    })

    test("MQTT: a fault while handling a status message drops that message; the side keeps working", async () => {
        const before = gw.faults.counts.get("mqtt") ?? 0
        throwingListener("online", "boom")
        const pub = mqtt.connect(mosq.url, { clientId: "boundary-spec" })
        await new Promise<void>((r) => pub.once("connect", () => r()))
        pub.publish("devices/boom/status", '{"state":"online"}', { qos: 1 })
        await until(() => (gw.faults.counts.get("mqtt") ?? 0) > before, 5000, "the fault counted")
        pub.publish("devices/fine2/status", '{"state":"online"}', { qos: 1 })
        await until(() => gw.registry.get("fine2")?.online === true, 5000, "the next status handled")
        await new Promise<void>((r) => pub.end(false, {}, () => r()))
        await stillServes()
    })

    test("a fault is logged once per kind, and counted every time", () => {
        const lines: string[] = []
        const log = new FaultLog((l) => lines.push(l))
        const e = new Error("same")
        for (let i = 0; i < 1000; i++) log.report("udp", e)
        log.report("udp", new TypeError("other"))
        expect(log.counts.get("udp")).toBe(1001)
        expect(lines.length).toBe(2)
        expect(lines[0]).toContain("Error: same")
    })

    test("internalErrorFor: 5.00 only for a CON request, with its Message ID and token", () => {
        const con = newMessage(CoapType.CON, CoapCode.PUT, 7, Buffer.from("0a0b", "hex"))
        const r = decodeMessage(internalErrorFor(encodeMessage(con))!)
        expect([r.type, r.code, r.messageId, r.token.toString("hex")]).toEqual([CoapType.ACK, CoapCode.InternalServerError, 7, "0a0b"])
        expect(internalErrorFor(encodeMessage(newMessage(CoapType.NON, CoapCode.GET, 8)))).toBe(undefined)
        expect(internalErrorFor(encodeMessage(newMessage(CoapType.CON, CoapCode.Content, 9)))).toBe(undefined)
        expect(internalErrorFor(Buffer.from([0x48, 0x01, 0, 1]))).toBe(undefined) // TKL 8, no token bytes
        expect(internalErrorFor(Buffer.from([1, 2]))).toBe(undefined)
    })
})
