// Known-good packets with their bytes, worked out by hand from the MQTT 3.1.1 spec (section 3).
import { Packet, PacketType } from "../../../src/mqtt/codec/packets"

export interface Vector {
    name: string
    packet: Packet
    hex: string
}

function bytes(n: number, v: number): Buffer {
    const b = Buffer.alloc(n)
    for (let i = 0; i < n; i++) b[i] = v
    return b
}

function hexRun(n: number, pair: string): string {
    const parts: string[] = []
    for (let i = 0; i < n; i++) parts.push(pair)
    return parts.join("")
}

export const VECTORS: Vector[] = [
    {
        name: "CONNECT minimal (client id abc, clean, keepalive 60)",
        packet: { type: PacketType.CONNECT, clientId: "abc", cleanSession: true, keepalive: 60 },
        hex: "10 0f 00 04 4d 51 54 54 04 02 00 3c 00 03 61 62 63",
    },
    {
        name: "CONNECT with will (QoS 2, retain), user name and password, no clean session",
        packet: {
            type: PacketType.CONNECT,
            clientId: "c",
            cleanSession: false,
            keepalive: 0x1234,
            username: "u",
            password: Buffer.from("p"),
            will: { topic: "w", payload: Buffer.from("x"), qos: 2, retain: true },
        },
        hex: "10 19 00 04 4d 51 54 54 04 f4 12 34 00 01 63 00 01 77 00 01 78 00 01 75 00 01 70",
    },
    {
        name: "CONNECT with empty client id and user name only",
        packet: { type: PacketType.CONNECT, clientId: "", cleanSession: true, keepalive: 65535, username: "" },
        hex: "10 0e 00 04 4d 51 54 54 04 82 ff ff 00 00 00 00",
    },
    {
        name: "CONNACK session present",
        packet: { type: PacketType.CONNACK, sessionPresent: true, returnCode: 0 },
        hex: "20 02 01 00",
    },
    {
        name: "CONNACK not authorized",
        packet: { type: PacketType.CONNACK, sessionPresent: false, returnCode: 5 },
        hex: "20 02 00 05",
    },
    {
        name: "PUBLISH QoS 0",
        packet: { type: PacketType.PUBLISH, topic: "a/b", payload: Buffer.from("hi"), qos: 0, retain: false, dup: false },
        hex: "30 07 00 03 61 2f 62 68 69",
    },
    {
        name: "PUBLISH QoS 1 retain dup",
        packet: {
            type: PacketType.PUBLISH,
            topic: "a/b",
            payload: Buffer.from("hi"),
            qos: 1,
            retain: true,
            dup: true,
            packetId: 10,
        },
        hex: "3b 09 00 03 61 2f 62 00 0a 68 69",
    },
    {
        name: "PUBLISH QoS 2 empty payload, packet id 65535",
        packet: { type: PacketType.PUBLISH, topic: "a/b", payload: Buffer.alloc(0), qos: 2, retain: false, dup: false, packetId: 65535 },
        hex: "34 07 00 03 61 2f 62 ff ff",
    },
    {
        name: "PUBLISH with a non-ASCII topic (2- and 4-byte UTF-8)",
        packet: { type: PacketType.PUBLISH, topic: "é/😀", payload: Buffer.alloc(0), qos: 0, retain: false, dup: false },
        hex: "30 09 00 07 c3 a9 2f f0 9f 98 80",
    },
    {
        name: "PUBLISH with a 200-byte payload (2-byte remaining length)",
        packet: { type: PacketType.PUBLISH, topic: "t", payload: bytes(200, 0xaa), qos: 0, retain: false, dup: false },
        hex: "30 cb 01 00 01 74" + hexRun(200, "aa"),
    },
    { name: "PUBACK", packet: { type: PacketType.PUBACK, packetId: 1 }, hex: "40 02 00 01" },
    { name: "PUBREC", packet: { type: PacketType.PUBREC, packetId: 0x1234 }, hex: "50 02 12 34" },
    { name: "PUBREL (flags 0010)", packet: { type: PacketType.PUBREL, packetId: 2 }, hex: "62 02 00 02" },
    { name: "PUBCOMP", packet: { type: PacketType.PUBCOMP, packetId: 65535 }, hex: "70 02 ff ff" },
    {
        name: "SUBSCRIBE two filters (flags 0010)",
        packet: {
            type: PacketType.SUBSCRIBE,
            packetId: 1,
            subscriptions: [
                { filter: "a/#", qos: 0 },
                { filter: "+", qos: 2 },
            ],
        },
        hex: "82 0c 00 01 00 03 61 2f 23 00 00 01 2b 02",
    },
    {
        name: "SUBACK every return code",
        packet: { type: PacketType.SUBACK, packetId: 1, returnCodes: [0, 1, 2, 0x80] },
        hex: "90 06 00 01 00 01 02 80",
    },
    {
        name: "UNSUBSCRIBE two filters (flags 0010)",
        packet: { type: PacketType.UNSUBSCRIBE, packetId: 5, filters: ["a", "b/c"] },
        hex: "a2 0a 00 05 00 01 61 00 03 62 2f 63",
    },
    { name: "UNSUBACK", packet: { type: PacketType.UNSUBACK, packetId: 5 }, hex: "b0 02 00 05" },
    { name: "PINGREQ", packet: { type: PacketType.PINGREQ }, hex: "c0 00" },
    { name: "PINGRESP", packet: { type: PacketType.PINGRESP }, hex: "d0 00" },
    { name: "DISCONNECT", packet: { type: PacketType.DISCONNECT }, hex: "e0 00" },
]
