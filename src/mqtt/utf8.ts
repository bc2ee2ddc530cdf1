// 1.5.3 UTF-8 encoded strings: a 2-byte big-endian length, then well-formed UTF-8 (RFC 3629)
// with no U+0000 [MQTT-1.5.3-2] and no surrogates U+D800..U+DFFF [MQTT-1.5.3-1].
//
// We validate raw bytes ourselves because Buffer.toString() in both runtimes silently turns
// invalid bytes into U+FFFD, which would let a malformed packet through.
// Hot paths (utf8Bytes, utf8String) let the runtime convert and only fall back to the byte
// loops below for non-ASCII text: in the DeviceScript VM a bytecode loop per character costs
// several times a native Buffer.from/toString, and long loops trip the watchdog.
// Strings are walked with charCodeAt, which works in both runtimes: Node yields UTF-16 units
// (surrogate pairs are joined here), DeviceScript yields whole code points (> 0xFFFF directly).

import { MqttProtocolError } from "./errors"
import { textAt } from "./native-bytes"

/** Throws unless b[start..end) is well-formed UTF-8 without U+0000. */
export function checkUtf8(b: Buffer, start: number, end: number): void {
    let i = start
    while (i < end) {
        const c = b[i]
        if (c < 0x80) {
            if (c === 0) throw new MqttProtocolError("MQTT-1.5.3-2", "U+0000 in a string")
            i++
            continue
        }
        let need = 0
        let lo = 0x80
        let hi = 0xbf
        if (c >= 0xc2 && c <= 0xdf) need = 1
        else if (c >= 0xe0 && c <= 0xef) {
            need = 2
            if (c === 0xe0) lo = 0xa0 // overlong
            else if (c === 0xed) hi = 0x9f // U+D800..U+DFFF
        } else if (c >= 0xf0 && c <= 0xf4) {
            need = 3
            if (c === 0xf0) lo = 0x90 // overlong
            else if (c === 0xf4) hi = 0x8f // above U+10FFFF
        } else throw new MqttProtocolError("MQTT-1.5.3-1", "invalid UTF-8 lead byte")
        if (i + need >= end)
            throw new MqttProtocolError("MQTT-1.5.3-1", "truncated UTF-8 sequence")
        const c1 = b[i + 1]
        if (c1 < lo || c1 > hi) throw new MqttProtocolError("MQTT-1.5.3-1", "invalid UTF-8 continuation")
        for (let k = 2; k <= need; k++) {
            const ck = b[i + k]
            if (ck < 0x80 || ck > 0xbf) throw new MqttProtocolError("MQTT-1.5.3-1", "invalid UTF-8 continuation")
        }
        i += need + 1
    }
}

/** UTF-8 byte length of s; throws on U+0000 or a lone surrogate (which have no valid encoding). */
export function utf8Length(s: string): number {
    let n = 0
    const len = s.length
    for (let i = 0; i < len; i++) {
        const c = s.charCodeAt(i)
        if (c < 0x80) {
            if (c === 0) throw new MqttProtocolError("MQTT-1.5.3-2", "U+0000 in a string")
            n += 1
        } else if (c < 0x800) n += 2
        else if (c >= 0xd800 && c <= 0xdfff) {
            const d = i + 1 < len ? s.charCodeAt(i + 1) : 0
            if (c > 0xdbff || d < 0xdc00 || d > 0xdfff)
                throw new MqttProtocolError("MQTT-1.5.3-1", "lone surrogate in a string")
            n += 4
            i++
        } else if (c < 0x10000) n += 3
        else n += 4
    }
    return n
}

/**
 * s as UTF-8 bytes, checked per 1.5.3 (no U+0000, no lone surrogates). ASCII text, where the
 * byte count equals the string length in both runtimes, needs only a native NUL search.
 */
export function utf8Bytes(s: string): Buffer {
    const b = Buffer.from(s)
    if (b.length === s.length) {
        if (b.indexOf(0) >= 0) throw new MqttProtocolError("MQTT-1.5.3-2", "U+0000 in a string")
    } else {
        utf8Length(s) // Node turns a lone surrogate into U+FFFD bytes: refuse it from the string
        checkUtf8(b, 0, b.length) // and whatever bytes the runtime produced must be well-formed
    }
    return b
}

/**
 * The string held in b[start..end), checked per 1.5.3 before it is trusted. Both runtimes turn
 * invalid bytes into U+FFFD, so a result as long as its byte count and without U+FFFD is plain
 * ASCII; anything else goes through the strict byte check.
 */
export function utf8String(b: Buffer, start: number, end: number): string {
    const s = textAt(b, start, end)
    if (s.length !== end - start || s.indexOf("\uFFFD") >= 0) checkUtf8(b, start, end)
    else {
        const z = b.indexOf(0, start)
        if (z >= 0 && z < end) throw new MqttProtocolError("MQTT-1.5.3-2", "U+0000 in a string")
    }
    return s
}
