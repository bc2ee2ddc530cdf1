// RFC 7252 section 3 and RFC 8323 section 3.2 wire vectors. Portable: runs in vitest and in
// the DeviceScript simulator (test/devs/coap-codec.ts), so only toBe/toThrow are used.
import { describe, test, expect } from "@devicescript/test"
import {
    CoapErrorKind,
    CoapFormatError,
    CoapTcpFrameReader,
    canRejectWithReset,
    decodeMessage,
    decodeTcpMessage,
    encodeMessage,
    encodeTcpMessage,
    tcpFrameLength,
} from "../../../src/coap/codec/codec"
import { CoapCode, CoapMessage, CoapType, getUriPath, newMessage, addOption, setUriPath } from "../../../src/coap/codec/message"

function hex(b: Buffer): string {
    return b.toString("hex")
}
function bytes(h: string): Buffer {
    return Buffer.from(h, "hex")
}
function filled(n: number, v: number): Buffer {
    const b = Buffer.alloc(n)
    for (let i = 0; i < n; i++) b[i] = v
    return b
}
/** The CoapFormatError kind thrown by f, -1 if nothing was thrown, -2 for any other error. */
function errKind(f: () => void): number {
    try {
        f()
        return -1
    } catch (e) {
        if (e instanceof CoapFormatError) return e.kind
        return -2
    }
}
function formatError(f: () => void): CoapFormatError {
    try {
        f()
    } catch (e) {
        if (e instanceof CoapFormatError) return e
    }
    return undefined
}

// RFC 7252 figure 7 style exchange: CON GET /temperature (MID 0x7d34, token 0x71),
// and the piggybacked ACK 2.05 "22.3 C".
const GET_TEMP = "41017d3471bb74656d7065726174757265"
const ACK_CONTENT = "61457d3471ff32322e332043"

describe("coap codec: RFC 7252 header and options", () => {
    test("decodes a CON GET with token and Uri-Path", () => {
        const m = decodeMessage(bytes(GET_TEMP))
        expect(m.type).toBe(CoapType.CON)
        expect(m.code).toBe(CoapCode.GET)
        expect(m.messageId).toBe(0x7d34)
        expect(hex(m.token)).toBe("71")
        expect(m.options.length).toBe(1)
        expect(m.options[0].number).toBe(11)
        expect(getUriPath(m)).toBe("/temperature")
        expect(m.payload.length).toBe(0)
    })
    test("encodes the same GET byte for byte", () => {
        const m = newMessage(CoapType.CON, CoapCode.GET, 0x7d34, bytes("71"))
        setUriPath(m, "/temperature")
        expect(hex(encodeMessage(m))).toBe(GET_TEMP)
    })
    test("piggybacked ACK 2.05 with payload round-trips", () => {
        const m = decodeMessage(bytes(ACK_CONTENT))
        expect(m.type).toBe(CoapType.ACK)
        expect(m.code).toBe(CoapCode.Content)
        expect(m.payload.toString()).toBe("22.3 C")
        expect(hex(encodeMessage(m))).toBe(ACK_CONTENT)
    })
    test("empty CON (CoAP ping) and RST are 4 bytes", () => {
        expect(hex(encodeMessage(newMessage(CoapType.CON, CoapCode.Empty, 0x1234)))).toBe("40001234")
        const r = decodeMessage(bytes("70001234"))
        expect(r.type).toBe(CoapType.RST)
        expect(r.code).toBe(0)
        expect(r.messageId).toBe(0x1234)
    })
    test("8-byte token is the maximum", () => {
        const m = newMessage(CoapType.NON, CoapCode.POST, 1, bytes("0102030405060708"))
        expect(hex(encodeMessage(m))).toBe("5802000101020304050607 08".split(" ").join(""))
        const big = newMessage(CoapType.NON, CoapCode.POST, 1, bytes("010203040506070809"))
        expect(errKind(() => encodeMessage(big))).toBe(CoapErrorKind.BadField)
    })
    test("options are written in number order with deltas, repeated ones kept in order", () => {
        const m = newMessage(CoapType.CON, CoapCode.GET, 2)
        addOption(m, 15, Buffer.from("a=1")) // Uri-Query
        addOption(m, 11, Buffer.from("x")) // Uri-Path
        addOption(m, 11, Buffer.from("y"))
        // 0xb1 'x', 0x01 'y' (delta 0), 0x43 'a=1' (delta 4)
        expect(hex(encodeMessage(m))).toBe("40010002" + "b178" + "0179" + "43613d31")
        expect(getUriPath(decodeMessage(encodeMessage(m)))).toBe("/x/y")
    })
    test("encoder sorts an unsorted option list without touching it", () => {
        const m: CoapMessage = newMessage(CoapType.CON, CoapCode.GET, 2)
        m.options = [
            { number: 15, value: Buffer.from("q") },
            { number: 11, value: Buffer.from("p") },
        ]
        expect(hex(encodeMessage(m))).toBe("40010002" + "b170" + "4171")
        expect(m.options[0].number).toBe(15)
    })
})

