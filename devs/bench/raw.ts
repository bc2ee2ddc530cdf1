// The raw-socket bound: a hand-made CONNECT, then pre-encoded QoS 0 PUBLISH frames, one send()
// each, as fast as the VM allows (with the same periodic yield as the clients).
import * as ds from "@devicescript/core"
import { connect } from "@devicescript/net"
import { BenchConfig, report, reportError } from "./common"

function str(s: string): Buffer {
    const b = Buffer.from(s)
    const r = Buffer.alloc(2 + b.length)
    r[0] = b.length >> 8
    r[1] = b.length & 0xff
    r.set(b, 2)
    return r
}

/** Fixed header + body; the bodies here are < 128 bytes, so the remaining length is one byte. */
function frame(header: number, parts: Buffer[]): Buffer {
    let n = 0
    for (const p of parts) n += p.length
    const r = Buffer.alloc(2 + n)
    r[0] = header
    r[1] = n
    let o = 2
    for (const p of parts) {
        r.set(p, o)
        o += p.length
    }
    return r
}

export async function benchRaw(cfg: BenchConfig): Promise<void> {
    try {
        const sock = await connect({ host: cfg.host, port: cfg.port, proto: "tcp" })
        // CONNECT: "MQTT", level 4, clean session, keepalive 60 s, client id.
        const vh = Buffer.from([0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0x02, 0, 60])
        await sock.send(frame(0x10, [vh, str("bench-raw")]))
        const ack = await sock.recv(5000)
        if (!ack || ack[0] !== 0x20 || ack[3] !== 0) throw new Error("no CONNACK")
        const pub = frame(0x30, [str("bench/raw/qos0"), cfg.payload])
        const t0 = ds.millis()
        for (let i = 0; i < cfg.n0; i++) {
            await sock.send(pub)
            if (i % cfg.yieldEvery === cfg.yieldEvery - 1) await ds.sleep(0)
        }
        report("raw", "qos0", cfg.n0, ds.millis() - t0)
        await sock.send(Buffer.from([0xe0, 0]))
        await ds.sleep(100)
        await sock.close()
    } catch (e) {
        reportError("raw", "run", e)
    }
}
