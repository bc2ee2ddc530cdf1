// The fuzzers `npm run fuzz` and the bounded CI run (test/node/fuzz/bounded.spec.ts) both run:
// scripts/<name>.ts, each taking [count] [seed] and printing fuzz-lib's summary line.
export const FUZZERS = ["fuzz-mqtt", "fuzz-coap", "fuzz-coap-endpoint", "fuzz-jsonrpc"]