/** Message with one option of number `num` and value length `len`, returns the hex after the header. */
function oneOption(num: number, len: number): string {
    const m = newMessage(CoapType.CON, CoapCode.GET, 0)
    addOption(m, num, filled(len, 0x61))
    const e = encodeMessage(m)
    const back = decodeMessage(e)
    expect(back.options.length).toBe(1)
    expect(back.options[0].number).toBe(num)
    expect(back.options[0].value.length).toBe(len)
    return hex(e).slice(8, 8 + 8)
}

describe("coap codec: option delta/length extensions (RFC 7252 3.1)", () => {
    test("delta 12 fits the nibble", () => {
        expect(oneOption(12, 0)).toBe("c0")
    })
    test("delta 13 uses the 1-byte extension with 0", () => {
        expect(oneOption(13, 0)).toBe("d000")
    })
    test("delta 268 is the largest 1-byte extension", () => {
        expect(oneOption(268, 0)).toBe("d0ff")
    })
    test("delta 269 uses the 2-byte extension with 0", () => {
        expect(oneOption(269, 0)).toBe("e00000")
    })
    test("option number 65535 is the largest", () => {
        expect(oneOption(65535, 0)).toBe("e0fef2")
    })
    test("length 12, 13, 268, 269", () => {
        expect(oneOption(1, 12)).toBe("1c616161")
        expect(oneOption(1, 13)).toBe("1d006161")
        expect(oneOption(1, 268)).toBe("1dff6161")
        expect(oneOption(1, 269)).toBe("1e000061")
    })
    test("delta 65804 (14 + 0xffff) decodes but overflows the 16-bit option number", () => {
        expect(errKind(() => decodeMessage(bytes("40010000e0ffff")))).toBe(CoapErrorKind.OptionNumberOverflow)
    })
    test("both nibbles extended in one option: delta 13+1, length 269+1", () => {
        const e = bytes("40010000" + "de" + "01" + "0001" + hex(filled(270, 0x7a)))
        const m = decodeMessage(e)
        expect(m.options[0].number).toBe(14)
        expect(m.options[0].value.length).toBe(270)
        expect(hex(encodeMessage(m))).toBe(hex(e))
    })
})

