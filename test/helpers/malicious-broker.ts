// A hostile "broker" on loopback: it waits for the client's CONNECT and answers with malformed,
// oversized or out-of-place MQTT 3.1.1 packets, one attack per connection (in order, cycling).
// Packets are hand-made bytes, not our codec's output, so a codec bug cannot hide an attack.
// It never closes first: the client must notice and close by itself; every connection's fate is recorded.
import { createServer, type Server, type Socket } from "node:net"

export interface Attack {
    name: string
    /** What the client must do with it: close the link, or tolerate it and stay connected. */
    expect: "close" | "tolerate"
    /** Writes the attack on the socket (after the CONNECT arrived). */
    send(s: Socket): void
}

const CONNACK_OK = [0x20, 0x02, 0x00, 0x00]

/** [0x30 | flags] PUBLISH with a 2-byte-length topic given as raw bytes. */
function publish(flags: number, topic: number[], rest: number[]): number[] {
    const body = [topic.length >> 8, topic.length & 255, ...topic, ...rest]
    return [0x30 | flags, body.length, ...body]
}
const ascii = (s: string) => [...Buffer.from(s)]
const bytes =
    (...parts: number[][]) =>
    (s: Socket) =>
        s.write(Buffer.from(parts.flat()))

/** Malformed input: the MQTT 3.1.1 rule each one breaks is in its name. A correct client closes the connection. */
export const MALFORMED: Attack[] = [
    { name: "reserved packet type 0 (2.2.1)", expect: "close", send: bytes(CONNACK_OK, [0x00, 0x00]) },
    { name: "reserved packet type 15 (2.2.1)", expect: "close", send: bytes(CONNACK_OK, [0xf0, 0x00]) },
    { name: "CONNACK reserved flag bits set (3.2.2.1)", expect: "close", send: bytes([0x20, 0x02, 0xfe, 0x00]) },
    { name: "CONNACK fixed-header flags set (2.2.2)", expect: "close", send: bytes([0x21, 0x02, 0x00, 0x00]) },
    { name: "CONNACK return code 9 (3.2.2.3)", expect: "close", send: bytes([0x20, 0x02, 0x00, 0x09]) },
    { name: "CONNACK remaining length 3 (3.2.1)", expect: "close", send: bytes([0x20, 0x03, 0x00, 0x00, 0x00]) },
    { name: "PUBLISH before CONNACK (3.2.0)", expect: "close", send: bytes(publish(0, ascii("a"), ascii("x"))) },
    { name: "remaining length varint of 5 bytes (2.2.3)", expect: "close", send: bytes(CONNACK_OK, [0x30, 0xff, 0xff, 0xff, 0xff, 0x01]) },
    { name: "PUBLISH QoS 3 (3.3.1.2)", expect: "close", send: bytes(CONNACK_OK, publish(0x06, ascii("a"), [0, 1, ...ascii("x")])) },
    { name: "PUBLISH QoS 0 with DUP set (3.3.1.1)", expect: "close", send: bytes(CONNACK_OK, publish(0x08, ascii("a"), ascii("x"))) },
    {
        name: "PUBLISH QoS 1 with packet id 0 (2.3.1)",
        expect: "close",
        send: bytes(CONNACK_OK, publish(0x02, ascii("a"), [0, 0, ...ascii("x")])),
    },
    { name: "PUBLISH topic with wildcard (3.3.2.1)", expect: "close", send: bytes(CONNACK_OK, publish(0, ascii("a/#"), ascii("x"))) },
    { name: "PUBLISH topic with + wildcard (3.3.2.1)", expect: "close", send: bytes(CONNACK_OK, publish(0, ascii("a/+/b"), ascii("x"))) },
    { name: "PUBLISH topic invalid UTF-8 (1.5.3)", expect: "close", send: bytes(CONNACK_OK, publish(0, [0x61, 0xc3, 0x28], ascii("x"))) },
    { name: "PUBLISH topic with U+0000 (1.5.3-2)", expect: "close", send: bytes(CONNACK_OK, publish(0, [0x61, 0x00, 0x62], ascii("x"))) },
    {
        name: "PUBLISH topic UTF-16 surrogate (1.5.3-1)",
        expect: "close",
        send: bytes(CONNACK_OK, publish(0, [0xed, 0xa0, 0x80], ascii("x"))),
    },
    { name: "PUBLISH empty topic (4.7.3)", expect: "close", send: bytes(CONNACK_OK, publish(0, [], ascii("x"))) },
    { name: "PUBLISH topic length beyond packet (1.5.3)", expect: "close", send: bytes(CONNACK_OK, [0x30, 0x03, 0x00, 0x10, 0x61]) },
    { name: "PUBACK remaining length 3 (3.4.1)", expect: "close", send: bytes(CONNACK_OK, [0x40, 0x03, 0x00, 0x01, 0x00]) },
    { name: "PUBREL flags 0000 instead of 0010 (3.6.1)", expect: "close", send: bytes(CONNACK_OK, [0x60, 0x02, 0x00, 0x01]) },
    { name: "PINGRESP with a payload byte (3.13.1)", expect: "close", send: bytes(CONNACK_OK, [0xd0, 0x01, 0x00]) },
    { name: "SUBACK return code 3 (3.9.3)", expect: "close", send: bytes(CONNACK_OK, [0x90, 0x03, 0x00, 0x01, 0x03]) },
    { name: "server sends CONNECT (client-to-server only)", expect: "close", send: bytes(CONNACK_OK, [0x10, 0x02, 0x00, 0x00]) },
    {
        name: "server sends SUBSCRIBE (client-to-server only)",
        expect: "close",
        send: bytes(CONNACK_OK, [0x82, 0x06, 0x00, 0x01, 0x00, 0x01, 0x61, 0x00]),
    },
    { name: "server sends PINGREQ (client-to-server only)", expect: "close", send: bytes(CONNACK_OK, [0xc0, 0x00]) },
    { name: "second CONNACK (3.2.0)", expect: "close", send: bytes(CONNACK_OK, CONNACK_OK) },
    {
        name: "oversized PUBLISH: declares 268,435,455 bytes and streams them",
        expect: "close",
        send: (s) => {
            // Declares the largest legal packet, then sends garbage until the client gives up;
            // a client that buffers it all would need 256 MB.
            s.write(Buffer.from([...CONNACK_OK, 0x30, 0xff, 0xff, 0xff, 0x7f, 0x00, 0x01, 0x61]))
            const junk = Buffer.alloc(64 * 1024, 0x78)
            let sent = 0
            const more = (): void => {
                while (!s.destroyed && sent < 64 * 1024 * 1024) {
                    sent += junk.length
                    if (!s.write(junk)) return void s.once("drain", more)
                }
            }
            more()
        },
    },
    {
        name: "random garbage after CONNACK",
        expect: "close",
        send: (s) => {
            // Deterministic junk (fixed LCG) so a failure is reproducible; first byte 0x00 (reserved type).
            const b = Buffer.alloc(4096)
            let x = 12345
            for (let i = 0; i < b.length; i++) {
                x = (x * 1103515245 + 12345) & 0x7fffffff
                b[i] = x >> 16
            }
            b[0] = 0x00
            s.write(Buffer.concat([Buffer.from(CONNACK_OK), b]))
        },
    },
]

