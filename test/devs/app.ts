// Runs the portable application specs in the DeviceScript simulator:
//   npx devs run --test -k -T 60000 test/devs/app.ts
// `-k` (test-self-exit) is required: without it the compiler appends ds.restart() to the top level
// and the describe() blocks never run, which would report a false "test OK". The describe() calls
// schedule runTests() themselves (autoRun), which restarts the VM when all tests passed.
import "../core/app/jsonrpc.spec"
