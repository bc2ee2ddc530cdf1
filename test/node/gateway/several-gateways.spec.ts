// Several gateway processes serving the same fleet through one real Mosquitto, with nothing shared
// but the broker: boards with the firmware's own MQTT endpoint (src/coap/server/board-coap.ts, one
// observer per resource), libcoap's coap-client-notls and HTTP as the clients.
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { startMosquitto, Mosquitto } from "../../helpers/mosquitto"
import { startGateway, Gateway } from "../../../src/host/gateway/gateway"
import { coapClient } from "../../interop/coap-tcp/libcoap"
import { slimBoard } from "../../interop/coap-tcp/sim-board"
import { until } from "../../helpers/wait"

let mosq: Mosquitto
let gwA: Gateway
let gwB: Gateway
const boards: ReturnType<typeof slimBoard>[] = []

function start(): Promise<Gateway> {
    return startGateway({
        coap: { port: 0, upstreamIdleMs: 300 },
        tcp: false,
        http: { port: 0 },
        mqtt: { url: mosq.url, requestTimeoutMs: 2000, discoveryRetryMs: 500 },
    })
}

function knowsBoth(gw: Gateway): boolean {
    return boards.every((b) => {
        const r = gw.registry.get(b.id)
        return !!r && r.online && r.links.length >= 5
    })
}

const coapUri = (gw: Gateway, id: string, path: string) => `coap://127.0.0.1:${gw.ports.coap}/${id}${path}`

async function httpRpc(gw: Gateway, id: string, rpcId: string): Promise<{ status: number; body: unknown }> {
    const r = await fetch(`http://127.0.0.1:${gw.ports.http}/devices/${id}/rpc`, {
        method: "POST",
        body: JSON.stringify({ jsonrpc: "2.0", id: rpcId, method: "sys.ping" }),
        headers: { "content-type": "application/json" },
    })
    return { status: r.status, body: JSON.parse(await r.text()) }
}

beforeAll(async () => {
    mosq = await startMosquitto({ persistence: false })
    gwA = await start()
    boards.push(slimBoard("multi1", mosq.url), slimBoard("multi2", mosq.url))
    boards[0].model.temperature = 21.5
    boards[1].model.temperature = 30
    await until(() => knowsBoth(gwA), 10000, "gateway A knows both boards")
    // started after the boards are online: it learns them from their retained status
    gwB = await start()
    await until(() => knowsBoth(gwB), 10000, "gateway B knows both boards from retained status")
})

afterAll(async () => {
    for (const b of boards) b.stop()
    await gwA?.stop()
    await gwB?.stop()
    await mosq?.stop()
})

describe("several gateways on one broker", () => {
    test("each gateway has its own instance id and MQTT client id", () => {
        expect(gwA.mqtt!.instanceId).not.toBe(gwB.mqtt!.instanceId)
        // the same MQTT client id would make the broker drop one gateway's session for the other's
        expect(gwA.mqtt!.client!.isConnected() && gwB.mqtt!.client!.isConnected()).toBe(true)
    })

    test("CoAP GETs and HTTP RPCs through both gateways at once each get their own answer", async () => {
        const droppedA = gwA.mqtt!.othersDropped
        const droppedB = gwB.mqtt!.othersDropped
        const work: Promise<void>[] = []
        for (const [gw, name] of [
            [gwA, "A"],
            [gwB, "B"],
        ] as const) {
            for (const [board, text] of [
                [boards[0], "21.50"],
                [boards[1], "30.00"],
            ] as const) {
                work.push(
                    coapClient(["-B", "5", coapUri(gw, board.id, "/sensors/temperature")]).then((r) => {
                        expect(r.codes, name + " " + board.id).toEqual(["2.05"])
                        expect(r.payload, name + " " + board.id).toBe(text)
                    })
                )
                for (let i = 0; i < 3; i++) {
                    const rpcId = `${name}-${board.id}-${i}`
                    work.push(
                        httpRpc(gw, board.id, rpcId).then((r) => {
                            expect(r.status, rpcId).toBe(200)
                            expect(r.body, rpcId).toEqual({ jsonrpc: "2.0", id: rpcId, result: "pong" })
                        })
                    )
                }
            }
        }
        await Promise.all(work)
        // each saw the other's replies on the shared response topics, and dropped them
        await until(
            () => gwA.mqtt!.othersDropped > droppedA && gwB.mqtt!.othersDropped > droppedB,
            5000,
            "the other gateway's replies dropped"
        )
        expect(gwA.faults.total()).toBe(0)
    })

    test("two gateways observing the same resource both get its notifications", async () => {
        const board = boards[0]
        const path = "/sensors/temperature"
        const seen = (gw: Gateway) => gw.front!.observations.current(board.id, path, 0).response.payload.toString()
        // A registers first, then B: the board keeps only B's token
        const obsA = coapClient(["-B", "8", "-s", "6", coapUri(gwA, board.id, path)])
        await until(() => gwA.front!.observations.count() === 1 && seen(gwA) === "21.50", 5000, "A observing")
        const obsB = coapClient(["-B", "3", "-s", "1", coapUri(gwB, board.id, path)])
        await until(() => gwB.front!.observations.count() === 1 && seen(gwB) === "21.50", 5000, "B observing")
        board.model.temperature = 24
        board.changed()
        await until(() => seen(gwA) === "24.00" && seen(gwB) === "24.00", 5000, "both gateways notified of 24.00")
        // B's client goes away; B deregisters upstream, A registers again and keeps its notifications
        await obsB
        await until(() => gwB.front!.observations.count() === 0, 5000, "B's upstream observation swept")
        board.model.temperature = 25
        board.changed()
        await until(() => seen(gwA) === "25.00", 5000, "A still notified after B deregistered")
        const a = await obsA
        expect(a.out).toContain("24.00")
        expect(a.out).toContain("25.00")
        board.model.temperature = 21.5
    })

    test("stopping one gateway leaves the other's clients unaffected", async () => {
        let done = 0
        const loop = (async () => {
            for (let i = 0; i < 12; i++) {
                const rpcId = "after-" + i
                const r = await httpRpc(gwA, boards[i % 2].id, rpcId)
                expect(r.status, rpcId).toBe(200)
                expect(r.body, rpcId).toEqual({ jsonrpc: "2.0", id: rpcId, result: "pong" })
                done++
            }
        })()
        await until(() => done >= 3, 10000, "requests through A under way")
        await gwB.stop()
        await loop
        expect(done).toBe(12)
        const r = await coapClient(["-B", "5", coapUri(gwA, boards[1].id, "/sensors/temperature")])
        expect(r.payload).toBe("30.00")
    })
})
