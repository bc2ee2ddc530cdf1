// The DeviceScript adapters (devs/*) against the real VM: run with
//   npx devs run --test -k -T 60000 test/devs/adapters.ts
// through test/node/devs/adapters.spec.ts, which starts the echo server and passes its port
// in simEnv (ECHO_PORT, CLOSED_PORT).
import * as ds from "@devicescript/core"
import { describe, test, expect } from "@devicescript/test"
import { dsClock } from "../../devs/clock"
import { dsRandom } from "../../devs/random"
import { DsCompletion, dsCompletions } from "../../devs/completion"
import { dsNetConnector, sendInPieces, Sender, SEND_MAX } from "../../devs/net-stream"
import { simEnv } from "../../devs/sim-env"
import { DsSettingsStore } from "../../devs/settings-store"
import { StreamEvents } from "../../src/io"
import { concatBytes } from "../../src/util/bytes"

async function until(cond: () => boolean, ms: number): Promise<boolean> {
    const end = ds.millis() + ms
    while (!cond()) {
        if (ds.millis() > end) return false
        await ds.sleep(5)
    }
    return true
}

class Recorder implements StreamEvents {
    opened = 0
    closes: string[] = []
    chunks: Buffer[] = []
    throwOnData = false
    onOpen(): void {
        this.opened++
    }
    onData(chunk: Buffer): void {
        this.chunks.push(chunk)
        if (this.throwOnData) throw new Error("boom in onData")
    }
    onClose(reason: string): void {
        this.closes.push(reason)
    }
    received(): string {
        return concatBytes(this.chunks).toString()
    }
}

function echoTarget() {
    return { host: "127.0.0.1", port: simEnv["ECHO_PORT"] as number, tls: false }
}

describe("clock", () => {
    test("advances across an await", async () => {
        const t0 = dsClock.now()
        await ds.sleep(50)
        const dt = dsClock.now() - t0
        expect(dt >= 50).toBe(true)
        expect(dt < 1000).toBe(true)
    })
})

describe("random", () => {
    test("values in [0, 1), not constant", () => {
        let min = 1
        let max = 0
        for (let i = 0; i < 200; i++) {
            const v = dsRandom.next()
            if (v < min) min = v
            if (v > max) max = v
        }
        expect(min >= 0).toBe(true)
        expect(max < 1).toBe(true)
        expect(max - min > 0.5).toBe(true)
    })
})

async function resolveLater(c: DsCompletion<number>, v: number) {
    await ds.sleep(20)
    c.resolve(v)
}

async function rejectLater(c: DsCompletion<number>) {
    await ds.sleep(20)
    c.reject(new Error("nope"))
}

async function waitInto(c: DsCompletion<number>, out: number[], waiting: number[]) {
    // counted right before wait() suspends this fiber: nothing runs in between
    waiting.push(1)
    out.push(await c.wait())
}

/**
 * The positive control of a "nothing more is reported" check: a full connect and echo through a
 * new stream. The socket layer's fibers have run through it, so a stray report from an older
 * stream would have come first.
 */
async function echoRoundTrip(): Promise<boolean> {
    const r = new Recorder()
    const s = dsNetConnector.open(echoTarget(), r)
    s.write(Buffer.from("marker"))
    const ok = await until(() => r.received().length >= 6, 5000)
    s.close()
    return ok && (await until(() => r.closes.length > 0, 2000))
}

describe("completion", () => {
    test("resolved before wait: wait returns the value at once", async () => {
        const c = dsCompletions.create<number>()
        c.resolve(5)
        c.resolve(6)
        expect(await c.wait()).toBe(5)
        expect(await c.wait()).toBe(5)
    })
    test("wait suspends until another fiber resolves", async () => {
        const c = new DsCompletion<number>()
        const t0 = ds.millis()
        resolveLater.start(c, 42)
        const v = await c.wait()
        expect(v).toBe(42)
        expect(ds.millis() - t0 >= 20).toBe(true)
    })
    test("reject throws in the waiter", async () => {
        const c = new DsCompletion<number>()
        rejectLater.start(c)
        let msg = "no throw"
        try {
            await c.wait()
        } catch (e) {
            msg = (e as Error).message
        }
        expect(msg).toBe("nope")
    })
    test("every waiter wakes; later resolve/reject are ignored", async () => {
        const c = new DsCompletion<number>()
        const out: number[] = []
        const waiting: number[] = []
        waitInto.start(c, out, waiting)
        waitInto.start(c, out, waiting)
        expect(await until(() => waiting.length === 2, 1000)).toBe(true)
        c.resolve(7)
        c.reject(new Error("late"))
        expect(await until(() => out.length === 2, 1000)).toBe(true)
        expect(out[0] + out[1]).toBe(14)
        expect(await c.wait()).toBe(7)
    })
})

