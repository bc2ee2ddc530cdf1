// Runs the portable CoAP endpoint unit tests in the DeviceScript simulator:
//   npx devs run --test -k -T 60000 test/devs/coap-endpoint.ts
// (-k is required: without it the describe blocks never run and the run still says OK.)
// The test runner never yields between tests, and ~128k ops without a yield panic with
// InfiniteLoop, so each test's `await pause()` is made a real yield here.
import * as ds from "@devicescript/core"
import { setPause } from "../core/coap-endpoint/harness"
setPause(async () => {
    await ds.sleep(0)
})
import "../core/coap-endpoint/messagelayer.spec"
import "../core/coap-endpoint/resources.spec"
import "../core/coap-endpoint/observe.spec"
import "../core/coap-endpoint/block.spec"
import "../core/coap-endpoint/device-resources.spec"
import "../core/coap-endpoint/seam.spec"
