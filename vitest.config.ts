import { defineConfig } from "vitest/config"

// One test source for both runtimes: DeviceScript's test module maps onto vitest here.
export default defineConfig({
    resolve: { alias: { "@devicescript/test": "vitest" } },
    test: {
        include: ["test/**/*.spec.ts"],
        testTimeout: 30000,
        hookTimeout: 60000,
        // Simulator tests share devtools' fixed ports (8081-8083): they run in one file at a time.
        fileParallelism: true,
    },
})
