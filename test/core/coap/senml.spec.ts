// SenML (RFC 8428) JSON and CBOR, including the RFC's examples. Portable (vitest + simulator):
// the JSON text must be byte-identical on the board (exact numbers, UTF-8 kept).
import { describe, test, expect } from "@devicescript/test"
import {
    SenmlError,
    SenmlRecord,
    jsonString,
    resolveSenml,
    senmlFromCbor,
    senmlFromJson,
    senmlToCbor,
    senmlToJson,
} from "../../../src/coap/formats/senml"
import { CborError } from "../../../src/coap/formats/cbor"

function throwsSenml(f: () => void): boolean {
    try {
        f()
        return false
    } catch (e) {
        return e instanceof SenmlError
    }
}

describe("senml: JSON (RFC 8428 5)", () => {
    test("RFC 8428 5.1.2 multiple data points", () => {
        const pack: SenmlRecord[] = [
            { bn: "urn:dev:ow:10e2073a01080063:", n: "voltage", u: "V", v: 120.1 },
            { n: "current", u: "A", v: 1.2 },
        ]
        expect(senmlToJson(pack)).toBe(
            '[{"bn":"urn:dev:ow:10e2073a01080063:","n":"voltage","u":"V","v":120.1},{"n":"current","u":"A","v":1.2}]'
        )
    })
    test("exact numbers, booleans, strings, times", () => {
        expect(senmlToJson([{ bn: "dev1/", bt: 1320067464, n: "temp", u: "Cel", v: 21.53, t: -5 }])).toBe(
            '[{"bn":"dev1/","bt":1320067464,"n":"temp","u":"Cel","v":21.53,"t":-5}]'
        )
        expect(
            senmlToJson([
                { n: "led", vb: true },
                { n: "msg", vs: 'a"b\\c\n' },
            ])
        ).toBe('[{"n":"led","vb":true},{"n":"msg","vs":"a\\"b\\\\c\\n"}]')
        expect(senmlToJson([])).toBe("[]")
    })
    test("non-ASCII text stays UTF-8 (no \\u00XX mangling)", () => {
        expect(jsonString("\u00e9")).toBe('"\u00e9"')
        expect(Buffer.from(senmlToJson([{ n: "\u00b0C" }])).toString("hex")).toBe("5b7b226e223a22c2b043227d5d")
    })
    test("non-finite values are refused", () => {
        expect(throwsSenml(() => senmlToJson([{ n: "x", v: 1 / 0 }]))).toBe(true)
    })
    test("parse, type checks and must-understand fields (4.4)", () => {
        const p = senmlFromJson('[{"bn":"d/","n":"t","v":21.5,"foo":1},{"n":"b","vb":false}]')
        expect(p.length).toBe(2)
        expect(p[0].bn).toBe("d/")
        expect(p[0].v).toBe(21.5)
        expect(p[1].vb).toBe(false)
        expect(throwsSenml(() => senmlFromJson('[{"n":"t","v":"21"}]'))).toBe(true)
        expect(throwsSenml(() => senmlFromJson('[{"n":"t","v":1,"x_":2}]'))).toBe(true)
        expect(throwsSenml(() => senmlFromJson('{"n":"t"}'))).toBe(true)
        expect(throwsSenml(() => senmlFromJson("[1]"))).toBe(true)
        expect(throwsSenml(() => senmlFromJson("[{"))).toBe(true)
    })
    test("resolution applies base fields (4.6)", () => {
        const r = resolveSenml([
            { bn: "dev/", bt: 1000, bu: "Cel", n: "a", v: 1, t: 1 },
            { n: "b", v: 2 },
            { bn: "x/", n: "c", vs: "s", u: "V" },
        ])
        expect(r[0].n).toBe("dev/a")
        expect(r[0].t).toBe(1001)
        expect(r[0].u).toBe("Cel")
        expect(r[1].n).toBe("dev/b")
        expect(r[1].t).toBe(1000)
        expect(r[2].n).toBe("x/c")
        expect(r[2].u).toBe("V")
        expect(r[2].v).toBe(undefined)
        expect(r[2].bn).toBe(undefined)
    })
})

describe("senml: CBOR (RFC 8428 6)", () => {
    test("integer labels: bn -2, n 0, u 1, v 2, vb 4, t 6", () => {
        const b = senmlToCbor([{ bn: "d/", n: "t", u: "Cel", v: 21, t: 6 }])
        // [ { -2: "d/", 0: "t", 1: "Cel", 2: 21, 6: 6 } ]
        expect(b.toString("hex")).toBe("81a5" + "21" + "62642f" + "00" + "6174" + "01" + "6343656c" + "02" + "15" + "06" + "06")
        expect(senmlToCbor([{ n: "x", vb: true }]).toString("hex")).toBe("81a2006178" + "04f5")
    })
    test("RFC 8428 6 example (5.1.2 pack as CBOR) round trips", () => {
        const pack: SenmlRecord[] = [
            { bn: "urn:dev:ow:10e2073a01080063:", n: "voltage", u: "V", v: 120.1 },
            { n: "current", u: "A", v: 1.2 },
        ]
        const back = senmlFromCbor(senmlToCbor(pack))
        expect(senmlToJson(back)).toBe(senmlToJson(pack))
    })
    test("text labels are accepted, unknown ones ignored, must-understand refused", () => {
        // [{"n": "a", "v": 1}] with text keys
        expect(senmlFromCbor(Buffer.from("81a2616e6161617601", "hex"))[0].n).toBe("a")
        // label 9 (unknown, positive) ignored
        expect(senmlFromCbor(Buffer.from("81a20061610901", "hex"))[0].n).toBe("a")
        // label -20 (negative beyond the base fields) refused
        expect(throwsSenml(() => senmlFromCbor(Buffer.from("81a13301", "hex")))).toBe(true)
        // the edges of the label table: -6 is bs, -7 is refused, 7 is ut, 8 is ignored
        expect(senmlFromCbor(Buffer.from("81a12503", "hex"))[0].bs).toBe(3)
        expect(throwsSenml(() => senmlFromCbor(Buffer.from("81a12603", "hex")))).toBe(true)
        expect(senmlFromCbor(Buffer.from("81a10703", "hex"))[0].ut).toBe(3)
        const r8 = senmlFromCbor(Buffer.from("81a2006161080a", "hex"))[0] as any
        expect(r8.n).toBe("a")
        expect(Object.keys(r8).length).toBe(1)
        expect(throwsSenml(() => senmlFromCbor(Buffer.from("a0", "hex")))).toBe(true)
        expect(throwsSenml(() => senmlFromCbor(Buffer.from("8101", "hex")))).toBe(true)
        // v (label 2) must be a number
        expect(throwsSenml(() => senmlFromCbor(Buffer.from("81a1026161", "hex")))).toBe(true)
        expect(senmlFromCbor(Buffer.from("81a10201", "hex"))[0].v).toBe(1)
    })
    test("malformed CBOR raises CborError", () => {
        let caught = false
        try {
            senmlFromCbor(Buffer.from("81a2", "hex"))
        } catch (e) {
            caught = e instanceof CborError
        }
        expect(caught).toBe(true)
    })
})
