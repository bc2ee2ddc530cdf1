// Build-check entry: imports every portable CoAP codec module so
// `npx devs build -F allFunctions test/devs/coap-build.ts` compiles all of them for the board.
// (Named imports: `import * as ns` then `ns.f()` fails in DeviceScript 2.16.4 with "unknown name".)
import { CoapCode, CoapType, codeToString, newMessage, setUriPath } from "../../src/coap/message"
import { isCritical } from "../../src/coap/options"
import { decodeMessage, encodeMessage } from "../../src/coap/codec"
import { decodeCbor, encodeCbor } from "../../src/coap/cbor"
import { parseLinks, serializeLinks } from "../../src/coap/linkformat"
import { senmlToJson } from "../../src/coap/senml"
import { formatScaled } from "../../src/util/decimal"

const m = newMessage(CoapType.CON, CoapCode.GET, 1)
setUriPath(m, "/a/b")
console.log(codeToString(decodeMessage(encodeMessage(m)).code), isCritical(11))
console.log(decodeCbor(encodeCbor([1, "a"])), serializeLinks(parseLinks("</a>;ct=0")))
console.log(senmlToJson([{ n: "t", v: 21.5 }]), formatScaled(2153, 2))
