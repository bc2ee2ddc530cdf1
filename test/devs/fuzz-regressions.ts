// The fuzzers' regression specs in the DeviceScript simulator:
//   npx devs run --test -k -T 180000 test/devs/fuzz-regressions.ts
// The pause hook lets the dispatcher's scan really suspend (watchdog), as on the board.
import * as ds from "@devicescript/core"
import { setPauseHook } from "../../src/util/pause"
setPauseHook(async () => {
    await ds.sleep(1)
})
import "../core/fuzz/regressions.spec"
import { yieldBetweenTests } from "./yield-between-tests"
yieldBetweenTests()
