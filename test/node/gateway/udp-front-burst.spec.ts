// The gateway's UDP CoAP front under a burst: 1,000 CON requests sent at once from one client
// are all answered (counted, not timed). With the kernel's default receive buffer (~208 KiB,
// room for ~256 small datagrams) most of them were dropped before the gateway read them.
import { afterAll, beforeAll, expect, test } from "vitest"
import dgram from "node:dgram"
import { startGateway, Gateway } from "../../../src/host/gateway/gateway"
import { decodeMessage, encodeMessage } from "../../../src/coap/codec/codec"
import { CoapCode, CoapType, newMessage, setUriPath } from "../../../src/coap/codec/message"
import { until } from "../../helpers/wait"

let gw: Gateway

beforeAll(async () => {
    gw = await startGateway({ coap: { port: 0 }, tcp: false, http: false, mqtt: false })
})

afterAll(async () => {
    await gw?.stop()
})

test("every one of 1,000 CON requests sent at once is answered", async () => {
    const s = dgram.createSocket({ type: "udp4", recvBufferSize: 4 * 1024 * 1024 })
    const answered = new Set<number>()
    s.on("message", (m) => {
        const d = decodeMessage(m)
        if (d.type === CoapType.ACK && d.code === CoapCode.NotFound) answered.add(d.messageId)
    })
    await new Promise<void>((r) => s.bind(0, "127.0.0.1", () => r()))
    const n = 1000
    for (let i = 0; i < n; i++) {
        const m = newMessage(CoapType.CON, CoapCode.GET, i, Buffer.from("bb", "hex"))
        setUriPath(m, "/no-such-board/x")
        s.send(encodeMessage(m), gw.ports.coap!, "127.0.0.1")
    }
    // no retransmissions from our side: a request the socket dropped stays unanswered
    await until(() => answered.size === n, 15000, "all answers").catch(() => {})
    s.close()
    expect(answered.size).toBe(n)
})
