// DeviceScript-only test-mode helper. The simulator's watchdog (~128k ops without yielding,
// about 128k bytecode operations without a suspension) counts ACROSS tests: @devicescript/test runs synchronous test bodies
// back to back without yielding, so many small portable tests add up and panic with
// InfiniteLoop (60001). Importing this module AFTER the spec files adds a `beforeEach` that
// sleeps 0 ms to every registered suite, so each test starts with a fresh budget.
import * as ds from "@devicescript/core"
import { root, SetupTeardownNode, SuiteNode } from "@devicescript/test/src/core"

function addYield(s: SuiteNode): void {
    s.befores.push(
        new SetupTeardownNode(async () => {
            await ds.sleep(0)
        })
    )
    s.children.forEach(addYield)
}

export function yieldBetweenTests(): void {
    addYield(root)
}
