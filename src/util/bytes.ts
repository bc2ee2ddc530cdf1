// Byte helpers that behave the same in DeviceScript and Node.
// Buffer differs between the two runtimes (see ../shared/devicescript-notes.md §2):
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

/** Copying slice, clamped to the buffer, negative indices count from the end. */
export function sliceBytes(b: Buffer, start: number, end?: number): Buffer {
    const len = b.length
    if (end === undefined || end > len) end = len
    if (start < 0) start = Math.max(0, len + start)
    if (end < 0) end = Math.max(0, len + end)
    if (start > len) start = len
    const n = end - start
    const r = Buffer.alloc(n > 0 ? n : 0)
    for (let i = 0; i < n; i++) r[i] = b[start + i]
    return r
}

export function u16be(b: Buffer, o: number): number {
    return (b[o] << 8) | b[o + 1]
}

export function u32be(b: Buffer, o: number): number {
    return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0
}

export function putU16be(b: Buffer, o: number, v: number): void {
    b[o] = (v >> 8) & 0xff
    b[o + 1] = v & 0xff
}

export function putU32be(b: Buffer, o: number, v: number): void {
    b[o] = (v >>> 24) & 0xff
    b[o + 1] = (v >> 16) & 0xff
    b[o + 2] = (v >> 8) & 0xff
    b[o + 3] = v & 0xff
}

export function bytesEqual(a: Buffer, b: Buffer): boolean {
    if (a.length !== b.length) return false
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
    return true
}
