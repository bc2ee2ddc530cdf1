// Clock for the portable core on DeviceScript: ms since boot (since VM start in the simulator).
// ds.millis() only advances across an await, which is all the core needs (it compares times
// between events, each of which runs after an await).
import * as ds from "@devicescript/core"
import { Clock } from "../src/io"

export const dsClock: Clock = {
    now: () => ds.millis(),
}
