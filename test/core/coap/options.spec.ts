// Option registry, critical/elective handling (RFC 7252 5.4) and Block values (RFC 7959 2.2),
// plus the message-model helpers. Portable (vitest + simulator).
import { describe, test, expect } from "@devicescript/test"
import {
    BlockValue,
    OptionNumber,
    optionRegistry,
    blockOffset,
    decodeBlock,
    encodeBlock,
    findOptionDef,
    firstBadCriticalOption,
    isCritical,
    isNoCacheKey,
    isRecognisedOption,
    isUnsafe,
    recognisedOptions,
    sizeToSzx,
    szxToSize,
    isReservedSzx,
    findSignalingOptionDef,
} from "../../../src/coap/codec/options"
import {
    CoapCode,
    CoapOption,
    CoapType,
    addOption,
    codeToString,
    decodeUint,
    encodeUint,
    getOption,
    getOptions,
    getUintOption,
    getUriPath,
    getUriQuery,
    isRequestCode,
    isResponseCode,
    isSignalingCode,
    makeCode,
    newMessage,
    removeOption,
    setOption,
    setUintOption,
    setUriPath,
    setUriQuery,
    splitPath,
    getLocationPath,
    setLocationPath,
    getContentFormat,
    setContentFormat,
    ContentFormat,
} from "../../../src/coap/codec/message"

function opt(num: number, len: number): CoapOption {
    return { number: num, value: Buffer.alloc(len) }
}

describe("coap options: registry (RFC 7252 5.10, 7641, 7959, 7967)", () => {
    test("every registered number is present with its name", () => {
        const nums = [1, 3, 4, 5, 6, 7, 8, 11, 12, 14, 15, 17, 20, 23, 27, 28, 35, 39, 60, 258]
        const registry = optionRegistry()
        expect(registry.length).toBe(nums.length)
        for (let i = 0; i < nums.length; i++) expect(registry[i].number).toBe(nums[i])
        expect(findOptionDef(6).name).toBe("Observe")
        expect(findOptionDef(258).name).toBe("No-Response")
        expect(findOptionDef(35).maxLength).toBe(1034)
        expect(findOptionDef(2)).toBe(undefined)
        expect(findOptionDef(3).minLength).toBe(1)
        expect(findOptionDef(11).repeatable).toBe(true)
        expect(findOptionDef(12).repeatable).toBe(false)
    })
    test("critical, unsafe and no-cache-key come from the number bits (5.4.6)", () => {
        // RFC 7252 table 4 columns C, U, N
        expect(isCritical(OptionNumber.IfMatch)).toBe(true)
        expect(isCritical(OptionNumber.ETag)).toBe(false)
        expect(isCritical(OptionNumber.UriPath)).toBe(true)
        expect(isUnsafe(OptionNumber.UriHost)).toBe(true)
        expect(isUnsafe(OptionNumber.UriPath)).toBe(true)
        expect(isUnsafe(OptionNumber.ContentFormat)).toBe(false)
        expect(isUnsafe(OptionNumber.MaxAge)).toBe(true)
        expect(isNoCacheKey(OptionNumber.Size1)).toBe(true)
        expect(isNoCacheKey(OptionNumber.Size2)).toBe(true)
        expect(isNoCacheKey(OptionNumber.Accept)).toBe(false)
        expect(isCritical(OptionNumber.Block2)).toBe(true)
        expect(isCritical(OptionNumber.Observe)).toBe(false)
    })
    test("first unrecognised critical option, elective ones ignored (5.4.1)", () => {
        // 9 is unregistered critical, 2 and 10 unregistered elective
        expect(firstBadCriticalOption(CoapCode.GET, [opt(2, 1), opt(11, 3), opt(10, 0)])).toBe(-1)
        expect(firstBadCriticalOption(CoapCode.GET, [opt(2, 1), opt(9, 0), opt(11, 3), opt(13, 0)])).toBe(9)
        expect(firstBadCriticalOption(CoapCode.Content, [opt(2049, 2)])).toBe(2049)
    })
    test("a length out of range makes the option unrecognised (5.4.3)", () => {
        // Uri-Host (critical) 0 bytes, If-None-Match (critical) with a value, Block2 4 bytes
        expect(firstBadCriticalOption(CoapCode.GET, [opt(3, 0)])).toBe(3)
        expect(firstBadCriticalOption(CoapCode.GET, [opt(5, 1)])).toBe(5)
        expect(firstBadCriticalOption(CoapCode.GET, [opt(23, 4)])).toBe(23)
        expect(firstBadCriticalOption(CoapCode.GET, [opt(23, 3), opt(60, 4)])).toBe(-1)
        // ETag (elective) of 9 bytes is dropped silently
        expect(firstBadCriticalOption(CoapCode.Content, [opt(4, 9)])).toBe(-1)
        expect(recognisedOptions(CoapCode.Content, [opt(4, 9), opt(12, 1)]).length).toBe(1)
    })
    test("a repeated non-repeatable option is unrecognised from its second occurrence (5.4.5)", () => {
        expect(firstBadCriticalOption(CoapCode.GET, [opt(11, 1), opt(11, 1), opt(11, 1)])).toBe(-1)
        expect(firstBadCriticalOption(CoapCode.GET, [opt(7, 1), opt(7, 1)])).toBe(7)
        expect(isRecognisedOption(CoapCode.GET, opt(12, 1), 0)).toBe(true)
        expect(isRecognisedOption(CoapCode.GET, opt(12, 1), 1)).toBe(false)
        // second Content-Format (elective) is dropped, the first kept
        expect(recognisedOptions(CoapCode.PUT, [opt(12, 1), opt(12, 2)]).length).toBe(1)
    })
    test("signaling options depend on the 7.xx code (RFC 8323 5.3-5.6)", () => {
        expect(findSignalingOptionDef(CoapCode.CSM, 2).name).toBe("Max-Message-Size")
        expect(findSignalingOptionDef(CoapCode.Release, 4).name).toBe("Hold-Off")
        expect(findSignalingOptionDef(CoapCode.Abort, 2).name).toBe("Bad-CSM-Option")
        expect(firstBadCriticalOption(CoapCode.CSM, [opt(2, 2), opt(4, 0)])).toBe(-1)
        expect(firstBadCriticalOption(CoapCode.CSM, [opt(3, 0)])).toBe(3)
        // 11 is Uri-Path for requests but unknown (critical) in a CSM
        expect(firstBadCriticalOption(CoapCode.CSM, [opt(11, 1)])).toBe(11)
    })
})

