// Firmware entry for the `sim` board (the DeviceScript simulator): `npx devs build devs/main.ts`.
// Other boards: devs/main-<board>.ts.
import { startBoard } from "../boards/sim/board"
import { runFirmware } from "./firmware"

await runFirmware(await startBoard())
