// Test-only firmware for test/e2e/crash-recovery.spec.ts: the sim board's firmware (without the
// CoAP endpoint), which crashes CRASH_MS after every start with an uncaught exception in a timer
// fiber, i.e. a panic like an out-of-memory. Never part of a board image.
import { startBoard } from "../../../boards/sim/board"
import { runFirmware } from "../../../devs/firmware"

const CRASH_MS = 8000
setTimeout(() => {
    throw new Error("test crash")
}, CRASH_MS)
await runFirmware(await startBoard())
