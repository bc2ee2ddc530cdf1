// fast-check generators shared by the Node-only CoAP codec tests.
import fc from "fast-check"
import { CoapMessage, CoapOption, sortedOptions } from "../../../src/coap/codec/message"

export const bytesArb = (max: number) => fc.uint8Array({ maxLength: max }).map((a) => Buffer.from(a))

const optionArb: fc.Arbitrary<CoapOption> = fc.record({
    number: fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 65535 })),
    value: fc.oneof(bytesArb(20), bytesArb(300)),
})

export const messageArb: fc.Arbitrary<CoapMessage> = fc
    .record({
        type: fc.integer({ min: 0, max: 3 }),
        code: fc.integer({ min: 0, max: 255 }),
        messageId: fc.integer({ min: 0, max: 65535 }),
        token: bytesArb(8),
        options: fc.array(optionArb, { maxLength: 8 }).map(sortedOptions),
        payload: bytesArb(400),
    })
    .map((m) => (m.code === 0 ? { ...m, token: Buffer.alloc(0), options: [], payload: Buffer.alloc(0) } : m))
