// What a Mosquitto serving boards must bound for them (docs/faults.md, "Memory"). A board's runtime
// copies every byte the broker sends into its 64 KB heap as it arrives, and MQTT 3.1.1 gives the
// receiver no window of its own, so only the broker can keep a burst of requests from arriving at
// once. Both lines are broker-wide in Mosquitto 2.0 (every MQTT 3.1.1 client gets that window):
// - max_inflight_messages 2: at most two QoS 1 messages unacknowledged per client, which is what the
//   board's request queue holds at the largest size (QUEUE_MAX_CHARS, two of 1,024 B), so none is
//   dropped; the board holds its PUBACKs while requests wait, so the rest of a burst waits in the
//   broker. (max_inflight_bytes 1024 still let ten 1 KB messages through in Mosquitto 2.0.11.)
// - upgrade_outgoing_qos: a QoS 0 publish reaches a QoS 1 subscription (the board's rx) at QoS 1, so
//   it counts in that window too; without it a burst of QoS 0 requests arrives all at once.
// Measured with a subscriber that never acknowledges, 20 publishes of 1 KB: 16,565 B (QoS 1) and
// 20,665 B (QoS 0) arrived with the defaults, 2,075 B at either QoS with these lines.
export const BOARD_BROKER_LIMITS = ["max_inflight_messages 2", "upgrade_outgoing_qos true"]
