// The fuzzers `npm run fuzz` and the bounded CI run (test/node/fuzz/bounded.spec.ts) both run:
// scripts/<name>.ts, each taking [count] [seed] and printing fuzz-lib's summary line.
export const FUZZERS = ["fuzz-mqtt", "fuzz-coap", "fuzz-coap-endpoint", "fuzz-jsonrpc"]
// Fuzzers over real sockets and a real Mosquitto (slower, need the system packages): `npm run fuzz`
// runs them after the ones above; their bounded runs are specs of their own (test/node/gateway).
export const SOCKET_FUZZERS = ["fuzz-gateway"]
