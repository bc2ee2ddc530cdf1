// Array helpers DeviceScript lacks (no splice).

/** Removes a[i] keeping the order of the rest. Acks mostly arrive in order, so i is usually 0: a native shift. */
export function removeAt<T>(a: T[], i: number): void {
    if (i === 0) {
        a.shift()
        return
    }
    const n = a.length
    for (let k = i; k < n - 1; k++) a[k] = a[k + 1]
    a.pop()
}
