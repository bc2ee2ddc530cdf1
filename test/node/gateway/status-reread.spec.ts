// The gateway reads the boards' retained statuses again after it subscribes (src/host/gateway/
// mqtt-side.ts, "re-reads"): a broker can fail to deliver a board's only "online", and the gateway
// would never list that board. NATS's MQTT does so to a QoS 1 subscription for a status published
// while the subscription is being set up (docs/fleet.md, "Start-up"); here a real Mosquitto
// stands for such a broker behind a proxy that loses that one PUBLISH on its way to the gateway.
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { execFileSync } from "node:child_process"
import { startMosquitto, Mosquitto } from "../../helpers/mosquitto"
import { startMqttDropProxy, MqttDropProxy } from "../../helpers/mqtt-drop-proxy"
import { startGateway, Gateway } from "../../../src/host/gateway/gateway"
import { coapClient } from "../../interop/coap-tcp/libcoap"
import { mqttBoard, slimBoard } from "../../interop/coap-tcp/sim-board"
import { until } from "../../helpers/wait"

let mosq: Mosquitto
let proxy: MqttDropProxy
let gw: Gateway
const stops: (() => void)[] = []

beforeAll(async () => {
    mosq = await startMosquitto({ persistence: false })
    proxy = await startMqttDropProxy(mosq.port)
    gw = await startGateway({
        coap: { port: 0 },
        tcp: false,
        http: false,
        // re-reads 200 ms after the connect, then 400, 800, ... up to every 1.6 s
        mqtt: { url: proxy.url, requestTimeoutMs: 2000, discoveryRetryMs: 500, statusRereadMs: 200, statusRereadMaxMs: 1600 },
    })
})

afterAll(async () => {
    for (const s of stops) s()
    await gw?.stop()
    await proxy?.close()
    await mosq?.stop()
})

function knows(id: string): boolean {
    const b = gw.registry.get(id)
    return !!b && b.online && b.links.length > 0
}

/** Publishes a retained status as a board's will would, through mosquitto_pub. */
function status(id: string, state: string): void {
    const args = ["-h", mosq.host, "-p", String(mosq.port), "-q", "1", "-r", "-t", `devices/${id}/status`, "-m", JSON.stringify({ state })]
    execFileSync("mosquitto_pub", args)
}

const uri = (id: string, path: string) => `coap://127.0.0.1:${gw.ports.coap}/${id}${path}`

describe("the gateway reads the retained statuses again", () => {
    test("a board whose online status never reached the gateway is listed by a re-read and answers", async () => {
        // the gateway subscribed: it lists a first board
        const first = slimBoard("seen1", mosq.url)
        stops.push(() => first.stop())
        await until(() => knows(first.id), 10000, "the gateway lists the first board")
        const board = slimBoard("lost1", mosq.url)
        board.model.temperature = 23.25
        proxy.dropPublishes(`devices/${board.id}/status`, 1)
        stops.push(() => board.stop())
        await until(() => proxy.dropped === 1, 10000, "the board's online status lost on its way to the gateway")
        await until(() => knows(board.id), 15000, "the gateway lists the board whose online it never received")
        expect(gw.mqtt!.statusesRecovered).toBeGreaterThanOrEqual(1)
        const r = await coapClient(["-B", "5", uri(board.id, "/sensors/temperature")])
        expect(r.codes).toEqual(["2.05"])
        expect(r.payload).toBe("23.25")
    })

    test("a board listed offline because its check went unanswered is checked again at a re-read and listed", async () => {
        const board = slimBoard("unheard1", mosq.url)
        board.model.temperature = 19.75
        stops.push(() => board.stop())
        await until(() => knows(board.id), 10000, "the gateway lists the board")
        // its answer to the check is lost (as while a cluster refuses the gateway's response
        // subscription), and the late will is the board's last retained status
        proxy.dropPublishes(`devices/${board.id}/coap/res`, 1)
        status(board.id, "offline")
        await until(() => gw.registry.get(board.id)?.online === false, 10000, "the board listed offline")
        expect(gw.registry.get(board.id)?.reason).toBe("status offline, no answer to the check")
        // a re-read delivers the retained offline again: checked again, the board answers
        await until(() => knows(board.id), 15000, "the board listed online again")
        const r = await coapClient(["-B", "5", uri(board.id, "/sensors/temperature")])
        expect(r.codes).toEqual(["2.05"])
        expect(r.payload).toBe("19.75")
    })

    test("re-reads do not bring back a board that died: its retained offline keeps it offline", async () => {
        const board = mqttBoard("dead2", mosq.url)
        stops.push(() => board.stop())
        await until(() => knows(board.id), 10000, "the gateway lists the board")
        // abrupt end: Mosquitto publishes the board's will ({"state":"offline"}, retained)
        board.kill()
        await until(() => gw.registry.get(board.id)?.online === false, 10000, "the dead board listed offline")
        const offlines: string[] = []
        const onOffline = (b: { id: string }) => offlines.push(b.id)
        const onOnline = (b: { id: string }) => offlines.push(b.id + " online")
        gw.registry.on("offline", onOffline)
        gw.registry.on("online", onOnline)
        try {
            // two more re-reads, each delivering the board's retained offline again
            const rereads = gw.mqtt!.statusRereads
            await until(() => gw.mqtt!.statusRereads >= rereads + 2, 10000, "two more re-reads")
            // the second re-read's statuses arrive after its SUBSCRIBE: one more marker board
            // published after it is heard only after them (the broker keeps the order)
            const marker = slimBoard("marker2", mosq.url)
            stops.push(() => marker.stop())
            await until(() => knows(marker.id), 10000, "the marker board listed")
        } finally {
            gw.registry.off("offline", onOffline)
            gw.registry.off("online", onOnline)
        }
        expect(gw.registry.get(board.id)?.online).toBe(false)
        expect(offlines.filter((x) => x.startsWith(board.id))).toEqual([])
    })
})
