// CoAP firmware for the `sim` board: CoAP over TCP/TLS (RFC 8323) to COAP_URL, no MQTT.
// `npx devs build devs/main-coap.ts`. Why it is a separate build: devs/firmware-coap.ts.
import { startBoard } from "../boards/sim/board"
import { runCoapFirmware } from "./firmware-coap"

await runCoapFirmware(await startBoard())
