// MQTT 3.1.1 control packets as plain data (OASIS mqtt-v3.1.1, section 3).
// The codec turns these into bytes and back; the session never sees bytes.

export const enum PacketType {
    CONNECT = 1,
    CONNACK = 2,
    PUBLISH = 3,
    PUBACK = 4,
    PUBREC = 5,
    PUBREL = 6,
    PUBCOMP = 7,
    SUBSCRIBE = 8,
    SUBACK = 9,
    UNSUBSCRIBE = 10,
    UNSUBACK = 11,
    PINGREQ = 12,
    PINGRESP = 13,
    DISCONNECT = 14,
}

export type QoS = 0 | 1 | 2

export interface Will {
    topic: string
    payload: Buffer
    qos: QoS
    retain: boolean
}

/** 3.1 */
export interface ConnectPacket {
    type: PacketType.CONNECT
    clientId: string
    cleanSession: boolean
    /** Seconds, 0..65535; 0 turns keepalive off. */
    keepalive: number
    username?: string
    password?: Buffer
    will?: Will
}

/** 3.2.2.3 return codes. */
export const enum ConnectReturnCode {
    ACCEPTED = 0,
    UNACCEPTABLE_PROTOCOL_VERSION = 1,
    IDENTIFIER_REJECTED = 2,
    SERVER_UNAVAILABLE = 3,
    BAD_USERNAME_OR_PASSWORD = 4,
    NOT_AUTHORIZED = 5,
}

/** 3.2 */
export interface ConnackPacket {
    type: PacketType.CONNACK
    sessionPresent: boolean
    returnCode: number
}

/** 3.3; packetId is present exactly when qos > 0. */
export interface PublishPacket {
    type: PacketType.PUBLISH
    topic: string
    payload: Buffer
    qos: QoS
    retain: boolean
    dup: boolean
    packetId?: number
    /**
     * Set by FrameAssembler (to the whole frame's size) for a PUBLISH over its maxPacketSize: the
     * payload was counted through unstored and is undefined. The session acknowledges such a
     * packet but does not deliver it.
     */
    oversize?: number
}

/** 3.4 PUBACK, 3.5 PUBREC, 3.6 PUBREL, 3.7 PUBCOMP, 3.11 UNSUBACK: a packet id and nothing else. */
export interface PacketIdOnlyPacket {
    type: PacketType.PUBACK | PacketType.PUBREC | PacketType.PUBREL | PacketType.PUBCOMP | PacketType.UNSUBACK
    packetId: number
}

export interface Subscription {
    filter: string
    qos: QoS
}

/** 3.8 */
export interface SubscribePacket {
    type: PacketType.SUBSCRIBE
    packetId: number
    subscriptions: Subscription[]
}

/** 3.9.3: 0, 1, 2 = granted QoS, 0x80 = failure. */
export const SUBACK_FAILURE = 0x80

/** 3.9 */
export interface SubackPacket {
    type: PacketType.SUBACK
    packetId: number
    returnCodes: number[]
}

/** 3.10 */
export interface UnsubscribePacket {
    type: PacketType.UNSUBSCRIBE
    packetId: number
    filters: string[]
}

/** 3.12 PINGREQ, 3.13 PINGRESP, 3.14 DISCONNECT: a fixed header only. */
export interface HeaderOnlyPacket {
    type: PacketType.PINGREQ | PacketType.PINGRESP | PacketType.DISCONNECT
}

export type Packet =
    | ConnectPacket
    | ConnackPacket
    | PublishPacket
    | PacketIdOnlyPacket
    | SubscribePacket
    | SubackPacket
    | UnsubscribePacket
    | HeaderOnlyPacket
