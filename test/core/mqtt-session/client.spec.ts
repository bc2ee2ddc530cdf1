import { describe, expect, test } from "@devicescript/test"
import { Completion, CompletionFactory, Stream, StreamConnector, StreamEvents, StreamTarget } from "../../../src/io"
import { connect, MqttClient, Timers } from "../../../src/mqtt/client/client"
import { MqttClientCore } from "../../../src/mqtt/client/client-core"
import { resolveOptions, withUrl } from "../../../src/mqtt/client/client-options"
import { Endpoint, parseUrlWithCredentials } from "../../../src/config/url"
import { encodePacket } from "../../../src/mqtt/codec/encode"
import { ConnectPacket, Packet, PacketType, PublishPacket, SubscribePacket } from "../../../src/mqtt/codec/packets"
import { MqttClientError } from "../../../src/mqtt/session/session-errors"
import { SessionState } from "../../../src/mqtt/session/session-core"
import { decodeWrite, FakeClock, FixedRandom, thrownCode } from "./harness"

class FakeStream implements Stream {
    /** The last Buffer written (decodeWrite). */
    head?: Buffer
    written: Packet[]
    closed: boolean
    throwOnWrite: boolean
    events: StreamEvents
    constructor(events: StreamEvents) {
        this.written = []
        this.closed = false
        this.throwOnWrite = false
        this.events = events
    }
    write(data: Buffer | string): void {
        if (this.throwOnWrite) throw new Error("send error -1")
        this.written.push(decodeWrite(this.written, this, data))
    }
    close(): void {
        this.closed = true
    }
    feed(p: Packet): void {
        this.events.onData(encodePacket(p))
    }
}

class FakeConnector implements StreamConnector {
    streams: FakeStream[]
    targets: StreamTarget[]
    fail: string
    constructor() {
        this.streams = []
        this.targets = []
        this.fail = ""
    }
    open(target: StreamTarget, events: StreamEvents): Stream {
        this.targets.push(target)
        if (this.fail !== "") throw new Error(this.fail)
        const s = new FakeStream(events)
        this.streams.push(s)
        return s
    }
    last(): FakeStream {
        return this.streams[this.streams.length - 1]
    }
}

interface PendingTimer {
    fn: () => void
    at: number
    id: number
}

/** Timers on the fake clock: run() fires whatever is due. */
class FakeTimers implements Timers {
    clock: FakeClock
    pending: PendingTimer[]
    sets: number
    nextId: number
    constructor(clock: FakeClock) {
        this.clock = clock
        this.pending = []
        this.sets = 0
        this.nextId = 1
    }
    set(fn: () => void, ms: number): any {
        this.sets++
        const id = this.nextId++
        this.pending.push({ fn, at: this.clock.t + ms, id })
        return id
    }
    clear(handle: any): void {
        this.pending = this.pending.filter((t: PendingTimer) => t.id !== handle)
    }
    /** Advances the clock to the earliest timer and fires it; false when none is pending. */
    runNext(): boolean {
        if (this.pending.length === 0) return false
        let best = 0
        for (let i = 1; i < this.pending.length; i++) if (this.pending[i].at < this.pending[best].at) best = i
        const t = this.pending[best]
        this.pending = this.pending.filter((x: PendingTimer) => x.id !== t.id)
        if (t.at > this.clock.t) this.clock.t = t.at
        t.fn()
        return true
    }
}

// (a class, not an object literal: DeviceScript rejects method shorthand in object literals)
class NoCompletions implements CompletionFactory {
    create<T>(): Completion<T> {
        throw new Error("the portable client tests use only the NoWait API")
    }
}
const noCompletions = new NoCompletions()

interface World {
    clock: FakeClock
    timers: FakeTimers
    connector: FakeConnector
    client: MqttClient
    events: string[]
}

function world(url: string): World {
    const clock = new FakeClock()
    const timers = new FakeTimers(clock)
    const connector = new FakeConnector()
    const client = connect(
        { url, clientId: "c1", keepalive: 10, reconnectPeriod: 100, reconnectPeriodMax: 400 },
        { connector, clock, random: new FixedRandom(0.5), completions: noCompletions, timers }
    )
    const events: string[] = []
    client.on("connect", (sp: boolean) => events.push("connect:" + sp))
    client.on("close", (r: string) => events.push("close"))
    client.on("offline", () => events.push("offline"))
    client.on("error", (e: any) => events.push("error:" + (e.code ? e.code : e.message)))
    return { clock, timers, connector, client, events }
}

