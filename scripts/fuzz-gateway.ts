// Fuzz loop for the gateway's fronts over real sockets:
//   npx tsx scripts/fuzz-gateway.ts [count] [seed]
//
// One gateway (src/host/gateway, all four fronts) with a real Mosquitto and two simulated boards
// (tb1 on coap+tcp, mb1 on CoAP over MQTT). The `count` inputs are split over the fronts:
//   HTTP   20%  raw HTTP/1.1 requests (random methods, targets with broken escapes and odd forms,
//               headers, bodies, chunked framing, mutated heads) on keep-alive connections
//   UDP    45%  CoAP datagrams to the UDP front: requests of every kind for the boards and for
//               unknown ids, empty/ACK/RST/response messages, mutations, garbage
//   TCP    25%  RFC 8323 frames to the head-end after a CSM: signals, resource-directory
//               requests, responses, requests, mutations, garbage, in random chunks
//   MQTT   10%  payloads on <prefix>/<id>/coap/res and <prefix>/<id>/status, published to the broker
// in batches; after each batch the gateway must answer known-good requests: HTTP GET of a
// tb1 and an mb1 resource (200 with the right body) and a CoAP GET over UDP (2.05).
//
// Failure (input printed; exit 1 after the summary) when
//   - an exception escapes to the process (uncaught, or an unhandled rejection),
//   - a front's boundary caught a fault (src/host/gateway/boundary.ts counts them: each is a bug
//     the boundary only contained),
//   - a known-good request after a batch fails or gets no answer,
//   - the UDP front sends a datagram that does not decode,
//   - an HTTP request gets no response and the connection stays open (a hang).
// HTTP runs 16 requests at a time and the boards answer asynchronously, so the input printed with
// an exception that reached the process is the latest one sent, not necessarily the culprit: the
// stack names the place, and a smaller count with the same seed narrows it down.
import dgram from "node:dgram"
import { connect, Socket } from "node:net"
import mqtt from "mqtt"
import { startMosquitto } from "../test/helpers/mosquitto"
import { mqttBoard, tcpBoard } from "../test/interop/coap-tcp/sim-board"
import { startGateway } from "../src/host/gateway/gateway"
import { decodeMessage, encodeMessage } from "../src/coap/codec/codec"
import { CoapCode, CoapType, newMessage, setUriPath } from "../src/coap/codec/message"
import { Failures, Rng, finish, fuzzArgs } from "./fuzz-lib"
import { httpRequest, mqttMessage, tcpCsm, tcpFrame, udpDatagram } from "./fuzz-gateway-inputs"

const NAME = "fuzz-gateway"
const args = fuzzArgs(0x3c6ef372)
const rng = new Rng(args.seed)
const failures = new Failures(NAME, args.seed)
const started = process.hrtime.bigint()
const PREFIX = "devices"
const BATCH = 2000

/** What is being fed right now, for the report when the process itself gets an exception. */
let current: { front: string; input: Buffer } = { front: "setup", input: Buffer.alloc(0) }
const fatal = (e: unknown) => {
    failures.report(`exception reached the process while feeding the ${current.front} front`, current.input, e)
    finish(NAME, args, started, failures.count)
}
process.on("uncaughtException", fatal)
process.on("unhandledRejection", fatal)

const share = (f: number) => Math.floor(args.count * f)
const plan = { http: share(0.2), udp: share(0.45), tcp: share(0.25), mqtt: 0 }
plan.mqtt = args.count - plan.http - plan.udp - plan.tcp

const stats = {
    httpStatus: new Map<number, number>(),
    httpClosed: 0,
    udpReplies: 0,
    tcpConnections: 0,
    mqttDelivered: 0,
    healthChecks: 0,
}

/**
 * A front that has neither answered nor closed a connection by this deadline is hung: the fuzzer
 * reports that, with the input, as a failure instead of waiting for ever. Every wait still ends as
 * soon as the gateway answers or closes; the deadline only bounds the bad case.
 */
const HANG_DEADLINE_MS = 15000

/** Polls cond until it holds (true) or ms have passed (false: the caller reports what did not happen). */
function until(cond: () => boolean, ms: number): Promise<boolean> {
    const end = Date.now() + ms
    return new Promise((resolve) => {
        const check = () => {
            if (cond()) return resolve(true)
            if (Date.now() > end) return resolve(false)
            setTimeout(check, 2)
        }
        check()
    })
}

// ------------------------------------------------------------------ set-up

