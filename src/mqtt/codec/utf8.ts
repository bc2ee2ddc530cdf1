// 1.5.3 UTF-8 encoded strings: a 2-byte big-endian length, then well-formed UTF-8 (RFC 3629)
// with no U+0000 [MQTT-1.5.3-2] and no surrogates U+D800..U+DFFF [MQTT-1.5.3-1].
//
// We validate raw bytes ourselves because Buffer.toString() in both runtimes silently turns
// invalid bytes into U+FFFD, which would let a malformed packet through.
// Conversions and checks on the hot paths are native (Buffer.from/toString/indexOf): in the
// DeviceScript VM a bytecode loop per byte costs several times a native call, and long loops
// trip the watchdog (~128k ops without a yield panics the program).

import { fail } from "./errors"

/** Throws unless b[start..end) is well-formed UTF-8 without U+0000. */
export function checkUtf8(b: Buffer, start: number, end: number): void {
    let i = start
    while (i < end) {
        const c = b[i]
        if (c < 0x80) {
            if (c === 0) fail("MQTT-1.5.3-2", "U+0000 in a string")
            i++
            continue
        }
        let need = 0
        let lo = 0x80
        let hi = 0xbf
        if (c >= 0xc2 && c <= 0xdf) need = 1
        else if (c >= 0xe0 && c <= 0xef) {
            need = 2
            if (c === 0xe0)
                lo = 0xa0 // overlong
            else if (c === 0xed) hi = 0x9f // U+D800..U+DFFF
        } else if (c >= 0xf0 && c <= 0xf4) {
            need = 3
            if (c === 0xf0)
                lo = 0x90 // overlong
            else if (c === 0xf4) hi = 0x8f // above U+10FFFF
        } else fail("MQTT-1.5.3-1", "invalid UTF-8 lead byte")
        if (i + need >= end) fail("MQTT-1.5.3-1", "truncated UTF-8 sequence")
        const c1 = b[i + 1]
        if (c1 < lo || c1 > hi) fail("MQTT-1.5.3-1", "invalid UTF-8 continuation")
        for (let k = 2; k <= need; k++) {
            const ck = b[i + k]
            if (ck < 0x80 || ck > 0xbf) fail("MQTT-1.5.3-1", "invalid UTF-8 continuation")
        }
        i += need + 1
    }
}

/**
 * s as UTF-8 bytes, checked per 1.5.3 (no U+0000, no lone surrogates), converted natively.
 * A lone surrogate has no UTF-8 form: Node writes U+FFFD's bytes for it, so in both runtimes
 * such text does not survive the round trip through bytes; whole text compares natively.
 */
export function utf8Bytes(s: string): Buffer {
    const b = Buffer.from(s)
    if (b.length !== s.length && b.toString("utf-8") !== s) fail("MQTT-1.5.3-1", "string with a lone surrogate")
    if (b.indexOf(0) >= 0) fail("MQTT-1.5.3-2", "U+0000 in a string")
    return b
}

/**
 * The string held in b[start..end), checked per 1.5.3 before it is trusted, with native calls
 * only (a byte loop here let a 4 KB non-ASCII topic trip the DeviceScript watchdog):
 * - plain ASCII: the decoded text is as long as its byte count and has no U+FFFD;
 * - otherwise the text must re-encode to exactly the received bytes. Both runtimes decode
 *   ill-formed input (overlong, surrogate, > U+10FFFF, stray or missing continuation) to U+FFFD,
 *   whose bytes EF BF BD differ from it, so only well-formed UTF-8 survives the round trip.
 *   (checkUtf8 is the byte-level reference; the tests hold the two to the same answers.)
 */
export function utf8String(b: Buffer, start: number, end: number): string {
    // slice() copies in DeviceScript and is a view in Node: either way it dies here
    const bytes = b.slice(start, end)
    const s = bytes.toString("utf-8")
    const n = end - start
    if (s.length !== n || s.indexOf("\uFFFD") >= 0) {
        const re = Buffer.from(s)
        // compared 1 KB at a time: hex doubles the size and the device heap is small
        // (DeviceScript's slice() does not clamp its end, hence the min)
        for (let k = 0; k < n; k += 1024) {
            const e = Math.min(k + 1024, n)
            if (re.length !== n || re.slice(k, e).toString("hex") !== bytes.slice(k, e).toString("hex"))
                fail("MQTT-1.5.3-1", "ill-formed UTF-8")
        }
    }
    if (bytes.indexOf(0) >= 0) fail("MQTT-1.5.3-2", "U+0000 in a string")
    return s
}
