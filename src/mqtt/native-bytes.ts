// Range copy and UTF-8 conversion done by the runtime's native code.
//
// WHY this exists next to src/util/bytes.ts: sliceBytes copies one byte per bytecode loop
// iteration. In the DeviceScript VM that costs about 0.35 ms per KB, and the watchdog (~128k
// ops without a yield) panics the whole program on a PUBLISH of about 8 KB [measured with
// test/devs]. A remote peer could crash the firmware that way. Native slice() is safe here
// because every range is checked against the packet first (DS's slice does not clamp), and
// the Node/DS difference (view vs copy) is removed by detecting it once.

// Detect at load time whether slice() copies (DeviceScript) or shares memory (Node).
function sliceCopies(): boolean {
    const a = Buffer.alloc(1)
    const s = a.slice(0, 1)
    a[0] = 1
    return s[0] === 0
}
const SLICE_COPIES = sliceCopies()

/** A fresh copy of b[start..end); the caller guarantees 0 <= start <= end <= b.length. */
export function copyRange(b: Buffer, start: number, end: number): Buffer {
    if (SLICE_COPIES) return b.slice(start, end)
    const r = Buffer.alloc(end - start)
    r.set(b.slice(start, end), 0)
    return r
}

/** Copies src[start..end) into dst at offset o (ranges checked by the caller). */
export function copyInto(dst: Buffer, o: number, src: Buffer, start: number, end: number): void {
    if (start === 0 && end === src.length) dst.set(src, o)
    else dst.set(src.slice(start, end), o)
}

/** The UTF-8 decoding of b[start..end) (unvalidated: see utf8String). The slice dies here, so view or copy does not matter. */
export function textAt(b: Buffer, start: number, end: number): string {
    return b.slice(start, end).toString("utf-8")
}

/** Hex of b[start..end), natively: a way to compare byte ranges with one native string compare. */
export function hexAt(b: Buffer, start: number, end: number): string {
    return b.slice(start, end).toString("hex")
}