/** Well-formed but unexpected packets a robust client ignores (or answers) without dropping the link. */
export const ODD_BUT_LEGAL: Attack[] = [
    { name: "PUBACK for a packet id never used", expect: "tolerate", send: bytes(CONNACK_OK, [0x40, 0x02, 0x12, 0x34]) },
    { name: "PUBREC for a packet id never used", expect: "tolerate", send: bytes(CONNACK_OK, [0x50, 0x02, 0x12, 0x35]) },
    { name: "PUBREL for a packet id never used (answer PUBCOMP)", expect: "tolerate", send: bytes(CONNACK_OK, [0x62, 0x02, 0x12, 0x36]) },
    { name: "unsolicited PINGRESP", expect: "tolerate", send: bytes(CONNACK_OK, [0xd0, 0x00]) },
    {
        name: "PUBLISH on a topic never subscribed",
        expect: "tolerate",
        send: bytes(CONNACK_OK, publish(0, ascii("nobody/asked"), ascii("x"))),
    },
]

export interface ConnectionRecord {
    attack: string
    expect: "close" | "tolerate"
    /** Bytes the client sent (CONNECT and anything after). */
    received: Buffer
    /** ms from sending the attack until the client closed; undefined while still open. */
    closedAfterMs?: number
}

export interface MaliciousBroker {
    port: number
    connections: ConnectionRecord[]
    close(): Promise<void>
}

/**
 * Starts the attacker. With `once`, each attack is used for one connection only and later
 * connections are closed at once without a byte (so a test can count exactly one error per attack).
 */
export async function startMaliciousBroker(attacks: Attack[], opts: { once?: boolean } = {}): Promise<MaliciousBroker> {
    const connections: ConnectionRecord[] = []
    const sockets = new Set<Socket>()
    const server: Server = createServer((s) => {
        if (opts.once && connections.length >= attacks.length) {
            s.on("error", () => {})
            s.destroy()
            return
        }
        sockets.add(s)
        const attack = attacks[connections.length % attacks.length]
        const rec: ConnectionRecord = { attack: attack.name, expect: attack.expect, received: Buffer.alloc(0) }
        connections.push(rec)
        let sentAt = 0
        s.on("error", () => {})
        s.on("data", (d: Buffer) => {
            rec.received = Buffer.concat([rec.received, d])
            if (!sentAt) {
                sentAt = Date.now()
                attack.send(s)
            }
        })
        s.on("close", () => {
            sockets.delete(s)
            rec.closedAfterMs = sentAt ? Date.now() - sentAt : 0
        })
    })
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()))
    const addr = server.address()
    return {
        port: typeof addr === "object" && addr ? addr.port : 0,
        connections,
        async close() {
            for (const s of sockets) s.destroy()
            await new Promise<void>((r) => server.close(() => r()))
        },
    }
}
