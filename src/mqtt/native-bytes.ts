// Range copy and UTF-8 conversion done by the runtime's native code.
//
// WHY: a byte loop in the DeviceScript VM costs about 0.35 ms per KB, and the watchdog (~128k ops
// without a yield) panics the whole program on a PUBLISH of about 8 KB [measured with test/devs];
// a remote peer could crash the firmware that way. The copies here are native (sliceBytes in
// src/util/bytes.ts); every range is checked against the packet first.
import { sliceBytes } from "../util/bytes"

/** A fresh copy of b[start..end); the caller guarantees 0 <= start <= end <= b.length. */
export function copyRange(b: Buffer, start: number, end: number): Buffer {
    return sliceBytes(b, start, end)
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
