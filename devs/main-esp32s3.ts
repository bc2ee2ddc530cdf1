// Firmware entry for boards/esp32s3: `npx devs build devs/main-esp32s3.ts` (see docs/firmware.md).
import { startBoard } from "../boards/esp32s3/board"
import { runFirmware } from "./firmware"
import { serveCoapOverMqtt } from "./coap-over-mqtt"

// MQTT (telemetry, status, discovery, JSON-RPC) and, unless COAP_BINDING says otherwise, the CoAP
// endpoint inside the same MQTT session
await runFirmware(await startBoard(), serveCoapOverMqtt)
