// Build-check entry: imports every portable CoAP codec module so
// `npx devs build -F allFunctions test/devs/coap-build.ts` compiles all of them for the board.
// (Named imports: `import * as ns` then `ns.f()` fails in DeviceScript 2.16.4 with "unknown name".)
import { CoapCode, CoapType, codeToString, newMessage, setUriPath } from "../../src/coap/message"
import { isCritical } from "../../src/coap/options"

const m = newMessage(CoapType.CON, CoapCode.GET, 1)
setUriPath(m, "/a/b")
console.log(codeToString(m.code), isCritical(11))
