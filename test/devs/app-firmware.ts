// Runs the firmware's application specs (src/firmware) in the DeviceScript simulator, in a VM of
// their own (with the other app specs of app.ts they outgrew the VM's 64 KB heap):
//   npx devs run --test -k -T 60000 test/devs/app-firmware.ts
// `-k` (test-self-exit) is required: without it the compiler appends ds.restart() to the top level
// and the describe() blocks never run, which would report a false "test OK". The describe() calls
// schedule runTests() themselves (autoRun), which restarts the VM when all tests passed.
// The pause hook lets each spec's beforeEach really suspend: the test runner never yields between
// tests, and ~128k ops without a suspension panic the VM (InfiniteLoop).
import * as ds from "@devicescript/core"
import { setPauseHook } from "../../src/util/pause"
setPauseHook(async () => {
    await ds.sleep(1)
})
import "../core/app/firmware.spec"
import "../core/app/room.spec"
import "../core/app/control.spec"
