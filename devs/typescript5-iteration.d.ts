// For type-checking only (tsconfig, editor); no program imports it and the DeviceScript compiler
// never reads it. @devicescript/core's corelib.d.ts declares `IterableIterator<T> {}` empty, which
// the TypeScript 4.9 inside the DeviceScript compiler accepts for for-of and spread over arrays and
// strings. TypeScript 5.6 and later (tsc, the editor) want an iterator with next(): these overloads
// merge into corelib's, and TypeScript iterates the intersection of their results.
interface DevsIterator<T> {
    next(): { done?: boolean; value: T }
}
interface Array<T> {
    [Symbol.iterator](): DevsIterator<T>
}
interface String {
    [Symbol.iterator](): DevsIterator<string>
}
