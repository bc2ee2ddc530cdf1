// Completion for DeviceScript, which has no Promise values: a waiter suspends its own fiber
// (ds.suspend) and resolve/reject resumes every waiting fiber. No emitter, so no fiber is started
// per completion (an emitter's emit starts one fiber per handler).
import * as ds from "@devicescript/core"
import { Completion, CompletionFactory } from "../src/io"

export class DsCompletion<T> implements Completion<T> {
    // declared, not initialised (an initialiser costs constructor bytecode): undefined reads as
    // not done, no value, no error
    declare done: boolean
    declare value: T
    declare error: Error
    waiters: ds.Fiber[] = []

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
        settle(this)
    }

    reject(error: Error): void {
        if (this.done) return
        this.error = error
        settle(this)
    }
}

/** Marks `c` done and resumes every waiting fiber (a free function: a method costs ~12 B more). */
function settle(c: DsCompletion<any>): void {
    c.done = true
    const w = c.waiters
    c.waiters = []
    for (const f of w) if (f.suspended) f.resume(undefined)
}

// An object literal with a function expression (DeviceScript rejects method shorthand in object
// literals), not a class: no constructor or prototype in the image.
export const dsCompletions: CompletionFactory = {
    create: function <T>(): Completion<T> {
        return new DsCompletion<T>()
    },
}
