// Firmware entry for the `sim` board (the DeviceScript simulator): `npx devs build devs/main.ts`.
// Other boards: devs/main-<board>.ts.
import { startBoard } from "../boards/sim/board"
import { runFirmware } from "./firmware"
import { serveCoapOverMqtt } from "./coap-over-mqtt"

// MQTT (telemetry, status, discovery, JSON-RPC) and, unless COAP_BINDING says otherwise, the CoAP
// endpoint inside the same MQTT session
await runFirmware(await startBoard(), serveCoapOverMqtt)