describe("net-stream", () => {
    test("opens, writes packets in order, receives the echo", async () => {
        const r = new Recorder()
        const s = dsNetConnector.open(echoTarget(), r)
        expect(await until(() => r.opened === 1, 5000)).toBe(true)
        s.write(Buffer.from("one,"))
        s.write(Buffer.from("two,"))
        s.write(Buffer.from("three"))
        expect(await until(() => r.received().length >= 13, 5000)).toBe(true)
        expect(r.received()).toBe("one,two,three")
        s.close()
        s.close()
        // Reported later, never from inside close() (the caller may be mid state change).
        expect(r.closes.length).toBe(0)
        expect(await until(() => r.closes.length > 0, 2000)).toBe(true)
        expect(await echoRoundTrip()).toBe(true)
        expect(r.closes.length).toBe(1)
        expect(r.closes[0]).toBe("closed")
        s.write(Buffer.from("after close is ignored"))
    })
    test("many packets queued at once arrive whole and in order (joined or not)", async () => {
        const r = new Recorder()
        const s = dsNetConnector.open(echoTarget(), r)
        expect(await until(() => r.opened === 1, 5000)).toBe(true)
        const big = Buffer.alloc(1500)
        for (let i = 0; i < big.length; i++) big[i] = 0x78
        const parts: Buffer[] = [Buffer.from("<a>"), big, Buffer.from("<b>")]
        for (let i = 0; i < 100; i++) parts.push(Buffer.from("[" + i + "]"))
        parts.push(big)
        parts.push(Buffer.from("<end>"))
        let total = 0
        for (const p of parts) {
            s.write(p)
            total += p.length
        }
        expect(await until(() => concatBytes(r.chunks).length >= total, 5000)).toBe(true)
        const got = concatBytes(r.chunks)
        const want = concatBytes(parts)
        expect(got.length).toBe(want.length)
        let same = true
        for (let i = 0; i < want.length; i++) if (got[i] !== want[i]) same = false
        expect(same).toBe(true)
        s.close()
    })
    test("writes queued before the socket is open are sent after it opens", async () => {
        const r = new Recorder()
        const s = dsNetConnector.open(echoTarget(), r)
        s.write(Buffer.from("early"))
        expect(await until(() => r.received().length >= 5, 5000)).toBe(true)
        expect(r.received()).toBe("early")
        s.close()
    })
    test("a peer that closes gives onClose, once", async () => {
        const r = new Recorder()
        const s = dsNetConnector.open(echoTarget(), r)
        expect(await until(() => r.opened === 1, 5000)).toBe(true)
        s.write(Buffer.from("BYE"))
        expect(await until(() => r.closes.length > 0, 5000)).toBe(true)
        expect(r.closes[0]).toBe("closed by peer")
        s.write(Buffer.from("x"))
        expect(await echoRoundTrip()).toBe(true)
        expect(r.closes.length).toBe(1)
    })
    test("connection refused is onClose, not an exception", async () => {
        const r = new Recorder()
        dsNetConnector.open({ host: "127.0.0.1", port: simEnv["CLOSED_PORT"] as number, tls: false }, r)
        expect(await until(() => r.closes.length > 0, 10000)).toBe(true)
        expect(r.opened).toBe(0)
        expect(r.closes[0].indexOf("connect failed") === 0).toBe(true)
    })
    test("a second stream ends the first (one socket per board)", async () => {
        const a = new Recorder()
        const sa = dsNetConnector.open(echoTarget(), a)
        expect(await until(() => a.opened === 1, 5000)).toBe(true)
        const b = new Recorder()
        const sb = dsNetConnector.open(echoTarget(), b)
        expect(await until(() => b.opened === 1 && a.closes.length === 1, 5000)).toBe(true)
        expect(a.closes[0].indexOf("terminated") >= 0).toBe(true)
        sa.write(Buffer.from("ignored"))
        sb.write(Buffer.from("still works"))
        expect(await until(() => b.received().length >= 11, 5000)).toBe(true)
        expect(b.received()).toBe("still works")
        sb.close()
    })
    test("an exception in onData closes the stream instead of panicking", async () => {
        const r = new Recorder()
        r.throwOnData = true
        const s = dsNetConnector.open(echoTarget(), r)
        expect(await until(() => r.opened === 1, 5000)).toBe(true)
        s.write(Buffer.from("ping"))
        expect(await until(() => r.closes.length > 0, 5000)).toBe(true)
        expect(r.closes[0]).toBe("onData threw: boom in onData")
    })
})