describe("coap codec: malformed datagrams (RFC 7252 3, 4.1)", () => {
    test("shorter than the header", () => {
        expect(errKind(() => decodeMessage(bytes("4001")))).toBe(CoapErrorKind.Truncated)
        expect(formatError(() => decodeMessage(bytes("400100"))).messageId).toBe(-1)
    })
    test("version other than 1 is reported as BadVersion and must not be reset", () => {
        const e = formatError(() => decodeMessage(bytes("80010001")))
        expect(e.kind).toBe(CoapErrorKind.BadVersion)
        expect(canRejectWithReset(e)).toBe(false)
    })
    test("TKL 9..15 is a format error that still carries type and message id", () => {
        const e = formatError(() => decodeMessage(bytes("49010abc" + "010203040506070809")))
        expect(e.kind).toBe(CoapErrorKind.BadTokenLength)
        expect(e.type).toBe(CoapType.CON)
        expect(e.messageId).toBe(0x0abc)
        expect(canRejectWithReset(e)).toBe(true)
        expect(errKind(() => decodeMessage(bytes("4f010abc")))).toBe(CoapErrorKind.BadTokenLength)
    })
    test("token longer than the datagram", () => {
        expect(errKind(() => decodeMessage(bytes("42010001aa")))).toBe(CoapErrorKind.Truncated)
    })
    test("option nibble 15 that is not the payload marker", () => {
        expect(errKind(() => decodeMessage(bytes("40010001f0")))).toBe(CoapErrorKind.ReservedNibble)
        expect(errKind(() => decodeMessage(bytes("40010001bf")))).toBe(CoapErrorKind.ReservedNibble)
        expect(errKind(() => decodeMessage(bytes("400100011f")))).toBe(CoapErrorKind.ReservedNibble)
    })
    test("payload marker followed by nothing", () => {
        const e = formatError(() => decodeMessage(bytes("50020007ff")))
        expect(e.kind).toBe(CoapErrorKind.EmptyPayload)
        expect(e.type).toBe(CoapType.NON)
        expect(e.code).toBe(CoapCode.POST)
    })
    test("truncated option extension and value", () => {
        expect(errKind(() => decodeMessage(bytes("40010001d0")))).toBe(CoapErrorKind.Truncated)
        expect(errKind(() => decodeMessage(bytes("40010001e000")))).toBe(CoapErrorKind.Truncated)
        expect(errKind(() => decodeMessage(bytes("40010001b37878")))).toBe(CoapErrorKind.Truncated)
    })
    test("empty message (0.00) with a token, an option or a payload", () => {
        expect(errKind(() => decodeMessage(bytes("41000001aa")))).toBe(CoapErrorKind.EmptyNotEmpty)
        expect(errKind(() => decodeMessage(bytes("40000001b161")))).toBe(CoapErrorKind.EmptyNotEmpty)
        expect(errKind(() => decodeMessage(bytes("40000001ff61")))).toBe(CoapErrorKind.EmptyNotEmpty)
    })
    test("ACK and RST are never answered with RST", () => {
        expect(canRejectWithReset(formatError(() => decodeMessage(bytes("6045000fff"))))).toBe(false)
        expect(canRejectWithReset(formatError(() => decodeMessage(bytes("7045000fff"))))).toBe(false)
        expect(canRejectWithReset(formatError(() => decodeMessage(bytes("5045000fff"))))).toBe(true)
    })
})

function readInChunks(stream: Buffer, step: number): CoapMessage[] {
    const r = new CoapTcpFrameReader(1152)
    const got: CoapMessage[] = []
    for (let i = 0; i < stream.length; i += step) {
        const end = i + step < stream.length ? i + step : stream.length
        const chunk = Buffer.alloc(end - i)
        for (let j = i; j < end; j++) chunk[j - i] = stream[j]
        r.push(chunk)
        let m = r.nextMessage()
        while (m !== undefined) {
            got.push(m)
            m = r.nextMessage()
        }
    }
    expect(r.pending()).toBe(0)
    return got
}

