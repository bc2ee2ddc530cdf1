// The CoAP firmware (devs/main-coap.ts: the application over CoAP-over-TCP, no MQTT) for
// test/e2e/coap-firmware.spec.ts. Test mode applies no .env settings, so the head-end's URL and the
// device id (HEADEND_PORT, BOARD_ID via simEnv) are written to the settings store first, as a
// deploy would. Runs until the test stops the VM.
import * as ds from "@devicescript/core"
import { writeSetting } from "@devicescript/settings"
import { startBoard } from "../../../boards/sim/board"
import { runCoapFirmware } from "../../../devs/firmware-coap"
import { simEnvNumber, simEnvString } from "../../../devs/sim-env"

async function main() {
    // simEnv is filled by the wrapper's top level, which runs to its end once this fiber yields
    await ds.sleep(0)
    await writeSetting("COAP_BINDING", "tcp")
    await writeSetting("COAP_URL", "coap+tcp://127.0.0.1:" + simEnvNumber("HEADEND_PORT", 5683))
    await writeSetting("DEVICE_ID", simEnvString("BOARD_ID", "coapfw1"))
    await runCoapFirmware(await startBoard())
}
main.start()
