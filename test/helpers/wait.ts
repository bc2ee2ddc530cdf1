// Waiting in Node tests for something another process or an event loop turn brings about.

/** Resolves once cond() holds; throws after ms, naming what it waited for. */
export async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
    const end = Date.now() + ms
    while (!cond()) {
        if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
        await new Promise((r) => setTimeout(r, 10))
    }
}
