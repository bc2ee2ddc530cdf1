// Standalone fuzz loop for the MQTT codec:  npx tsx scripts/fuzz-mqtt.ts [count] [seed]
//
// Feeds N inputs (default 1,000,000) into decodeFrame and a FrameAssembler (random chunking,
// two packet-size limits, client or both-direction role): a third pure random bytes, two thirds valid frames of every type
// after 1-4 random mutations (bit flip, byte set, insert, delete, truncate, splice of two frames).
// Fails (exit 1, input printed in hex) when
//   - anything but MqttProtocolError is thrown, or
//   - a frame the decoder accepts cannot be re-encoded, or re-encodes to a different packet
//     (decoder and encoder must agree on what is valid).
// Prints inputs/s. The seed is printed so a failure can be replayed.
import { decodeFrame, decodeFromServer, decodePacket } from "../src/mqtt/codec/decode"
import { encodePacket } from "../src/mqtt/codec/encode"
import { MqttProtocolError } from "../src/mqtt/codec/errors"
import { FrameAssembler } from "../src/mqtt/codec/frames"
import { Packet, PacketType, QoS } from "../src/mqtt/codec/packets"
import { Failures, Rng, finish, fuzzArgs } from "./fuzz-lib"

const args = fuzzArgs()
const rng = new Rng(args.seed)
const rnd = () => rng.next()
const int = (n: number) => rnd() % n
const pick = <T>(xs: T[]): T => xs[int(xs.length)]
const bool = () => (rnd() & 1) === 1

const LEVELS = ["a", "b", "sport", "tennis", "", "$SYS", "é", "😀", "x/y", "日本"]
function topic(): string {
    const n = 1 + int(4)
    const ls: string[] = []
    for (let i = 0; i < n; i++) ls.push(pick(LEVELS))
    const t = ls.join("/")
    return t.length === 0 ? "t" : t
}
function filter(): string {
    const n = int(4)
    const ls: string[] = []
    for (let i = 0; i < n; i++) ls.push(int(4) === 0 ? "+" : pick(LEVELS))
    if (n === 0 || bool()) ls.push("#")
    const f = ls.join("/")
    return f.length === 0 ? "+" : f
}
function bytes(max: number): Buffer {
    const b = Buffer.allocUnsafe(int(max + 1))
    for (let i = 0; i < b.length; i++) b[i] = rnd() & 0xff
    return b
}
const qos = (): QoS => int(3) as QoS
const pid = () => 1 + int(65535)

function validPacket(): Packet {
    switch (1 + int(14)) {
        case PacketType.CONNECT: {
            const p: any = {
                type: PacketType.CONNECT,
                clientId: pick(["", "c", "client-1", "é😀"]),
                cleanSession: bool(),
                keepalive: int(65536),
            }
            if (p.clientId === "") p.cleanSession = true
            if (bool()) p.will = { topic: topic(), payload: bytes(8), qos: qos(), retain: bool() }
            if (bool()) {
                p.username = pick(["", "u", "user"])
                if (bool()) p.password = bytes(8)
            }
            return p
        }
        case PacketType.CONNACK: {
            const rc = int(6)
            return { type: PacketType.CONNACK, sessionPresent: rc === 0 && bool(), returnCode: rc }
        }
        case PacketType.PUBLISH: {
            const q = qos()
            const p: any = { type: PacketType.PUBLISH, topic: topic(), payload: bytes(40), qos: q, retain: bool(), dup: q > 0 && bool() }
            if (q > 0) p.packetId = pid()
            return p
        }
        case PacketType.SUBSCRIBE: {
            const subs = []
            for (let i = 1 + int(3); i > 0; i--) subs.push({ filter: filter(), qos: qos() })
            return { type: PacketType.SUBSCRIBE, packetId: pid(), subscriptions: subs }
        }
        case PacketType.SUBACK: {
            const codes: number[] = []
            for (let i = 1 + int(4); i > 0; i--) codes.push(pick([0, 1, 2, 0x80]))
            return { type: PacketType.SUBACK, packetId: pid(), returnCodes: codes }
        }
        case PacketType.UNSUBSCRIBE: {
            const fs: string[] = []
            for (let i = 1 + int(3); i > 0; i--) fs.push(filter())
            return { type: PacketType.UNSUBSCRIBE, packetId: pid(), filters: fs }
        }
        case PacketType.PINGREQ:
        case PacketType.PINGRESP:
        case PacketType.DISCONNECT:
            return { type: pick([PacketType.PINGREQ, PacketType.PINGRESP, PacketType.DISCONNECT]) } as Packet
        default:
            return {
                type: pick([PacketType.PUBACK, PacketType.PUBREC, PacketType.PUBREL, PacketType.PUBCOMP, PacketType.UNSUBACK]),
                packetId: pid(),
            } as Packet
    }
}

