// 1.5.3 UTF-8 encoded strings: a 2-byte big-endian length, then well-formed UTF-8 (RFC 3629)
// with no U+0000 [MQTT-1.5.3-2] and no surrogates U+D800..U+DFFF [MQTT-1.5.3-1].
//
// We validate raw bytes ourselves because Buffer.toString() in both runtimes silently turns
// invalid bytes into U+FFFD, which would let a malformed packet through.
// Encoding is hand written so the encoder can size the packet first and write the string
// straight into the one packet buffer (no Buffer.from(str) temporary).
// Strings are walked with charCodeAt, which works in both runtimes: Node yields UTF-16 units
// (surrogate pairs are joined here), DeviceScript yields whole code points (> 0xFFFF directly).

import { MqttProtocolError } from "./errors"

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

/** Writes s as UTF-8 at b[o..]; s must have passed utf8Length. Returns the offset after it. */
export function writeUtf8(b: Buffer, o: number, s: string): number {
    const len = s.length
    for (let i = 0; i < len; i++) {
        let c = s.charCodeAt(i)
        if (c < 0x80) b[o++] = c
        else if (c < 0x800) {
            b[o++] = 0xc0 | (c >> 6)
            b[o++] = 0x80 | (c & 0x3f)
        } else {
            if (c >= 0xd800 && c <= 0xdbff) {
                c = 0x10000 + ((c - 0xd800) << 10) + (s.charCodeAt(i + 1) - 0xdc00)
                i++
            }
            if (c < 0x10000) {
                b[o++] = 0xe0 | (c >> 12)
                b[o++] = 0x80 | ((c >> 6) & 0x3f)
                b[o++] = 0x80 | (c & 0x3f)
            } else {
                b[o++] = 0xf0 | (c >> 18)
                b[o++] = 0x80 | ((c >> 12) & 0x3f)
                b[o++] = 0x80 | ((c >> 6) & 0x3f)
                b[o++] = 0x80 | (c & 0x3f)
            }
        }
    }
    return o
}
