// Completion for DeviceScript, which has no Promise values: a waiter suspends its own fiber
// (ds.suspend) and resolve/reject resumes every waiting fiber. No emitter, so no fiber is started
// per completion (an emitter's emit starts one fiber per handler).
import * as ds from "@devicescript/core"
import { Completion, CompletionFactory } from "../src/io"

export class DsCompletion<T> implements Completion<T> {
    private done = false
    private value: T = undefined
    private error: Error = undefined
    private waiters: ds.Fiber[] = []

    async wait(): Promise<T> {
        // Resolved before anyone waited: return at once, no suspension.
        while (!this.done) {
            this.waiters.push(ds.Fiber.self())
            await ds.suspend<void>()
        }
        if (this.error) throw this.error
        return this.value
    }

    resolve(value: T): void {
        if (this.done) return
        this.value = value
        this.finish()
    }

    reject(error: Error): void {
        if (this.done) return
        this.error = error
        this.finish()
    }

    private finish(): void {
        this.done = true
        const w = this.waiters
        this.waiters = []
        for (const f of w) if (f.suspended) f.resume(undefined)
    }
}

// An object literal with a function expression (DeviceScript rejects method shorthand in object
// literals), not a class: no constructor or prototype in the image.
export const dsCompletions: CompletionFactory = {
    create: function <T>(): Completion<T> {
        return new DsCompletion<T>()
    },
}
