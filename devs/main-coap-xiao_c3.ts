// CoAP firmware for boards/xiao_c3: `npx devs build devs/main-coap-xiao_c3.ts` (see devs/firmware-coap.ts).
import { startBoard } from "../boards/xiao_c3/board"
import { runCoapFirmware } from "./firmware-coap"

await runCoapFirmware(await startBoard())