describe("coap options: Block1/Block2 values (RFC 7959 2.2)", () => {
    test("szx <-> size", () => {
        expect(szxToSize(0)).toBe(16)
        expect(szxToSize(6)).toBe(1024)
        expect(sizeToSzx(16)).toBe(0)
        expect(sizeToSzx(1024)).toBe(6)
        expect(sizeToSzx(4096)).toBe(6)
        expect(sizeToSzx(100)).toBe(2)
        expect(sizeToSzx(8)).toBe(0)
        expect(isReservedSzx(7)).toBe(true)
        expect(isReservedSzx(6)).toBe(false)
    })
    test("block values from RFC 7959 figures", () => {
        // Block2 0/1/128 -> value 0x0e? : num 0, M=1, szx 6 (1024) is 0x0e = 14
        expect(encodeBlock({ num: 0, more: true, szx: 6 })).toBe(14)
        // num 2, M=0, szx 6 -> 0x26
        expect(encodeBlock({ num: 2, more: false, szx: 6 })).toBe(0x26)
        const b: BlockValue = decodeBlock(0x1a) // num 1, M=1, szx 2 (64 bytes)
        expect(b.num).toBe(1)
        expect(b.more).toBe(true)
        expect(b.szx).toBe(2)
        expect(blockOffset(b)).toBe(64)
        // largest 3-byte value: num 2^20-1
        const big = decodeBlock(0xfffff6)
        expect(big.num).toBe(1048575)
        expect(big.more).toBe(false)
        expect(big.szx).toBe(6)
        expect(encodeBlock(big)).toBe(0xfffff6)
    })
    test("block value as a uint option is 0..3 bytes", () => {
        expect(encodeUint(encodeBlock({ num: 0, more: false, szx: 0 })).length).toBe(0)
        expect(encodeUint(encodeBlock({ num: 15, more: true, szx: 6 })).length).toBe(1)
        expect(encodeUint(encodeBlock({ num: 16, more: true, szx: 6 })).length).toBe(2)
        expect(encodeUint(encodeBlock({ num: 4096, more: true, szx: 6 })).length).toBe(3)
    })
})

