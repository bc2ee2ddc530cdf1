// Array helpers DeviceScript lacks (no splice).

/** Removes a[i] keeping the order of the rest. */
export function removeAt<T>(a: T[], i: number): void {
    const n = a.length
    for (let k = i; k < n - 1; k++) a[k] = a[k + 1]
    a.pop()
}
