// Build check for the board side of issue 5:
//   npx devs build -F allFunctions test/devs/coap-tcp-build.ts
import { CoapBoardTcpLink } from "../../src/coap/board-tcp-link"
import { CoapBoardMqttLink } from "../../src/coap/board-mqtt-link"
import { CoapMqttClientBinding } from "../../src/coap/mqtt-binding"
import { CoapServer } from "../../src/coap/endpoint"

const clock = { now: () => 0 }
const random = { next: () => 0.5 }
const link = new CoapBoardTcpLink(
    { open: (t, e) => ({ write: (b: Buffer) => {}, close: () => {} }) },
    { host: "h", port: 5683, tls: false },
    clock,
    random,
    { endpoint: "b" }
)
const server = new CoapServer(link.transport, { clock: clock })
link.serve(server, server.resources)
const m = new CoapBoardMqttLink("devices", "b", (t: string, p: Buffer) => {})
m.serve(server)
const c = new CoapMqttClientBinding("devices", (t: string, p: Buffer) => {}, clock, random, 1000)
console.log(link.links(), m.requestTopic(), c.responseFilter())
