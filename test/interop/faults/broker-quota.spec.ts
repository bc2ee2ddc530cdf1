// What Mosquitto does with a QoS 1 PUBLISH from an MQTT 3.1.1 client that already has as many QoS 2
// messages unreleased as the broker's incoming quota (max_inflight_messages, 20 by default): it
// answers with a PUBACK (on 3.1.1 a PUBACK carries no reason code, so the sender reads "taken") and
// drops the message. This is the loss broker-restart.spec.ts used to show when npm mqtt flushed its
// offline queue in one burst (docs/faults.md, "Broker restart"); the rig's peer speaks MQTT 5 since,
// where the same answer carries reason 0x97. The publisher here writes raw packets so that it can
// hold its PUBRELs back; one quota below the limit is the control.
import { connect, type Socket } from "node:net"
import mqtt from "mqtt"
import { afterEach, expect, test } from "vitest"
import { encodeAck, encodeConnect, encodePublish } from "../../../src/mqtt/codec/encode"
import { PacketType } from "../../../src/mqtt/codec/packets"
import { startMosquitto, type Mosquitto } from "../../helpers/mosquitto"
import { until } from "../../helpers/wait"

const BROKER_QUOTA = 20

let broker: Mosquitto | undefined
const cleanups: (() => void | Promise<void>)[] = []
afterEach(async () => {
    for (const c of cleanups.splice(0)) await c()
    await broker?.stop()
    broker = undefined
})

/** A 3.1.1 publisher on a raw socket: it answers nothing by itself, so PUBRELs go only when asked. */
async function rawPublisher(port: number, clientId: string) {
    const sock: Socket = connect(port, "127.0.0.1")
    cleanups.push(() => void sock.destroy())
    const got: { type: number; id: number }[] = []
    let pending = Buffer.alloc(0)
    sock.on("data", (d: Buffer) => {
        pending = Buffer.concat([pending, d])
        // every packet the broker sends this client (CONNACK, PUBACK, PUBREC, PUBCOMP) is 4 bytes
        while (pending.length >= 4) {
            got.push({ type: pending[0] >> 4, id: pending.readUInt16BE(2) })
            pending = pending.subarray(4)
        }
    })
    await new Promise<void>((r) => sock.once("connect", () => r()))
    sock.write(encodeConnect({ type: PacketType.CONNECT, clientId, cleanSession: true, keepalive: 60 }))
    await until(() => got.some((p) => p.type === PacketType.CONNACK), 5000, "CONNACK")
    const count = (type: number) => got.filter((p) => p.type === type).length
    return {
        publish: (topic: string, text: string, qos: number, id: number) =>
            sock.write(encodePublish(topic, Buffer.from(text), qos, false, false, id)),
        pubrel: (id: number) => sock.write(encodeAck(PacketType.PUBREL, id)),
        acked: (type: number, id: number) => got.some((p) => p.type === type && p.id === id),
        count,
    }
}

async function run(heldQos2: number): Promise<{ acked: boolean; delivered: string[] }> {
    broker = await startMosquitto({ persistence: false })
    const topic = `quota/${heldQos2}`
    const delivered: string[] = []
    const sub = mqtt.connect(broker.url, { protocolVersion: 4, clientId: `quota-sub-${heldQos2}`, clean: true })
    cleanups.push(() => sub.endAsync(true))
    sub.on("message", (_t, payload) => delivered.push(payload.toString()))
    await new Promise<void>((r) => sub.once("connect", () => r()))
    await sub.subscribeAsync(`${topic}/#`, { qos: 1 })

    const pub = await rawPublisher(broker.port, `quota-pub-${heldQos2}`)
    for (let id = 1; id <= heldQos2; id++) pub.publish(`${topic}/q2`, `q2-${id}`, 2, id)
    await until(() => pub.count(PacketType.PUBREC) === heldQos2, 5000, `${heldQos2} PUBRECs`)
    pub.publish(`${topic}/q1`, "probe", 1, 1000)
    await until(() => pub.acked(PacketType.PUBACK, 1000), 5000, "the probe's PUBACK")
    // Release the QoS 2 messages, then a second QoS 1 message: it is delivered after the probe, had
    // the probe been kept.
    for (let id = 1; id <= heldQos2; id++) pub.pubrel(id)
    await until(() => pub.count(PacketType.PUBCOMP) === heldQos2, 5000, `${heldQos2} PUBCOMPs`)
    pub.publish(`${topic}/q1`, "marker", 1, 1001)
    await until(() => delivered.includes("marker"), 5000, "the marker at the subscriber")
    return { acked: pub.acked(PacketType.PUBACK, 1000), delivered }
}

test(`Mosquitto 3.1.1: with ${BROKER_QUOTA} QoS 2 messages unreleased, a QoS 1 PUBLISH is PUBACKed and dropped`, async () => {
    const { acked, delivered } = await run(BROKER_QUOTA)
    expect(acked).toBe(true)
    expect(delivered).not.toContain("probe")
    expect(delivered.filter((d) => d.startsWith("q2-"))).toHaveLength(BROKER_QUOTA)
}, 30_000)

test(`control: with ${BROKER_QUOTA - 1} unreleased, the same QoS 1 PUBLISH is delivered`, async () => {
    const { acked, delivered } = await run(BROKER_QUOTA - 1)
    expect(acked).toBe(true)
    expect(delivered).toContain("probe")
    expect(delivered.indexOf("probe")).toBeLessThan(delivered.indexOf("marker"))
}, 30_000)
