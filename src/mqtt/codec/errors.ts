// The one error type the MQTT codec throws for bad input or for a packet it refuses to encode.
//
// `rule` names the broken rule so a caller (or a test) can act on it without parsing text:
// - "MQTT-x.y.z-n": a normative statement of OASIS MQTT 3.1.1 (e.g. "MQTT-3.3.2-2").
// - "MQTT-x.y.z":   a rule the spec states in section x.y.z without a normative id
//                   (e.g. "MQTT-2.2.3" remaining length, "MQTT-3.4.1" fixed PUBACK length).
// - "max-packet-size": not a spec rule; the receiver's configured limit (FrameAssembler).
// After any of these the connection must be closed (MQTT-4.8.0-1); nothing is recoverable.

export class MqttProtocolError extends Error {
    rule: string
    constructor(rule: string, message: string) {
        super(rule + ": " + message)
        this.name = "MqttProtocolError"
        this.rule = rule
    }
}

/**
 * Throws MqttProtocolError(rule, message). The codec's checks call this instead of writing
 * `throw new MqttProtocolError(...)`: a call is a few bytes less bytecode per check on the board.
 */
export function fail(rule: string, message: string): never {
    throw new MqttProtocolError(rule, message)
}

/** The rule of a thrown MqttProtocolError; "" for anything else. Handy in tests and catch blocks. */
export function protocolRuleOf(e: unknown): string {
    if (e instanceof MqttProtocolError) return (e as MqttProtocolError).rule
    return ""
}
