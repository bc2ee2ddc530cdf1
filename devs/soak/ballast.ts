// The sim board's firmware with heap ballast, for scripts/soak.ts: DeviceScript 2.16.4 has no heap
// statistics API and an out-of-memory is an uncatchable panic (60004), so the soak measures heap
// use from the outside: it holds SOAK_BALLAST KB (1 KB buffers) for the whole run. If the firmware
// survives the soak with B KB held, its peak live heap stayed below (64 - B) KB minus overheads.
import * as ds from "@devicescript/core"
import { readSetting } from "@devicescript/settings"
import { startBoard } from "../../boards/sim/board"
import { runFirmware } from "../firmware"

const ballast: Buffer[] = []
const kb = await readSetting<number>("SOAK_BALLAST", 0)
for (let i = 0; i < kb; i++) {
    ballast.push(Buffer.alloc(1024))
    if (i % 8 === 7) await ds.sleep(0)
}
console.log("soak: ballast " + ballast.length + " KB held")
await runFirmware(await startBoard())
