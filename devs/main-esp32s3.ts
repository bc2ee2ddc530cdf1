// Firmware entry for boards/esp32s3: `npx devs build devs/main-esp32s3.ts` (see docs/firmware.md).
import { startBoard } from "../boards/esp32s3/board"
import { runFirmware } from "./firmware"

await runFirmware(await startBoard())
