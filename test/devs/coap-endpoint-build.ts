// Build-check entry for the CoAP endpoint layers (message layer, request/response layer,
// resources, Observe, block-wise, device resources):
//   npx devs build -F allFunctions test/devs/coap-endpoint-build.ts
// Named imports only (`import * as ns` breaks in DeviceScript 2.16.4, see coap-build.ts).
import { MessageLayer } from "../../src/coap/messagelayer"
import { ReliableBinding } from "../../src/coap/exchange-reliable"
import { RFC7252_4_8, exchangeLifetime } from "../../src/coap/messagelayer-params"
import { CoapServer } from "../../src/coap/endpoint"
import { ResourceTree } from "../../src/coap/resources"
import { discoveryLinks } from "../../src/coap/resources-discovery"
import { Block1Assembler, sliceBlock2 } from "../../src/coap/block"
import { ObserverRegistry } from "../../src/coap/observe"
import { deviceResources, jsonObject } from "../../src/coap/device-resources"

let now = 0
const ml = new MessageLayer({
    clock: { now: () => now },
    random: { next: () => 0.5 },
    send: (b: Buffer, peer: string) => console.log("send", b.length, peer),
})
const server = new CoapServer(ml, { clock: { now: () => now } })
ml.attach(server)
server.add({ path: "/x", get: (req, reply) => reply({ code: 69, payload: Buffer.from("hi") }) })
ml.receive(Buffer.from("4001000101b178", "hex"), "p")
console.log(exchangeLifetime(RFC7252_4_8), discoveryLinks(server.resources).length, new ResourceTree().list().length)
console.log(new Block1Assembler(1, 1).count(), sliceBlock2(Buffer.alloc(3), undefined, 6).ok, new ObserverRegistry(1, 0).count())
console.log(jsonObject({ a: 1.5, b: "x" }), typeof deviceResources)
console.log(new ReliableBinding((p: string, m: any) => true).maxBlockSzx("x"))