const mosq = await startMosquitto({ persistence: false })
const gw = await startGateway({
    coap: { port: 0, upstreamIdleMs: 200 },
    tcp: { port: 0, requestTimeoutMs: 1000 },
    http: { port: 0 },
    mqtt: { url: mosq.url, prefix: PREFIX, requestTimeoutMs: 1000, discoveryRetryMs: 1000 },
})
const boards = [tcpBoard("tb1", gw.ports.tcp!), mqttBoard("mb1", mosq.url)]
const ready = (id: string) => !!gw.registry.get(id)?.online && (gw.registry.get(id)?.links.length ?? 0) >= 5
if (!(await until(() => ready("tb1") && ready("mb1"), 15000))) {
    failures.report("set-up: boards did not register", "", new Error("tb1/mb1 not online"))
    finish(NAME, args, started, failures.count)
}
let faultsSeen = 0

async function shutdown(): Promise<void> {
    for (const b of boards) b.stop()
    await gw.stop()
    await mosq.stop()
}

// ------------------------------------------------------------------ health (known-good requests)

const healthSock = dgram.createSocket("udp4")
await new Promise<void>((r) => healthSock.bind(0, "127.0.0.1", () => r()))
const healthReplies = new Map<number, Buffer>()
healthSock.on("message", (m) => {
    try {
        const d = decodeMessage(m)
        healthReplies.set(d.messageId, d.payload)
        if (d.code !== CoapCode.Content) healthReplies.set(d.messageId, Buffer.from("code " + d.code))
    } catch {
        healthReplies.set(-1, m)
    }
})
let healthMid = 1

async function httpGet(path: string): Promise<{ status: number; body: string }> {
    const ac = new AbortController()
    const t = setTimeout(() => ac.abort(), 10000)
    try {
        const r = await fetch(`http://127.0.0.1:${gw.ports.http}${path}`, { signal: ac.signal })
        return { status: r.status, body: await r.text() }
    } catch (e) {
        return { status: 0, body: String(e) }
    } finally {
        clearTimeout(t)
    }
}

async function healthy(after: string, lastInput: Buffer): Promise<void> {
    stats.healthChecks++
    const problems: string[] = []
    const a = await httpGet("/devices/tb1/sensors/humidity")
    if (a.status !== 200 || a.body !== "40.5") problems.push(`HTTP tb1: ${a.status} ${a.body.slice(0, 80)}`)
    const b = await httpGet("/devices/mb1/sensors/humidity")
    if (b.status !== 200 || b.body !== "40.5") problems.push(`HTTP mb1: ${b.status} ${b.body.slice(0, 80)}`)
    const mid = healthMid++ & 0xffff
    const req = newMessage(CoapType.CON, CoapCode.GET, mid, Buffer.from("4e"))
    setUriPath(req, "/tb1/sensors/humidity")
    healthSock.send(encodeMessage(req), gw.ports.coap!, "127.0.0.1")
    if (!(await until(() => healthReplies.has(mid), 10000))) problems.push("UDP tb1: no answer")
    else if (healthReplies.get(mid)!.toString() !== "40.5") problems.push("UDP tb1: " + healthReplies.get(mid)!.toString())
    healthReplies.delete(mid)
    if (problems.length > 0) failures.report(`known-good requests after ${after}`, lastInput, new Error(problems.join("; ")))
    const faults = gw.faults.total()
    if (faults > faultsSeen) {
        failures.report(
            `${faults - faultsSeen} fault(s) caught by a boundary during ${after}`,
            lastInput,
            new Error([...gw.faults.counts].map(([k, v]) => k + "=" + v).join(" "))
        )
        faultsSeen = faults
    }
}

// ------------------------------------------------------------------ HTTP

interface HttpResponse {
    status: number
    length: number
}

/** The first complete final response in `buf` (1xx skipped), or undefined when more is needed. */
function parseResponse(buf: Buffer, head: boolean): HttpResponse | undefined {
    let off = 0
    while (true) {
        const end = buf.indexOf("\r\n\r\n", off)
        if (end < 0) return undefined
        const text = buf.subarray(off, end).toString("latin1")
        const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0)
        const bodyStart = end + 4
        if (status >= 100 && status < 200) {
            off = bodyStart
            continue
        }
        const cl = /\r\ncontent-length: *(\d+)/i.exec(text)
        const chunked = /\r\ntransfer-encoding: *chunked/i.test(text)
        let bodyLen = 0
        if (head || status === 204 || status === 304) bodyLen = 0
        else if (cl) bodyLen = Number(cl[1])
        else if (chunked) {
            const z = buf.indexOf("\r\n0\r\n\r\n", bodyStart - 2)
            if (z < 0) return undefined
            bodyLen = z + 7 - bodyStart
        } else return undefined // body until close
        if (buf.length < bodyStart + bodyLen) return undefined
        return { status, length: bodyStart + bodyLen }
    }
}