function up(w: World): FakeStream {
    const s = w.connector.last()
    s.events.onOpen()
    s.feed({ type: PacketType.CONNACK, sessionPresent: false, returnCode: 0 })
    return s
}

describe("client over fake platform", () => {
    test("connect() opens the url's target and writes CONNECT on open; CONNACK emits connect", () => {
        const w = world("mqtts://broker.example:8884")
        expect(w.connector.targets.length).toBe(1)
        expect(w.connector.targets[0].host).toBe("broker.example")
        expect(w.connector.targets[0].port).toBe(8884)
        expect(w.connector.targets[0].tls).toBe(true)
        const s = up(w)
        expect((s.written[0] as ConnectPacket).clientId).toBe("c1")
        expect(w.events.join(",")).toBe("connect:false")
        expect(w.client.isConnected()).toBe(true)
    })

    test("publishNoWait pipelines without one timer per message", () => {
        const w = world("mqtt://h")
        const s = up(w)
        const setsBefore = w.timers.sets
        let done = 0
        for (let i = 0; i < 10; i++)
            w.client.publishNoWait("t", "x", { qos: 1 }, (err: Error) => {
                if (!err) done++
            })
        expect(s.written.length).toBe(11)
        expect(w.timers.sets).toBe(setsBefore)
        for (let i = 1; i <= 10; i++) s.feed({ type: PacketType.PUBACK, packetId: i })
        expect(done).toBe(10)
    })

    test("keepalive and reconnect run from the one timer", () => {
        const w = world("mqtt://h")
        const s = up(w)
        w.timers.runNext() // keepalive: PINGREQ at 10 s
        expect(s.written[s.written.length - 1].type).toBe(PacketType.PINGREQ)
        w.timers.runNext() // no PINGRESP within 5 s
        expect(w.events.join(",")).toBe("connect:false,close,offline,error:PING_TIMEOUT")
        expect(s.closed).toBe(true)
        w.timers.runNext() // backoff: reconnect
        expect(w.connector.streams.length).toBe(2)
    })

    test("a connector that throws is a failed attempt, retried after the backoff", () => {
        const w = world("mqtt://h")
        up(w)
        w.connector.fail = "no network"
        w.connector.streams[0].events.onClose("gone")
        w.timers.runNext() // reconnect attempt: open throws
        w.timers.runNext() // the failure is reported from a timer
        expect(w.events.join(",")).toBe("connect:false,close,offline,close")
        w.connector.fail = ""
        w.timers.runNext()
        expect(w.connector.streams.length).toBe(2)
    })

    test("a stream whose write throws is dropped and the client reconnects", () => {
        const w = world("mqtt://h")
        const s = up(w)
        s.throwOnWrite = true
        w.client.publishNoWait("t", "x", { qos: 1 }, undefined)
        expect(s.closed).toBe(true)
        w.timers.runNext()
        expect(w.client.isConnected()).toBe(false)
        w.timers.runNext()
        const s2 = up(w)
        // the unacknowledged message is resent with DUP on the new stream
        const last = s2.written[s2.written.length - 1] as any
        expect(last.type).toBe(PacketType.PUBLISH)
        expect(last.dup).toBe(true)
    })

    test("messages go to the message event and to matching onMessage handlers; a throwing handler becomes an error event", () => {
        const w = world("mqtt://h")
        const s = up(w)
        const seen: string[] = []
        w.client.on("message", (t: string) => seen.push("all:" + t))
        w.client.subscribeNoWait("a/+", { qos: 0, onMessage: (t: string) => seen.push("a:" + t) }, undefined)
        w.client.subscribeNoWait(
            "b/#",
            {
                qos: 0,
                onMessage: (t: string) => {
                    throw new Error("handler bug")
                },
            },
            undefined
        )
        const subs = s.written.filter((p: Packet) => p.type === PacketType.SUBSCRIBE) as SubscribePacket[]
        expect(subs.length).toBe(2)
        s.feed({ type: PacketType.PUBLISH, topic: "a/1", payload: Buffer.from("x"), qos: 0, retain: false, dup: false })
        s.feed({ type: PacketType.PUBLISH, topic: "b/c", payload: Buffer.from("x"), qos: 0, retain: false, dup: false })
        expect(seen.join(",")).toBe("all:a/1,a:a/1,all:b/c")
        expect(w.events[w.events.length - 1]).toBe("error:handler bug")
        expect(w.client.isConnected()).toBe(true)
    })

    test("end() emits close and stops the timer; publishing afterwards throws CLIENT_ENDED", () => {
        const w = world("mqtt://h")
        up(w)
        w.client.end()
        expect(w.timers.pending.length).toBe(0)
        expect(thrownCode(() => w.client.publishNoWait("t", "x", { qos: 0 }, undefined))).toBe("CLIENT_ENDED")
    })
})