describe("coap codec: RFC 8323 TCP framing", () => {
    test("GET with token: Len counts options and payload only", () => {
        const m = decodeMessage(bytes(GET_TEMP))
        // Len 12 (0xbb + 11 bytes), TKL 1
        expect(hex(encodeTcpMessage(m))).toBe("c10171bb74656d7065726174757265")
        const back = decodeTcpMessage(bytes("c10171bb74656d7065726174757265"))
        expect(getUriPath(back)).toBe("/temperature")
        expect(hex(back.token)).toBe("71")
    })
    test("empty CSM is two bytes", () => {
        expect(hex(encodeTcpMessage(newMessage(CoapType.CON, CoapCode.CSM, 0)))).toBe("00e1")
    })
    test("Len 12/13/268/269 boundaries pick the 13/14 extensions", () => {
        // (65804/65805 frames do not fit the board's 64 KB heap: encoded in test/node/coap)
        const lens = [12, 13, 268, 269]
        const heads = ["c0", "d000", "d0ff", "e00000"]
        for (let i = 0; i < lens.length; i++) {
            const m = newMessage(CoapType.CON, CoapCode.Content, 0)
            m.payload = filled(lens[i] - 1, 0x41) // Len = marker + payload
            const e = encodeTcpMessage(m)
            expect(hex(e.slice(0, heads[i].length / 2))).toBe(heads[i])
            expect(tcpFrameLength(e, 0)).toBe(e.length)
            expect(decodeTcpMessage(e).payload.length).toBe(lens[i] - 1)
        }
    })
    test("frame length needs the full extension before it is known", () => {
        expect(tcpFrameLength(bytes("e0"), 0)).toBe(-1)
        expect(tcpFrameLength(bytes("e000"), 0)).toBe(-1)
        expect(tcpFrameLength(bytes("e00000"), 0)).toBe(2 + 2 + 269)
        expect(tcpFrameLength(bytes("e0ffff"), 0)).toBe(2 + 2 + 65804)
        expect(tcpFrameLength(bytes("f0000000"), 0)).toBe(-1)
        expect(tcpFrameLength(bytes("f000000000"), 0)).toBe(2 + 4 + 65805)
        expect(tcpFrameLength(bytes("f3ffffffff"), 0)).toBe(2 + 4 + 3 + 65805 + 4294967295)
    })
    test("malformed frames", () => {
        expect(errKind(() => decodeTcpMessage(bytes("09e1")))).toBe(CoapErrorKind.BadTokenLength)
        expect(errKind(() => decodeTcpMessage(bytes("10e1")))).toBe(CoapErrorKind.BadFrameLength)
        expect(errKind(() => decodeTcpMessage(bytes("10e1ff00")))).toBe(CoapErrorKind.BadFrameLength)
        expect(errKind(() => decodeTcpMessage(bytes("10e1ff")))).toBe(CoapErrorKind.EmptyPayload)
        expect(errKind(() => decodeTcpMessage(bytes("d0")))).toBe(CoapErrorKind.Truncated)
        expect(formatError(() => decodeTcpMessage(bytes("09e1"))).messageId).toBe(-1)
    })
    test("frame reader reassembles frames from 1-byte and 16-byte chunks", () => {
        // (1-byte chunks only over a short stream: the simulator's watchdog counts every op)
        const a = encodeTcpMessage(decodeMessage(bytes(GET_TEMP)))
        for (const step of [1, 16]) {
            const big = newMessage(CoapType.CON, CoapCode.Content, 0, bytes("aabb"))
            big.payload = filled(step === 1 ? 20 : 300, 0x42)
            const b = encodeTcpMessage(big)
            const stream = Buffer.alloc(a.length + b.length)
            stream.set(a, 0)
            stream.set(b, a.length)
            const got = readInChunks(stream, step)
            expect(got.length).toBe(2)
            expect(getUriPath(got[0])).toBe("/temperature")
            expect(got[1].payload.length).toBe(big.payload.length)
            expect(got[1].payload[big.payload.length - 1]).toBe(0x42)
            expect(hex(got[1].token)).toBe("aabb")
        }
    })
    test("frame reader refuses a frame over its limit as soon as the header says so", () => {
        const r = new CoapTcpFrameReader(64)
        r.push(bytes("e0ff"))
        expect(r.nextFrame()).toBe(undefined)
        r.push(bytes("ff"))
        expect(errKind(() => r.nextFrame())).toBe(CoapErrorKind.BadFrameLength)
    })
})
