// Byte helpers that behave the same in DeviceScript and Node.
// Buffer differs between the two runtimes (DeviceScript 2.16.4, checked side by side):
// Buffer.concat has different signatures and slice() shares memory only in Node,
// so portable code does all byte work through these.

export function concatBytes(list: Buffer[]): Buffer {
    let n = 0
    for (const b of list) n += b.length
    const r = Buffer.alloc(n)
    let off = 0
    for (const b of list) {
        r.set(b, off)
        off += b.length
    }
    return r
}

// Native slice() copies in DeviceScript and shares memory in Node; detected once, so sliceBytes can
// use the runtime's copy instead of a bytecode loop (0.35 ms per KB in the VM, and an 8 KB payload
// copied byte by byte ran into the watchdog).
function nativeSliceCopies(): boolean {
    const a = Buffer.alloc(1)
    const s = a.slice(0, 1)
    a[0] = 1
    return s[0] === 0
}
const SLICE_COPIES = nativeSliceCopies()

/**
 * Copying slice of b[start..end) (0 <= start), with end clamped to the buffer and defaulting to
 * its length. (No negative indices: nothing used them, and each branch is board bytecode.)
 */
export function sliceBytes(b: Buffer, start: number, end?: number): Buffer {
    const len = b.length
    if (end === undefined || end > len) end = len
    if (end <= start) return Buffer.alloc(0)
    // DeviceScript's slice() does not clamp `end`; it is clamped above.
    if (SLICE_COPIES) return b.slice(start, end)
    const r = Buffer.alloc(end - start)
    r.set(b.slice(start, end), 0)
    return r
}

export function u16be(b: Buffer, o: number): number {
    return (b[o] << 8) | b[o + 1]
}

export function u32be(b: Buffer, o: number): number {
    return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0
}

// A byte store keeps the value mod 256 in both runtimes, so the writers need no `& 0xff`.
export function putU16be(b: Buffer, o: number, v: number): void {
    b[o] = v >> 8
    b[o + 1] = v
}

export function putU32be(b: Buffer, o: number, v: number): void {
    b[o] = v >>> 24
    b[o + 1] = v >> 16
    b[o + 2] = v >> 8
    b[o + 3] = v
}

export function bytesEqual(a: Buffer, b: Buffer): boolean {
    if (a.length !== b.length) return false
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
    return true
}

/**
 * How many bytes `s` (or the strings of `s`, one after the other) takes in UTF-8, without encoding
 * it: a string's `byteLength` in DeviceScript (its strings are stored as UTF-8), Buffer.byteLength
 * in Node (lone surrogates count 3, as Buffer.from writes them). A Buffer counts its length.
 */
export function utf8Length(s: string | string[] | Buffer): number {
    if (Array.isArray(s)) {
        let sum = 0
        for (let i = 0; i < s.length; i++) sum += utf8Length(s[i])
        return sum
    }
    const n = (s as any).byteLength
    if (typeof n === "number") return n
    // Node's strings have no byteLength; DeviceScript's Buffers have neither it nor Buffer.byteLength
    if (typeof s === "string") return (Buffer as any).byteLength(s)
    return s.length
}