function mutate(b: Buffer): Buffer {
    for (let m = 1 + int(4); m > 0 && b.length > 0; m--) {
        const at = int(b.length)
        switch (int(6)) {
            case 0:
                b[at] ^= 1 << int(8)
                break
            case 1:
                b[at] = pick([0, 0x7f, 0x80, 0xff, 0xc0, 0xed, 0x2b, 0x23, rnd() & 0xff])
                break
            case 2:
                b = Buffer.concat([b.subarray(0, at), Buffer.from([rnd() & 0xff]), b.subarray(at)])
                break
            case 3:
                b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1)])
                break
            case 4:
                b = b.subarray(0, at)
                break
            default:
                b = Buffer.concat([b.subarray(0, at), encodePacket(validPacket())])
        }
    }
    return b
}

function input(): Buffer {
    if (int(3) === 0) {
        const b = bytes(48)
        if (b.length > 0 && bool()) b[0] = ((1 + int(14)) << 4) | (rnd() & 0xf)
        return b
    }
    return mutate(Buffer.from(encodePacket(validPacket())))
}

function same(a: Packet, b: Packet): boolean {
    return encodePacket(a).equals(encodePacket(b))
}

const failures = new Failures("fuzz-mqtt", args.seed)
const report = (kind: string, data: Buffer, e: unknown) => failures.report(kind, data, e)

function checkDecode(data: Buffer) {
    let p: Packet
    try {
        p = decodeFrame(data)
    } catch (e) {
        if (!(e instanceof MqttProtocolError)) report("decodeFrame threw a non-protocol error", data, e)
        return
    }
    try {
        const again = decodeFrame(encodePacket(p))
        if (!same(p, again)) report("re-encoded packet differs", data, new Error("mismatch"))
    } catch (e) {
        report("decoder accepted what the encoder refuses", data, e)
    }
}

function checkAssembler(data: Buffer, limit: number | undefined) {
    const a = new FrameAssembler(limit, int(2) === 0 ? decodePacket : decodeFromServer)
    let at = 0
    try {
        while (at < data.length) {
            const n = 1 + int(Math.max(1, data.length - at))
            a.push(data.subarray(at, at + n))
            at += n
            let last: unknown
            for (let k = 0; k < 64; k++) {
                try {
                    if (a.next() === undefined) break
                } catch (e) {
                    if (!(e instanceof MqttProtocolError)) throw e
                    // a header error poisons the assembler (it rethrows the same error); a body error does not
                    if (e === last) return
                    last = e
                }
            }
        }
    } catch (e) {
        if (!(e instanceof MqttProtocolError)) report("assembler threw a non-protocol error", data, e)
    }
}

const t0 = process.hrtime.bigint()
for (let i = 0; i < args.count; i++) {
    const data = input()
    checkDecode(data)
    checkAssembler(data, int(2) === 0 ? undefined : 32)
    if ((i & 0x3ffff) === 0 && i > 0) process.stdout.write(`  ${i} inputs...\n`)
}
finish("fuzz-mqtt", args, t0, failures.count)
