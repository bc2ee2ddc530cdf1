import type { ChildProcess } from "node:child_process"

// Every child a test starts is registered here, so it is stopped by PID even when a test
// fails or the runner exits early.
const running = new Set<ChildProcess>()

export function track(child: ChildProcess): ChildProcess {
    running.add(child)
    child.once("exit", () => running.delete(child))
    return child
}

export function killAll(): void {
    for (const child of running) {
        try {
            if (child.pid) process.kill(child.pid, "SIGKILL")
        } catch {
            // already gone
        }
    }
    running.clear()
}

process.once("exit", killAll)

/** Resolves when the child has exited (at once if it already has). */
export function exited(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
    return new Promise((resolve) => child.once("exit", () => resolve()))
}