/**
 * The ESP32 runtime's socket as far as sending goes: a write larger than the TLS output record
 * (4 KB) hits a firmware assert, and a 51st write while 50 are queued fails with "send error -1".
 * The queue empties as the network sends: modelled without a clock, each refused write is the
 * moment the runtime has sent 10 more entries, so only a sender that retries after a refusal gets
 * everything out.
 */
class FakeEsp32Socket implements Sender {
    queued = 0
    refused = 0
    largest = 0
    pieces: Buffer[] = []
    async send(buf: Buffer): Promise<void> {
        if (buf.length > 4096) throw new Error("assert failed: mbedtls_ssl_write record overflow")
        if (this.queued >= 50) {
            this.refused++
            this.queued -= 10
            throw new Error("socket tls://fake:8883: send error -1")
        }
        this.queued++
        this.largest = Math.max(this.largest, buf.length)
        this.pieces.push(buf)
    }
}

class BrokenSocket implements Sender {
    async send(buf: Buffer): Promise<void> {
        throw new Error("socket tls://fake:8883: closed")
    }
}

describe("net-stream sends within the ESP32's limits", () => {
    test("a packet larger than the TLS record goes out in pieces of at most SEND_MAX, in order", async () => {
        const sock = new FakeEsp32Socket()
        const big = Buffer.alloc(10 * 1024 - 100)
        // markers at piece boundaries (a byte loop over 10 KB would run past the VM's watchdog)
        for (let i = 0; i < 10; i++) {
            big[i * 1024] = i + 1
            big[Math.min(i * 1024 + 1023, big.length - 1)] = i + 11
        }
        await sendInPieces(sock, big)
        expect(sock.largest <= SEND_MAX).toBe(true)
        expect(sock.pieces.length).toBe(10)
        const back = concatBytes(sock.pieces)
        expect(back.length).toBe(big.length)
        let same = true
        for (let i = 0; i < 10; i++) {
            if (back[i * 1024] !== i + 1) same = false
            if (back[Math.min(i * 1024 + 1023, big.length - 1)] !== i + 11) same = false
        }
        expect(same).toBe(true)
    })
    test("a text (a PUBLISH's payload) goes out as its UTF-8 bytes in small pieces, cut by bytes", async () => {
        const sock = new FakeEsp32Socket()
        let text = ""
        for (let i = 0; i < 100; i++) text += "\u00e9t\u00e9 \u20ac "
        await sendInPieces(sock, text)
        expect(sock.largest <= 256).toBe(true)
        expect(sock.pieces.length).toBe(4)
        expect(concatBytes(sock.pieces).toString("hex")).toBe(Buffer.from(text).toString("hex"))
    })
    test("a text in parts goes out as its UTF-8 bytes in small pieces that run across the parts", async () => {
        const sock = new FakeEsp32Socket()
        let big = ""
        for (let i = 0; i < 50; i++) big += "\u00e9t\u00e9 \u20ac "
        const parts = ['{"jsonrpc":"2.0","', "result", '":', '"' + big + '"', ',"id":', "12", "}"]
        await sendInPieces(sock, parts)
        expect(sock.largest <= 256).toBe(true)
        const back = concatBytes(sock.pieces)
        expect(back.toString("hex")).toBe(Buffer.from(parts.join("")).toString("hex"))
        // packed: as few pieces as the bytes need, not one per part
        expect(sock.pieces.length).toBe(Math.ceil(back.length / 256))
    })
    test("a full send queue is waited out, not a dropped link", async () => {
        const sock = new FakeEsp32Socket()
        for (let i = 0; i < 120; i++) await sendInPieces(sock, Buffer.from("packet " + i))
        expect(sock.refused > 0).toBe(true)
        expect(sock.pieces.length).toBe(120)
        expect(sock.pieces[119].toString()).toBe("packet 119")
    })
    test("other send errors still end the link", async () => {
        let threw = false
        try {
            await sendInPieces(new BrokenSocket(), Buffer.from("x"))
        } catch (e) {
            threw = true
        }
        expect(threw).toBe(true)
    })
})

describe("settings-store", () => {
    test("non-ASCII text, numbers and booleans read back as written", async () => {
        const store = new DsSettingsStore()
        // writeSetting's JSON.stringify writes "é" as "\u00c3\u00a9", read back as "Ã©"
        const text = 'caf\u00e9 \u00fc \u65e5\u672c \ud83d\ude00 "q" \\'
        await store.write("T_TEXT", text)
        await store.write("T_NUM", 1883)
        await store.write("T_BOOL", false)
        expect(await store.read("T_TEXT")).toBe(text)
        expect(await store.read("T_NUM")).toBe(1883)
        expect(await store.read("T_BOOL")).toBe(false)
        await store.remove("T_TEXT")
        expect(await store.read("T_TEXT")).toBe(undefined)
    })
})