describe("coap message model helpers", () => {
    test("codes", () => {
        expect(codeToString(CoapCode.Content)).toBe("2.05")
        expect(codeToString(CoapCode.Continue)).toBe("2.31")
        expect(codeToString(CoapCode.UnsupportedContentFormat)).toBe("4.15")
        expect(codeToString(CoapCode.GET)).toBe("0.01")
        expect(codeToString(CoapCode.Abort)).toBe("7.05")
        expect(makeCode(4, 4)).toBe(CoapCode.NotFound)
        expect(makeCode(5, 3)).toBe(CoapCode.ServiceUnavailable)
        expect(isRequestCode(CoapCode.DELETE)).toBe(true)
        expect(isRequestCode(CoapCode.Empty)).toBe(false)
        expect(isResponseCode(CoapCode.GatewayTimeout)).toBe(true)
        expect(isResponseCode(CoapCode.CSM)).toBe(false)
        expect(isSignalingCode(CoapCode.Pong)).toBe(true)
    })
    test("uint values are minimal big-endian, 0 is empty (3.2)", () => {
        expect(encodeUint(0).length).toBe(0)
        expect(encodeUint(255).toString("hex")).toBe("ff")
        expect(encodeUint(256).toString("hex")).toBe("0100")
        expect(encodeUint(0xffffff).toString("hex")).toBe("ffffff")
        expect(encodeUint(4294967295).toString("hex")).toBe("ffffffff")
        expect(encodeUint(3000000000).toString("hex")).toBe("b2d05e00")
        expect(decodeUint(Buffer.from("ffffffff", "hex"))).toBe(4294967295)
        expect(decodeUint(Buffer.from("0001", "hex"))).toBe(1)
    })
    test("set/add/remove keep the list sorted and stable", () => {
        const m = newMessage(CoapType.CON, CoapCode.GET, 1)
        setUriQuery(m, ["a=1", "b"])
        setUriPath(m, "/sensors/temperature")
        setUintOption(m, 6, 0)
        setContentFormat(m, ContentFormat.SenmlJson)
        const nums: number[] = []
        for (const o of m.options) nums.push(o.number)
        expect(nums.join(",")).toBe("6,11,11,12,15,15")
        expect(getUriPath(m)).toBe("/sensors/temperature")
        expect(getUriQuery(m).join("&")).toBe("a=1&b")
        expect(getUintOption(m, 6)).toBe(0)
        expect(getContentFormat(m)).toBe(110)
        expect(getUintOption(m, 17)).toBe(undefined)
        setUriPath(m, "/x")
        expect(getOptions(m, 11).length).toBe(1)
        expect(getUriPath(m)).toBe("/x")
        addOption(m, 11, Buffer.from("y"))
        expect(getUriPath(m)).toBe("/x/y")
        setOption(m, 4, Buffer.from("0102", "hex"))
        expect(getOption(m, 4).toString("hex")).toBe("0102")
        removeOption(m, 15)
        expect(getOption(m, 15)).toBe(undefined)
        expect(m.options[0].number).toBe(4)
    })
    test("paths", () => {
        expect(splitPath("/").length).toBe(0)
        expect(splitPath("").length).toBe(0)
        expect(splitPath("a/b").join("|")).toBe("a|b")
        expect(splitPath("/a/").join("|")).toBe("a|")
        const m = newMessage(CoapType.ACK, CoapCode.Created, 1)
        expect(getUriPath(m)).toBe("/")
        setLocationPath(m, "/rd/4521")
        expect(getLocationPath(m)).toBe("/rd/4521")
    })
})
