// The rest of the platform for Node: Promise-backed completions, a monotonic clock, Math.random.

import { performance } from "node:perf_hooks"
import { Clock, Completion, CompletionFactory, Random } from "../io"

class PromiseCompletion<T> implements Completion<T> {
    private promise: Promise<T>
    private res!: (v: T) => void
    private rej!: (e: Error) => void
    private settled = false

    constructor() {
        this.promise = new Promise<T>((resolve, reject) => {
            this.res = resolve
            this.rej = reject
        })
        // a completion nobody awaits must not become an unhandled rejection
        this.promise.catch((): undefined => undefined)
    }

    wait(): Promise<T> {
        return this.promise
    }

    resolve(value: T): void {
        if (this.settled) return
        this.settled = true
        this.res(value)
    }

    reject(error: Error): void {
        if (this.settled) return
        this.settled = true
        this.rej(error)
    }
}

export const nodeCompletions: CompletionFactory = {
    create<T>(): Completion<T> {
        return new PromiseCompletion<T>()
    },
}

export const nodeClock: Clock = { now: () => performance.now() }

export const nodeRandom: Random = { next: () => Math.random() }
