// The sim board's firmware with test/sim/parts/user-parts.ts in the place of user/parts.ts:
// devs/main.ts, plus the test's parts added to the board's hardware before the firmware starts.
import { startBoard } from "../../../boards/sim/board"
import { runFirmware } from "../../../devs/firmware"
import { serveCoapOverMqtt } from "../../../devs/coap-over-mqtt"
import { addUserParts } from "./user-parts"

const hw = await startBoard()
hw.actuators = []
await addUserParts(hw)
await runFirmware(hw, serveCoapOverMqtt)
