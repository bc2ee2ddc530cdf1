// Errors the MQTT client reports (the codec's own MqttProtocolError covers malformed bytes).
// One class with a stable `code` string, so callers can branch without instanceof chains and
// the same check works in DeviceScript and Node.

export const enum ClientErrorCode {
    /** CONNACK with a non-zero return code (3.2.2.3); returnCode says which. */
    CONNECTION_REFUSED = "CONNECTION_REFUSED",
    /** No CONNACK within connectTimeout after the stream was opened. */
    CONNECT_TIMEOUT = "CONNECT_TIMEOUT",
    /** No PINGRESP within pingTimeout after PINGREQ (3.1.2.10): the link is taken as half-open. */
    PING_TIMEOUT = "PING_TIMEOUT",
    /** The broker broke the protocol (malformed bytes or a packet it must not send). */
    PROTOCOL_VIOLATION = "PROTOCOL_VIOLATION",
    /** SUBACK return code 0x80 for at least one filter (3.9.3). */
    SUBSCRIBE_FAILED = "SUBSCRIBE_FAILED",
    /** The offline outbox is full of QoS 1/2 messages; the new QoS 1/2 message was not queued. */
    OUTBOX_FULL = "OUTBOX_FULL",
    /** A queued QoS 0 message was dropped to make room (outbox policy). */
    QOS0_DROPPED = "QOS0_DROPPED",
    /** end() was called before the operation completed. */
    CLIENT_ENDED = "CLIENT_ENDED",
    /** Bad arguments (topic, qos, options). */
    INVALID_ARGUMENT = "INVALID_ARGUMENT",
}

export class MqttClientError extends Error {
    code: ClientErrorCode
    /** CONNACK return code for CONNECTION_REFUSED, otherwise -1. */
    returnCode: number
    constructor(code: ClientErrorCode, message: string, returnCode?: number) {
        super(message)
        this.name = "MqttClientError"
        this.code = code
        this.returnCode = returnCode ?? -1
    }
}

/** INVALID_ARGUMENT; the message names the argument. */
export function invalid(message: string): MqttClientError {
    return new MqttClientError(ClientErrorCode.INVALID_ARGUMENT, message)
}

/**
 * The one type check of the public API's arguments, done before anything is queued or allocated:
 * throws INVALID_ARGUMENT ("<name> must be <types> (got <type>)") unless v's type is named in
 * `types`, a phrase such as "a function or undefined" (a Buffer's type is "Buffer", not "object").
 */
export function checkArg(v: any, types: string, name: string): void {
    const t = v instanceof Buffer ? "Buffer" : typeof v
    if (types.indexOf(t) < 0) throw invalid(name + " must be " + types + " (got " + t + ")")
}

/** 3.2.2.3 Table 3.1, return codes 1..5, as one string (an array would be built by code at start-up on the board). */
const CONNACK_REFUSALS =
    "unacceptable protocol version: the broker does not speak MQTT 3.1.1|identifier rejected: the broker does not allow this client id|" +
    "server unavailable: the MQTT service is down|bad user name or password|not authorized"

export function connectionRefused(returnCode: number): MqttClientError {
    const why = returnCode >= 1 && returnCode <= 5 ? CONNACK_REFUSALS.split("|")[returnCode - 1] : "reserved return code"
    return new MqttClientError(ClientErrorCode.CONNECTION_REFUSED, "connection refused (CONNACK " + returnCode + "): " + why, returnCode)
}

/** The code of a thrown MqttClientError; "" for anything else. */
export function clientErrorCode(e: unknown): ClientErrorCode | "" {
    if (e instanceof MqttClientError) return (e as MqttClientError).code
    return ""
}
