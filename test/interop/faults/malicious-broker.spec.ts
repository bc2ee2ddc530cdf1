// A malicious broker: the device's connections are switched (through the proxy) to a server that
// answers CONNECT with malformed, oversized or out-of-place packets, one attack per connection.
// For each one the client must close the link itself with a clear error, throw nothing, and keep
// reconnecting; once the real broker is back, every QoS 1/2 message published meanwhile arrives.
import { afterEach, expect, test } from "vitest"
import { expectDelivery, startRig, until, type Rig } from "./harness"
import { afterMarker } from "../../helpers/wait"
import { MALFORMED, ODD_BUT_LEGAL, startMaliciousBroker, type MaliciousBroker } from "../../helpers/malicious-broker"

let rig: Rig | undefined
let evil: MaliciousBroker | undefined
const uncaught: unknown[] = []
const onUncaught = (e: unknown) => uncaught.push(e)
process.on("uncaughtException", onUncaught)
process.on("unhandledRejection", onUncaught)

afterEach(async () => {
    await rig?.stop()
    await evil?.close()
    rig = undefined
    evil = undefined
})

test(`${MALFORMED.length} malformed/oversized attacks: each closed by the client with a clear error, then back to the real broker with nothing lost`, async () => {
    // 64 KiB: what a board would set (its heap is 64 KB); the oversized attack declares 256 MB.
    rig = await startRig({ device: { maxPacketSize: 65536, reconnectPeriod: 50, reconnectPeriodMax: 400 } })
    const r = rig
    const bad = await startMaliciousBroker(MALFORMED, { once: true })
    evil = bad
    let errorsBefore = 0
    await r.traffic(100, 40, async () => {
        errorsBefore = r.log.errors.length
        r.proxy.setUpstream(bad.port)
        await r.proxy.resetNow()
        await until(
            () => bad.connections.length === MALFORMED.length && bad.connections.every((c) => c.closedAfterMs !== undefined),
            30_000,
            "every attack delivered and the link closed"
        )
        r.proxy.setUpstream(r.broker.port)
        await r.proxy.resetNow()
        await until(() => r.device.isConnected(), 10_000, "the device back on the real broker")
    })
    await r.settle(20_000)
    const conns = bad.connections
    const errors = r.log.errors.slice(errorsBefore)
    const table = conns.map((c, i) => ({
        attack: c.attack,
        closedAfterMs: c.closedAfterMs,
        error: errors[i] ? `${errors[i].code}: ${errors[i].message}` : "(none)",
    }))
    r.report("malicious broker", { attacks: conns.length })
    for (const row of table) console.log(`  ${String(row.closedAfterMs).padStart(5)} ms  ${row.attack}  ->  ${row.error}`)

    // Every connection to the attacker was closed by the client (the attacker never closes), on the
    // bad packet itself: before the client's first timer (connect timeout, or keepalive plus its
    // PINGRESP wait) could have ended the link. The oversized PUBLISH is the exception: it is legal
    // MQTT, so the client counts its bytes through unstored (a client that refused it would meet it
    // again on every reconnect of a persistent session); the attacker stops sending mid-packet, and
    // that dead air is found by keepalive (PING_TIMEOUT, asserted below).
    const OVERSIZED = "oversized PUBLISH: declares 268,435,455 bytes and streams them"
    const firstTimerMs = Math.min(r.options.connectTimeout!, 1.5 * r.options.keepalive * 1000)
    for (const c of conns) if (c.attack !== OVERSIZED) expect(c.closedAfterMs! / firstTimerMs, c.attack).toBeLessThan(1)
    // One clear error per attack, naming what was wrong.
    expect(errors.length).toBe(MALFORMED.length)
    for (const e of errors) {
        expect(["PROTOCOL_VIOLATION", "CONNECTION_REFUSED", "PING_TIMEOUT"]).toContain(e.code)
        expect(e.message.length).toBeGreaterThan(20)
    }
    // Only the stalled oversized PUBLISH ends by keepalive; every malformed packet is a violation.
    expect(errors.filter((e) => e.code === "PING_TIMEOUT").length).toBe(1)
    expect(errors[conns.findIndex((c) => c.attack === OVERSIZED)].code).toBe("PING_TIMEOUT")
    expect(uncaught).toEqual([])
    expectDelivery(r)
}, 60_000)

test(`${ODD_BUT_LEGAL.length} well-formed surprises (acks for unknown ids, unsolicited PINGRESP, unsubscribed topic) are tolerated`, async () => {
    rig = await startRig({ device: { reconnectPeriod: 50, reconnectPeriodMax: 200 } })
    const r = rig
    const odd = await startMaliciousBroker(ODD_BUT_LEGAL, { once: true })
    evil = odd
    r.proxy.setUpstream(odd.port)
    const errorsBefore = r.log.errors.length
    for (let i = 0; i < ODD_BUT_LEGAL.length; i++) {
        const received = r.device.stats().packetsReceived
        await r.proxy.resetNow()
        await until(() => odd.connections.length > i && r.device.isConnected(), 5000, `connection ${i} to the odd broker`)
        await until(() => r.device.stats().packetsReceived >= received + 2, 5000, `CONNACK and the surprise on connection ${i}`)
        // The client answers the surprise (or not) while reading it, before anything it sends
        // later: a marker publish reaching the odd broker means the client went past it.
        const marker = Buffer.from(`marker/odd/${i}`)
        await afterMarker(
            () => r.device.publishNoWait(`marker/odd/${i}`, "m", { qos: 0 }),
            () => odd.connections[i].received.includes(marker),
            5000,
            `marker/odd/${i} at the odd broker`
        )
        // Still open after that: the client did not drop the link.
        expect(odd.connections[i].closedAfterMs, odd.connections[i].attack).toBeUndefined()
    }
    r.proxy.setUpstream(r.broker.port)
    await r.proxy.resetNow()
    await until(() => r.device.isConnected(), 5000, "back on the real broker")
    r.report("odd but legal packets", { attacks: ODD_BUT_LEGAL.length })
    expect(r.log.errors.slice(errorsBefore).filter((e) => e.code === "PROTOCOL_VIOLATION")).toEqual([])
    // 4.3.3: a PUBREL for an unknown id is still answered with PUBCOMP for that id.
    const pubrelConn = odd.connections[ODD_BUT_LEGAL.findIndex((a) => a.name.startsWith("PUBREL"))]
    expect(pubrelConn.received.includes(Buffer.from([0x70, 0x02, 0x12, 0x36]))).toBe(true)
    expect(uncaught).toEqual([])
}, 60_000)
