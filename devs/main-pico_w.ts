// Firmware entry for boards/pico_w: `npx devs build devs/main-pico_w.ts` (see docs/firmware.md).
import { startBoard } from "../boards/pico_w/board"
import { runFirmware } from "./firmware"

await runFirmware(await startBoard())
