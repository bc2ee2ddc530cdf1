// Firmware entry for boards/xiao_c3: `npx devs build devs/main-xiao_c3.ts` (see docs/firmware.md).
import { startBoard } from "../boards/xiao_c3/board"
import { runFirmware } from "./firmware"

await runFirmware(await startBoard())
