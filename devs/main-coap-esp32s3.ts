// CoAP firmware for boards/esp32s3: `npx devs build devs/main-coap-esp32s3.ts` (see devs/firmware-coap.ts).
import { startBoard } from "../boards/esp32s3/board"
import { runCoapFirmware } from "./firmware-coap"

await runCoapFirmware(await startBoard())
