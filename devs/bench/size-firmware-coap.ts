// Built, not run: `npm run size -- devs/bench/size-firmware-coap.ts`. The MQTT firmware with the CoAP
// endpoint served over its MQTT session (COAP_BINDING=mqtt), wired the way devs/main.ts would.
// Its image is over the VM's 64 KB bytecode budget (docs/bytecode-size.md), which is why the
// default firmware does not carry CoAP yet; this entry keeps that number measured.
import { startBoard } from "../../boards/sim/board"
import { runFirmware } from "../firmware"
import { serveCoapOverMqtt } from "../coap-over-mqtt"

await runFirmware(await startBoard(), serveCoapOverMqtt)
