// DeviceScript only. The VM's watchdog panics after ~128k bytecode ops without a yield, and the
// @devicescript/test runner does not yield between synchronous tests, so a long spec file trips
// it. Call yieldAfterEachTest() after importing the spec files: every suite gets an after-each
// hook that sleeps 0 ms. The package index does not export the suite tree; this deep import
// resolves to the same module instance.
import * as ds from "@devicescript/core"
import { root, SuiteNode, SetupTeardownNode } from "../../node_modules/@devicescript/test/src/core"

function addHook(s: SuiteNode) {
    s.afters.push(
        new SetupTeardownNode(async () => {
            await ds.sleep(0)
        })
    )
    for (const c of s.children) addHook(c)
}

export function yieldAfterEachTest() {
    addHook(root)
}
