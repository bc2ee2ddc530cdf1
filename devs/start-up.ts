// What both firmware builds (devs/firmware.ts over MQTT, devs/firmware-coap.ts over CoAP/TCP) set
// up when this module loads, before the board's start-up awaits anything. Top-level statements
// rather than a function: a function would cost each image its header (docs/bytecode-size.md).
import * as ds from "@devicescript/core"
import { setPauseHook } from "../src/util/pause"
import { version } from "../src/firmware/version"

/**
 * A start that has not reached its connection 60 s after this module loaded is stuck (a driver,
 * a settings read or a runtime service that never answers): the program restarts instead of
 * sitting there. The firmware sets `done` once it hands over to its connection.
 */
export const startUp = { done: false }
setTimeout(() => {
    if (startUp.done) return
    console.log("start-up stuck for 60 s; restarting")
    ds.restart()
}, 60000)

// Long loops in src/ yield to the VM through this hook (src/util/pause.ts).
setPauseHook(async () => {
    await ds.sleep(0)
})

// The version reported (status, sys.info) is the one the compiler stamped into this image from
// package.json, which the runtime's start banner prints too (with a commit suffix between releases).
version.text = ds._dcfgString("@version") || version.text
