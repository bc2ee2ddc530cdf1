// Firmware entry for boards/xiao_c3: `npx devs build devs/main-xiao_c3.ts` (see docs/firmware.md).
import { startBoard } from "../boards/xiao_c3/board"
import { runFirmware } from "./firmware"
import { serveCoapOverMqtt } from "./coap-over-mqtt"

// MQTT (telemetry, status, discovery, JSON-RPC) and, unless COAP_BINDING says otherwise, the CoAP
// endpoint inside the same MQTT session
await runFirmware(await startBoard(), serveCoapOverMqtt)
