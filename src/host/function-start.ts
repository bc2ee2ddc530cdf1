// DeviceScript's Function.prototype.start on Node. The portable core starts work in the background
// with `fn.start(args)` (a new fiber on the board; src/firmware/device-model.ts saves a PUT's
// settings that way, because the DeviceModel interface is synchronous). Node has no fibers: the
// call runs once the current synchronous code is done, as a new fiber starts when the current one
// yields. The functions started this way catch their own errors, as they must on the board.
// Importing this module installs it; src/host/sim-device.ts does.

declare global {
    interface Function {
        /** Runs the function in the background with these arguments (a fiber on DeviceScript). */
        start(...args: unknown[]): void
    }
}

if (typeof Function.prototype.start !== "function") {
    Object.defineProperty(Function.prototype, "start", {
        configurable: true,
        writable: true,
        value: function start(this: (...args: unknown[]) => unknown, ...args: unknown[]): void {
            // not awaited: a rejection the function did not catch is Node's unhandled rejection,
            // which ends the process as an uncaught error in a fiber panics the board
            queueMicrotask(() => void this(...args))
        },
    })
}

export {}