function thrownMessage(fn: () => void): string {
    try {
        fn()
    } catch (e) {
        return (e as Error).message
    }
    return ""
}

describe("url parsing", () => {
    // The `url` option (MqttClient: withUrl) is parsed by src/config/url.ts (parseUrlWithCredentials).
    test("schemes, default ports, credentials, IPv6", () => {
        const rnd = new FixedRandom(0.5)
        const a = resolveOptions(withUrl({ url: "mqtt://h" }), rnd)
        expect(a.target.host).toBe("h")
        expect(a.target.port).toBe(1883)
        expect(a.target.tls).toBe(false)
        expect(a.session.username).toBe(undefined)
        expect(a.session.password).toBe(undefined)
        const b = resolveOptions(withUrl({ url: "mqtts://u:p@h:9000/ignored" }), rnd)
        expect(b.target.port).toBe(9000)
        expect(b.target.tls).toBe(true)
        expect(b.session.username).toBe("u")
        expect(b.session.password.toString()).toBe("p")
        expect(resolveOptions(withUrl({ url: "tls://h" }), rnd).target.port).toBe(8883)
        expect(resolveOptions(withUrl({ url: "SSL://h" }), rnd).target.tls).toBe(true)
        expect(resolveOptions(withUrl({ url: "tcp://h" }), rnd).target.port).toBe(1883)
        const c = resolveOptions(withUrl({ url: "mqtt://[::1]:1884" }), rnd)
        expect(c.target.host).toBe("::1")
        expect(c.target.port).toBe(1884)
        expect(thrownCode(() => resolveOptions(withUrl({ url: "http://h" }), rnd))).toBe("INVALID_ARGUMENT")
        expect(thrownCode(() => resolveOptions(withUrl({ url: "mqtt://h:0" }), rnd))).toBe("INVALID_ARGUMENT")
        expect(thrownCode(() => resolveOptions(withUrl({ url: "mqtt://u@" }), rnd))).toBe("INVALID_ARGUMENT")
        expect(thrownMessage(() => resolveOptions(withUrl({ url: "http://h" }), rnd))).toBe(
            "url must start with mqtt:// or mqtts:// or tcp:// or tls:// or ssl://"
        )
        expect(thrownMessage(() => resolveOptions(withUrl({ url: "mqtt://h:12x" }), rnd))).toBe("url has an invalid port")
        const p = parseUrlWithCredentials("mqtt://u@h/x?y", ["mqtt"]) as Endpoint
        expect(p.username).toBe("u")
        expect(p.password).toBe(undefined)
        expect(p.host).toBe("h")
    })

    test("options: tls default port 8883, url fields overridden by explicit ones, defaults filled", () => {
        const rnd = new FixedRandom(0.5)
        const a = resolveOptions({ host: "h", proto: "tls" }, rnd)
        expect(a.target.port).toBe(8883)
        expect(a.target.tls).toBe(true)
        const b = resolveOptions(withUrl({ url: "mqtts://u:p@h", port: 1999, proto: "tcp", username: "v" }), rnd)
        expect(b.target.port).toBe(1999)
        expect(b.target.tls).toBe(false)
        expect(b.session.username).toBe("v")
        expect(b.session.password.toString()).toBe("p")
        expect(b.session.keepalive).toBe(60)
        expect(b.session.inflightWindow).toBe(16)
        expect(b.session.clean).toBe(true)
        expect(b.session.clientId).toBe("devs-link-888888")
        expect(b.session.reconnectMin).toBe(1000)
        expect(b.session.reconnectMax).toBe(60000)
        expect(b.session.connectTimeout).toBe(30000)
        expect(b.session.outboxMaxMessages).toBe(64)
        expect(b.session.outboxMaxBytes).toBe(16384)
        expect(b.session.maxPacketSize).toBe(65536)
        expect(b.session.pingTimeout).toBe(undefined)
        expect(b.session.will).toBe(undefined)
        const z = resolveOptions(
            {
                host: "h",
                keepalive: 0,
                reconnectPeriod: 0,
                reconnectPeriodMax: 5,
                connectTimeout: 7,
                pingTimeout: 9,
                inflightWindow: 2,
                outboxMaxMessages: 3,
                outboxMaxBytes: 4,
                maxPacketSize: 100,
                clean: false,
                clientId: "",
            },
            rnd
        )
        expect(z.session.keepalive).toBe(0)
        expect(z.session.reconnectMin).toBe(0)
        expect(z.session.reconnectMax).toBe(5)
        expect(z.session.connectTimeout).toBe(7)
        expect(z.session.pingTimeout).toBe(9)
        expect(z.session.inflightWindow).toBe(2)
        expect(z.session.outboxMaxMessages).toBe(3)
        expect(z.session.outboxMaxBytes).toBe(4)
        expect(z.session.maxPacketSize).toBe(100)
        expect(z.session.clean).toBe(false)
        expect(z.session.clientId).toBe("")
        expect(z.target.port).toBe(1883)
        expect(z.session.password).toBe(undefined)
        expect(resolveOptions({ host: "h", password: "" }, rnd).session.password.length).toBe(0)
        expect(thrownCode(() => resolveOptions({ host: "h", inflightWindow: 65536 }, rnd))).toBe("INVALID_ARGUMENT")
        expect(thrownMessage(() => resolveOptions({ host: "h", proto: "udp" as any }, rnd))).toBe("proto must be tcp or tls")
        const c = resolveOptions({ host: "h", will: { topic: "w", payload: "bye" } }, rnd)
        expect(c.session.will.qos).toBe(0)
        expect(c.session.will.retain).toBe(false)
        expect(c.session.will.payload.toString()).toBe("bye")
        expect(thrownCode(() => resolveOptions({}, rnd))).toBe("INVALID_ARGUMENT")
        expect(thrownCode(() => resolveOptions({ host: "h", inflightWindow: 0 }, rnd))).toBe("INVALID_ARGUMENT")
    })
})

