// CoAP firmware for boards/pico_w: `npx devs build devs/main-coap-pico_w.ts` (see devs/firmware-coap.ts).
import { startBoard } from "../boards/pico_w/board"
import { runCoapFirmware } from "./firmware-coap"

await runCoapFirmware(await startBoard())
