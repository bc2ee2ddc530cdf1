// What every board's firmware adds to the hardware its board.ts reports: the user's own parts
// (user/parts.ts, docs/extending.md) and, on a real board, the Wi-Fi signal strength from the
// runtime's Wi-Fi service (the simulator has none). A user file that throws must not keep the
// board offline: it is logged and the board runs without the rest of its parts.
import * as ds from "@devicescript/core"
import { BoardHardware } from "../src/firmware/hardware"
import { readClient } from "../boards/common/read"
import { addUserParts } from "../user/parts"
import { errText } from "./err-text"

export async function completeHardware(hw: BoardHardware): Promise<void> {
    if (!hw.actuators) hw.actuators = []
    try {
        await addUserParts(hw)
    } catch (e) {
        console.log("user/parts.ts: " + errText(e))
    }
    if (!ds.isSimulator()) hw.rssi = readClient(new ds.Wifi())
}