describe("MqttClientCore (what the firmware links)", () => {
    test("subscribes and publishes at QoS 1, emits an incoming QoS 0 message, refuses onMessage and QoS 2 with INVALID_ARGUMENT", () => {
        const clock = new FakeClock()
        const connector = new FakeConnector()
        const client = new MqttClientCore(
            { host: "h", clientId: "core" },
            { connector, clock, random: new FixedRandom(0.5), completions: noCompletions, timers: new FakeTimers(clock) }
        )
        const seen: string[] = []
        client.on("message", (t: string, p: Buffer) => seen.push(t + "=" + p.toString()))
        client.start()
        const s = connector.last()
        s.events.onOpen()
        s.feed({ type: PacketType.CONNACK, sessionPresent: false, returnCode: 0 })
        expect(client.session.state).toBe(SessionState.CONNECTED)
        expect(thrownCode(() => client.subscribeNoWait("a/#", { qos: 1, onMessage: (t: string) => seen.push(t) }, undefined))).toBe(
            "INVALID_ARGUMENT"
        )
        expect(thrownCode(() => client.publishNoWait("a/b", "x", { qos: 2 }, undefined))).toBe("INVALID_ARGUMENT")
        client.subscribeNoWait("a/#", { qos: 1 }, undefined)
        client.publishNoWait("a/b", "x", { qos: 1 }, undefined)
        const types = s.written.map((p: Packet) => "" + p.type).join(",")
        expect(types).toBe(PacketType.CONNECT + "," + PacketType.SUBSCRIBE + "," + PacketType.PUBLISH)
        s.feed({
            type: PacketType.PUBLISH,
            topic: "a/c",
            payload: Buffer.from("y"),
            qos: 0,
            retain: false,
            dup: false,
            packetId: undefined,
        })
        expect(seen.join(" ")).toBe("a/c=y")
    })
})

