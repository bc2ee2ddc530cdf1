import { defineConfig } from "vitest/config"

// One test source for both runtimes: DeviceScript's test module maps onto vitest here.
export default defineConfig({
    resolve: { alias: { "@devicescript/test": "vitest" } },
    test: {
        include: ["test/**/*.spec.ts"],
        testTimeout: 30000,
        hookTimeout: 60000,
        // Interop tests mostly wait on real peers and timers, not on the CPU: more files at once than
        // the 2 cores of CI. Simulator tests (test/e2e) run in a separate serial pass (scripts/test.ts).
        maxWorkers: 3,
    },
})
