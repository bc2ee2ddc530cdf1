// A board's "offline" status (its MQTT will) is confirmed before the gateway believes it
// (src/host/gateway/mqtt-side.ts, confirmOffline): on a clustered broker the will of a lost
// connection can arrive after the board's "online" from its new one. Real Mosquitto, boards on
// the MQTT binding, libcoap's coap-client-notls through the gateway's CoAP front.
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { execFileSync } from "node:child_process"
import { startMosquitto, Mosquitto } from "../../helpers/mosquitto"
import { startGateway, Gateway } from "../../../src/host/gateway/gateway"
import { coapClient } from "../../interop/coap-tcp/libcoap"
import { mqttBoard, slimBoard } from "../../interop/coap-tcp/sim-board"
import { until } from "../../helpers/wait"

let mosq: Mosquitto
let gw: Gateway
const stops: (() => void)[] = []

beforeAll(async () => {
    mosq = await startMosquitto({ persistence: false })
    gw = await startGateway({
        coap: { port: 0 },
        tcp: false,
        http: false,
        // no re-reads of the retained statuses (test/node/gateway/status-reread.spec.ts): each would
        // deliver late1's retained offline again and start one more check, and these tests count them
        mqtt: { url: mosq.url, requestTimeoutMs: 2000, discoveryRetryMs: 500, statusRereadMs: 0 },
    })
})

afterAll(async () => {
    for (const s of stops) s()
    await gw?.stop()
    await mosq?.stop()
})

/** Publishes a retained status as a board (or its will) would, through mosquitto_pub. */
function status(id: string, state: string): void {
    execFileSync("mosquitto_pub", [
        "-h",
        mosq.host,
        "-p",
        String(mosq.port),
        "-q",
        "1",
        "-r",
        "-t",
        `devices/${id}/status`,
        "-m",
        JSON.stringify({ state }),
    ])
}

const uri = (id: string, path: string) => `coap://127.0.0.1:${gw.ports.coap}/${id}${path}`

function knows(id: string): boolean {
    const b = gw.registry.get(id)
    return !!b && b.online && b.links.length > 0
}

describe("a board's offline status is confirmed before it is believed", () => {
    test("a late offline for a connected board is disproved: it stays online and answers", async () => {
        const board = slimBoard("late1", mosq.url)
        stops.push(() => board.stop())
        board.model.temperature = 22.25
        await until(() => knows(board.id), 10000, "the gateway knows the board")
        // what a late will looks like: retained offline on the status topic, the board connected
        status(board.id, "offline")
        await until(
            () => !gw.registry.get(board.id)?.online || gw.mqtt!.offlinesDisproved > 0,
            10000,
            "the gateway to list the board offline or disprove the offline"
        )
        expect(gw.registry.get(board.id)?.online).toBe(true)
        expect(gw.mqtt!.offlinesDisproved).toBe(1)
        const r = await coapClient(["-B", "5", uri(board.id, "/sensors/temperature")])
        expect(r.codes).toEqual(["2.05"])
        expect(r.payload).toBe("22.25")
    })

    test("a board that really died is listed offline and requests to it fail", async () => {
        const board = mqttBoard("dead1", mosq.url)
        stops.push(() => board.stop())
        await until(() => knows(board.id), 10000, "the gateway knows the board")
        const disproved = gw.mqtt!.offlinesDisproved
        // abrupt end: Mosquitto publishes the board's will ({"state":"offline"}, retained)
        board.kill()
        await until(() => gw.registry.get(board.id)?.online === false, 10000, "the gateway to list the dead board offline")
        expect(gw.registry.get(board.id)?.reason).toBe("status offline, no answer to the check")
        expect(gw.mqtt!.offlinesDisproved).toBe(disproved)
        const r = await coapClient(["-B", "5", uri(board.id, "/sensors/temperature")])
        expect(r.codes).toEqual(["5.04"])
    })

    test("an online arriving while an offline is checked ends the check", async () => {
        // statuses only: nothing answers these boards' requests, so only the online can keep mute1 listed
        status("mute1", "online")
        status("mute2", "online")
        await until(() => !!gw.registry.get("mute1")?.online && !!gw.registry.get("mute2")?.online, 10000, "both listed online")
        status("mute1", "offline")
        status("mute1", "online")
        // mute2's check starts after mute1's and has the same timeout: once it lists mute2
        // offline, mute1's check would have done so too
        status("mute2", "offline")
        await until(() => gw.registry.get("mute2")?.online === false, 10000, "mute2 listed offline")
        expect(gw.registry.get("mute1")?.online).toBe(true)
        // the entity removed (empty retained status): listed offline at once, no check
        execFileSync("mosquitto_pub", ["-h", mosq.host, "-p", String(mosq.port), "-q", "1", "-r", "-t", "devices/mute1/status", "-n"])
        await until(() => gw.registry.get("mute1")?.online === false, 10000, "mute1 listed offline")
        expect(gw.registry.get("mute1")?.reason).toBe("status removed")
    })
})
