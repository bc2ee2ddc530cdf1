// A CoAP client through a lossy UDP link (5% loss each way, seeded) to the gateway's UDP front,
// which forwards each GET to a board on its coap+tcp head-end. With RFC 7252 retransmission on the
// client and deduplication in the gateway, every request completes; the losses show up as
// retransmissions, never as a failed request. The same holds for libcoap's coap-client-notls.
import { afterAll, beforeAll, expect, test } from "vitest"
import { CoapCode } from "../../../src/coap/codec/message"
import { coapClient } from "../coap/client"
import { CoapUdpClient, startShapedCoap, type CoapResult, type ShapedCoap } from "../../helpers/shaped-links"

let c: ShapedCoap

beforeAll(async () => {
    c = await startShapedCoap({ toServer: { loss: 0.05 }, toClient: { loss: 0.05 }, seed: 5 })
})

afterAll(async () => {
    await c?.stop()
})

test("50 GETs through 5% loss each way all complete, with the losses retransmitted", async () => {
    // five clients with one request outstanding each (NSTART 1); a short ACK_TIMEOUT on loopback
    const clients = await Promise.all(
        [0, 1, 2, 3, 4].map((i) => CoapUdpClient.open("127.0.0.1", c.shaper.port, { ackTimeout: 300 }, 100 + i))
    )
    const results: CoapResult[] = []
    await Promise.all(
        clients.map(async (cl) => {
            for (let i = 0; i < 10; i++) results.push(await cl.get("/sb1/sensors/temperature"))
        })
    )
    for (const cl of clients) cl.close()
    expect(results).toHaveLength(50)
    expect(results.every((r) => r.code === CoapCode.Content)).toBe(true)
    const k = c.shaper.counters()
    const lost = k.toServer.dropped + k.toClient.dropped
    const retransmitted = results.reduce((a, r) => a + r.retransmissions, 0)
    // seed 5 drops the 36th datagram towards the gateway and the 4th towards the clients (replayable
    // with datagramFate): at least 50 go each way, so the link lost some, and they were made up for
    expect(k.toServer.dropped).toBeGreaterThan(0)
    expect(k.toClient.dropped).toBeGreaterThan(0)
    expect(lost).toBeGreaterThan(1)
    expect(retransmitted).toBeGreaterThan(0)
})

test("libcoap's coap-client through the same lossy link: 10 GETs, each answered 2.05", async () => {
    // libcoap keeps RFC 7252's default timers (ACK_TIMEOUT 2 s): a lost datagram costs 2-3 s, so fewer requests here
    const uri = `coap://127.0.0.1:${c.shaper.port}/sb1/sensors/temperature`
    const sentBefore = c.shaper.counters().toServer.datagrams
    const runs = await Promise.all([...Array(10).keys()].map(() => coapClient(["-B", "60", uri], 70000)))
    // without -v the client prints the payload only: the board's temperature
    for (const r of runs) expect({ code: r.code, out: r.stdout.trim() }).toEqual({ code: 0, out: "21.5" })
    expect(c.shaper.counters().toServer.datagrams - sentBefore).toBeGreaterThanOrEqual(10)
})