/** Sends one request on a connection; resolves with its status, or 0 when the server closed first. */
function httpExchange(
    conn: { sock: Socket; buf: Buffer; closed: boolean },
    bytes: Buffer,
    head: boolean,
    endAfter: boolean
): Promise<number> {
    return new Promise((resolve) => {
        let done = false
        const timer = setTimeout(() => settle(-1), HANG_DEADLINE_MS)
        const settle = (status: number) => {
            if (done) return
            done = true
            clearTimeout(timer)
            conn.sock.off("data", onData)
            conn.sock.off("close", onClose)
            resolve(status)
        }
        const onData = (d: Buffer) => {
            conn.buf = Buffer.concat([conn.buf, d])
            const r = parseResponse(conn.buf, head)
            if (r) {
                conn.buf = conn.buf.subarray(r.length)
                settle(r.status)
            }
        }
        const onClose = () => {
            const r = parseResponse(conn.buf, head)
            // a final status line whose body the close cut short still counts; a lone 1xx does not
            const bare = /^HTTP\/1\.1 ([2-5]\d\d)/.exec(conn.buf.toString("latin1"))
            settle(r ? r.status : bare ? Number(bare[1]) : 0)
        }
        conn.sock.on("data", onData)
        conn.sock.on("close", onClose)
        if (conn.closed) return onClose()
        conn.sock.write(bytes)
        if (endAfter) conn.sock.end()
    })
}

function httpConnect(): Promise<{ sock: Socket; buf: Buffer; closed: boolean }> {
    return new Promise((resolve) => {
        const sock = connect(gw.ports.http!, "127.0.0.1")
        const conn = { sock, buf: Buffer.alloc(0), closed: false }
        sock.on("error", () => {})
        sock.on("close", () => (conn.closed = true))
        sock.once("connect", () => resolve(conn))
    })
}

async function fuzzHttp(n: number): Promise<void> {
    const WORKERS = 16
    let next = 0
    for (let batchStart = 0; batchStart < n; batchStart += BATCH) {
        const batchEnd = Math.min(n, batchStart + BATCH)
        let last: Buffer = Buffer.alloc(0)
        const worker = async () => {
            let conn = await httpConnect()
            while (next < batchEnd) {
                next++
                const { method, bytes, mutated } = httpRequest(rng)
                current = { front: "HTTP", input: bytes }
                last = bytes
                // a request whose end the parser may not see (a mutated head) goes alone, then EOF
                // (the server answers or closes); some valid ones go that way too
                const alone = mutated || rng.below(20) === 0
                if (alone) {
                    conn.sock.destroy()
                    conn = await httpConnect()
                }
                const status = await httpExchange(conn, bytes, method === "HEAD", alone)
                if (status < 0)
                    failures.report(`HTTP: no response within ${HANG_DEADLINE_MS} ms, connection still open`, bytes, new Error("hang"))
                if (status <= 0) stats.httpClosed++
                else stats.httpStatus.set(status, (stats.httpStatus.get(status) ?? 0) + 1)
                if (conn.closed || status <= 0) {
                    conn.sock.destroy()
                    conn = await httpConnect()
                }
            }
            conn.sock.destroy()
        }
        await Promise.all(Array.from({ length: WORKERS }, worker))
        await healthy("an HTTP batch", last)
    }
}

// ------------------------------------------------------------------ UDP

async function fuzzUdp(n: number): Promise<void> {
    const socks: dgram.Socket[] = []
    for (let i = 0; i < 4; i++) {
        const s = dgram.createSocket({ type: "udp4", recvBufferSize: 4 * 1024 * 1024 })
        await new Promise<void>((r) => s.bind(0, "127.0.0.1", () => r()))
        s.on("message", (m) => {
            stats.udpReplies++
            try {
                decodeMessage(m)
            } catch (e) {
                failures.report("UDP front sent an undecodable datagram (after this input)", current.input, e)
            }
        })
        socks.push(s)
    }
    // a CoAP ping after every chunk: its RST comes once the front has read every datagram before it
    const pinger = dgram.createSocket("udp4")
    await new Promise<void>((r) => pinger.bind(0, "127.0.0.1", () => r()))
    let pongs = 0
    pinger.on("message", () => pongs++)
    const CHUNK = 200
    let last: Buffer = Buffer.alloc(0)
    for (let i = 0; i < n;) {
        const end = Math.min(n, i + CHUNK)
        for (; i < end; i++) {
            const d = udpDatagram(rng)
            current = { front: "UDP", input: d }
            last = d
            rng.pick(socks).send(d, gw.ports.coap!, "127.0.0.1")
        }
        const want = pongs + 1
        pinger.send(encodeMessage(newMessage(CoapType.CON, CoapCode.Empty, i & 0xffff)), gw.ports.coap!, "127.0.0.1")
        if (!(await until(() => pongs >= want, 10000)))
            failures.report("UDP front: no RST to a CoAP ping after a chunk", last, new Error("ping unanswered"))
        if (i % BATCH === 0 || i === n) await healthy("a UDP batch", last)
    }
    for (const s of [...socks, pinger]) s.close()
}