/** "CODE: message" of what fn throws, "" if it does not throw. */
function thrown(fn: () => void): string {
    try {
        fn()
    } catch (e) {
        return (e as MqttClientError).code + ": " + (e as Error).message
    }
    return ""
}

describe("client arguments are checked where they enter; a call that fails touches nothing", () => {
    test("20 publishes with a number payload each throw INVALID_ARGUMENT naming it and take no packet id; a valid QoS 1 publish still completes", () => {
        const w = world("mqtt://h")
        const s = up(w)
        let bad = 0
        for (let i = 0; i < 20; i++) {
            if (
                thrown(() => w.client.publishNoWait("t", 42 as any, { qos: 1 }, undefined)) ===
                "INVALID_ARGUMENT: payload must be a string, a Buffer or an object (got number)"
            )
                bad++
        }
        expect(bad).toBe(20)
        expect(w.client.stats().inflight).toBe(0)
        let done = 0
        w.client.publishNoWait("t", "ok", { qos: 1 }, (err: Error) => {
            if (!err) done++
        })
        const p = s.written[s.written.length - 1] as PublishPacket
        expect(p.type).toBe(PacketType.PUBLISH)
        s.feed({ type: PacketType.PUBACK, packetId: p.packetId })
        expect(done).toBe(1)
        expect(w.client.stats().inflight).toBe(0)
    })

    test("offline, a bad message is not queued ahead of a valid one; on connect the subscription and the valid message go out", () => {
        const w = world("mqtt://h")
        w.client.subscribeNoWait("s/#", { qos: 1 }, undefined)
        expect(thrown(() => w.client.publishNoWait("t", 42 as any, { qos: 1 }, undefined)).indexOf("INVALID_ARGUMENT: payload")).toBe(0)
        expect(w.client.stats().queued).toBe(0)
        w.client.publishNoWait("t", "ok", { qos: 1 }, undefined)
        const s = up(w)
        expect(s.written.map((x: Packet) => "" + x.type).join(",")).toBe(
            PacketType.CONNECT + "," + PacketType.SUBSCRIBE + "," + PacketType.PUBLISH
        )
        expect(w.events.join(",")).toBe("connect:false")
    })

    test("each bad argument is refused with INVALID_ARGUMENT naming it, and nothing is written or queued", () => {
        const w = world("mqtt://h")
        const s = up(w)
        const c = w.client
        const got = [
            thrown(() => c.publishNoWait(42 as any, "x", undefined, undefined)),
            thrown(() => c.publishNoWait("t", undefined, undefined, undefined)),
            thrown(() => c.publishNoWait("t", "x", { retain: "yes" as any }, undefined)),
            thrown(() => c.publishNoWait("t", "x", "qos1" as any, undefined)),
            thrown(() => c.publishNoWait("t", "x", { qos: 3 as any }, undefined)),
            thrown(() => c.publishNoWait("t", "x", { qos: 1 }, 5 as any)),
            thrown(() => c.subscribeNoWait(42 as any, undefined, undefined)),
            thrown(() => c.subscribeNoWait([], undefined, undefined)),
            thrown(() => c.subscribeNoWait([42 as any], undefined, undefined)),
            thrown(() => c.subscribeNoWait("a", { onMessage: 5 as any }, undefined)),
            thrown(() => c.subscribeNoWait("a", undefined, "cb" as any)),
            thrown(() => c.unsubscribeNoWait([], undefined)),
            thrown(() => c.unsubscribeNoWait("a", 7 as any)),
        ]
        const names = [
            "topic",
            "payload",
            "retain",
            "options",
            "qos",
            "callback",
            "topic filter",
            "topic filter",
            "topic filter",
            "onMessage",
            "callback",
            "topic filter",
            "callback",
        ]
        for (let i = 0; i < got.length; i++) expect(got[i].indexOf("INVALID_ARGUMENT: " + names[i] + " must") === 0 ? "" : got[i]).toBe("")
        expect(s.written.length).toBe(1) // CONNECT only
        expect(c.stats().queued).toBe(0)
        expect(c.stats().inflight).toBe(0)
    })
})
