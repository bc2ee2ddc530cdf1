// A portable "let the scheduler run" point.
//
// WHY: DeviceScript panics with InfiniteLoop after ~128k bytecode ops without a real suspension,
// and awaiting an async function that never suspends does not count as one. Portable code cannot
// call ds.sleep, so the platform installs a hook: DeviceScript sets `async () => { await ds.sleep(0) }`,
// Node leaves it empty. Long-running portable work (many RPC requests, test suites) awaits pause().

let hook: (() => Promise<void>) | undefined = undefined

export function setPauseHook(fn: () => Promise<void>): void {
    hook = fn
}

export async function pause(): Promise<void> {
    if (hook) await hook()
}
