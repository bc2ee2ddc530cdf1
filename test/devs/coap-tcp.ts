// Runs the portable CoAP-over-TCP specs in the DeviceScript simulator:
//   npx devs run --test -k -T 60000 test/devs/coap-tcp.ts
// (-k is required: without it the tests never run and the run still reports "test OK".)
import * as ds from "@devicescript/core"
// @devicescript/test does not export its suite tree; the deep import resolves to the same module.
import { root, SuiteNode, SetupTeardownNode } from "../../node_modules/@devicescript/test/src/core"
import "../core/coap-tcp/connection.spec"
import "../core/coap-tcp/session.spec"
import "../core/coap-tcp/rd-client.spec"
import "../core/coap-tcp/mqtt-binding.spec"
import "../core/coap-tcp/board-link.spec"
import "../core/coap-tcp/board-coap.spec"

// The VM's watchdog panics after ~128k bytecode ops without a yield, and the test runner does
// not yield between synchronous tests, so every suite gets an after-each hook that sleeps 0 ms.
function yieldAfterEachTest(s: SuiteNode) {
    s.afters.push(
        new SetupTeardownNode(async () => {
            await ds.sleep(0)
        })
    )
    for (const c of s.children) yieldAfterEachTest(c)
}
yieldAfterEachTest(root)
