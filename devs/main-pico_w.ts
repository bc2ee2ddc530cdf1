// Firmware entry for boards/pico_w: `npx devs build devs/main-pico_w.ts` (see docs/firmware.md).
import { startBoard } from "../boards/pico_w/board"
import { runFirmware } from "./firmware"
import { serveCoapOverMqtt } from "./coap-over-mqtt"

// MQTT (telemetry, status, discovery, JSON-RPC) and, unless COAP_BINDING says otherwise, the CoAP
// endpoint inside the same MQTT session
await runFirmware(await startBoard(), serveCoapOverMqtt)