// ------------------------------------------------------------------ TCP

function tcpConnection(frames: Buffer[]): Promise<void> {
    return new Promise((resolve) => {
        stats.tcpConnections++
        const sock = connect(gw.ports.tcp!, "127.0.0.1")
        sock.on("error", () => {})
        sock.on("data", () => {})
        const timer = setTimeout(() => {
            failures.report(
                `head-end: connection neither closed nor answered within ${HANG_DEADLINE_MS} ms of our end`,
                Buffer.concat(frames),
                new Error("hang")
            )
            sock.destroy()
        }, HANG_DEADLINE_MS)
        sock.once("close", () => {
            clearTimeout(timer)
            resolve()
        })
        sock.once("connect", () => {
            // the frames in random chunks: the head-end's reader must reassemble any split
            const all = Buffer.concat([tcpCsm(), ...frames])
            for (let off = 0; off < all.length;) {
                const len = 1 + rng.below(64)
                sock.write(all.subarray(off, off + len))
                off += len
            }
            sock.end()
        })
    })
}

async function fuzzTcp(n: number): Promise<void> {
    const PER_CONN = 20
    const PARALLEL = 8
    let done = 0
    let last: Buffer = Buffer.alloc(0)
    while (done < n) {
        const batchEnd = Math.min(n, done + BATCH)
        const conns: Promise<void>[] = []
        while (done < batchEnd) {
            const k = Math.min(PER_CONN, batchEnd - done)
            const frames: Buffer[] = []
            for (let j = 0; j < k; j++) frames.push(tcpFrame(rng))
            done += k
            last = Buffer.concat(frames)
            current = { front: "TCP", input: last }
            conns.push(tcpConnection(frames))
            if (conns.length >= PARALLEL) await Promise.all(conns.splice(0))
        }
        await Promise.all(conns)
        await healthy("a TCP batch", last)
    }
}

// ------------------------------------------------------------------ MQTT

async function fuzzMqtt(n: number): Promise<void> {
    const pub = mqtt.connect(mosq.url, { clientId: "fuzz-gateway-pub", reconnectPeriod: 200 })
    await new Promise<void>((r) => pub.once("connect", () => r()))
    // counts what reached the gateway's MQTT side (the marker below tells a batch went through)
    let markers = 0
    gw.mqtt!.client!.on("message", (topic: string, payload: Buffer) => {
        if (topic === `${PREFIX}/fzmark/status`) markers++
        else if (topic.startsWith(PREFIX + "/")) stats.mqttDelivered++
    })
    let last: Buffer = Buffer.alloc(0)
    for (let i = 0; i < n;) {
        const end = Math.min(n, i + BATCH / 4)
        for (; i < end; i++) {
            const m = mqttMessage(rng, PREFIX)
            current = { front: "MQTT", input: m.payload }
            last = m.payload
            pub.publish(m.topic, m.payload, { qos: 0 })
        }
        const want = markers + 1
        pub.publish(`${PREFIX}/fzmark/status`, "{}", { qos: 1 })
        if (!(await until(() => markers >= want, 15000)))
            failures.report("MQTT: the batch marker never reached the gateway", last, new Error("marker lost"))
        if (i % BATCH === 0 || i === n) await healthy("an MQTT batch", last)
    }
    await new Promise<void>((r) => pub.end(false, {}, () => r()))
}

// ------------------------------------------------------------------ run

await healthy("set-up", Buffer.alloc(0))
const times: Record<string, number> = {}
for (const [front, run] of [
    ["http", () => fuzzHttp(plan.http)],
    ["udp", () => fuzzUdp(plan.udp)],
    ["tcp", () => fuzzTcp(plan.tcp)],
    ["mqtt", () => fuzzMqtt(plan.mqtt)],
] as [string, () => Promise<void>][]) {
    const t0 = Date.now()
    await run()
    times[front] = (Date.now() - t0) / 1000
}
current = { front: "shutdown", input: Buffer.alloc(0) }
await shutdown()
const statuses = [...stats.httpStatus]
    .sort((a, b) => a[0] - b[0])
    .map(([s, c]) => `${s}x${c}`)
    .join(" ")
finish(
    NAME,
    args,
    started,
    failures.count,
    `HTTP ${plan.http} in ${times["http"]} s (${statuses}; ${stats.httpClosed} closed without a response), ` +
        `UDP ${plan.udp} in ${times["udp"]} s (${stats.udpReplies} datagrams back), ` +
        `TCP ${plan.tcp} frames on ${stats.tcpConnections} connections in ${times["tcp"]} s, ` +
        `MQTT ${plan.mqtt} in ${times["mqtt"]} s (${stats.mqttDelivered} reached the gateway), ` +
        `${stats.healthChecks} known-good checks, boundary faults ${gw.faults.total()}`
)
