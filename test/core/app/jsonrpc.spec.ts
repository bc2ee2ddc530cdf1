import { describe, test, expect, beforeEach } from "@devicescript/test"
import { pause } from "../../../src/util/pause"
import { Dispatcher, handleToText } from "../../../src/rpc/jsonrpc"
import { RpcError } from "../../../src/rpc/errors"

let notified = 0

function makeDispatcher(): Dispatcher {
    const d = new Dispatcher({ maxLength: 300, maxDepth: 4, maxBatch: 3 })
    d.register({
        name: "math.add",
        description: "a + b",
        params: [
            { name: "a", type: "number" },
            { name: "b", type: "number", optional: true },
        ],
        handler: async (p: Record<string, any>) => p["a"] + (p["b"] === undefined ? 0 : p["b"]),
    })
    d.register({
        name: "echo",
        description: "returns text",
        params: [{ name: "text", type: "string", max: 20 }],
        handler: async (p: Record<string, any>) => ({ text: p["text"] }),
    })
    d.register({
        name: "mode.set",
        description: "enum param",
        params: [
            { name: "mode", type: "string", values: ["on", "off"] },
            { name: "n", type: "integer", min: 1, max: 5, optional: true },
        ],
        handler: async (p: Record<string, any>) => p["mode"],
    })
    d.register({
        name: "fail",
        description: "throws",
        handler: async (p: Record<string, any>) => {
            throw new Error("sensor gone")
        },
    })
    d.register({
        name: "fail.code",
        description: "throws an RpcError",
        handler: async (p: Record<string, any>) => {
            throw new RpcError(-32000, "busy", { retryMs: 500 })
        },
    })
    d.register({
        name: "notify",
        description: "counts calls",
        handler: async (p: Record<string, any>) => {
            notified++
            return true
        },
    })
    return d
}

const d = makeDispatcher()

describe("jsonrpc dispatcher", () => {
    beforeEach(async () => {
        await pause()
    })
    test("result with numeric id", async () => {
        expect(await handleToText(d, '{"jsonrpc":"2.0","method":"math.add","params":{"a":2,"b":3},"id":1}')).toBe(
            '{"jsonrpc":"2.0","result":5,"id":1}'
        )
    })
    test("a reply comes as parts no longer than a member of its result, which joined are its text", async () => {
        const big = new Dispatcher()
        let long = ""
        for (let i = 0; i < 60; i++) long += "x"
        big.register({ name: "three", description: "", handler: async () => ({ a: long, b: [long, 1], c: { d: long } }) })
        const parts = (await big.handle('{"jsonrpc":"2.0","method":"three","id":9}')) as string[]
        const text = parts.join("")
        expect(text).toBe('{"jsonrpc":"2.0","result":{"a":"' + long + '","b":["' + long + '",1],"c":{"d":"' + long + '"}},"id":9}')
        // no block of the whole result (about 220 characters) was made: each member is a part of its own
        let longest = 0
        for (const p of parts) longest = Math.max(longest, p.length)
        expect(longest < 80).toBe(true)
        // empty results keep their brackets
        big.register({ name: "empty", description: "", handler: async () => ({ o: {}, l: [] }) })
        expect(await handleToText(big, '{"jsonrpc":"2.0","method":"empty","id":1}')).toBe(
            '{"jsonrpc":"2.0","result":{"o":{},"l":[]},"id":1}'
        )
    })
    test("positional params and string id", async () => {
        expect(await handleToText(d, '{"jsonrpc":"2.0","method":"math.add","params":[1.25,2],"id":"x7"}')).toBe(
            '{"jsonrpc":"2.0","result":3.25,"id":"x7"}'
        )
    })
    test("optional param may be left out, null id is echoed", async () => {
        expect(await handleToText(d, '{"jsonrpc":"2.0","method":"math.add","params":{"a":-0.5},"id":null}')).toBe(
            '{"jsonrpc":"2.0","result":-0.5,"id":null}'
        )
    })
    test("non-ASCII text survives the round trip", async () => {
        expect(await handleToText(d, '{"jsonrpc":"2.0","method":"echo","params":{"text":"K\\u00fcche \\"1\\"\\n"},"id":2}')).toBe(
            '{"jsonrpc":"2.0","result":{"text":"Küche \\"1\\"\\n"},"id":2}'
        )
        expect(await handleToText(d, '{"jsonrpc":"2.0","method":"echo","params":["Grüße"],"id":3}')).toBe(
            '{"jsonrpc":"2.0","result":{"text":"Grüße"},"id":3}'
        )
    })
    test("parse error -32700 with id null", async () => {
        expect(await handleToText(d, '{"jsonrpc":"2.0","method":"echo",')).toBe(
            '{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null}'
        )
        expect(await handleToText(d, "")).toBe('{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null}')
        expect(await handleToText(d, "[1,2")).toBe('{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null}')
    })
    test("invalid request -32600", async () => {
        expect(await handleToText(d, "42")).toBe(
            '{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request","data":"request must be an object"},"id":null}'
        )
        expect(await handleToText(d, '{"method":"echo","id":4}')).toBe(
            '{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request","data":"jsonrpc must be \\"2.0\\""},"id":4}'
        )
        expect(await handleToText(d, '{"jsonrpc":"2.0","method":5,"id":5}')).toBe(
            '{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request","data":"method must be a string"},"id":5}'
        )
        expect(await handleToText(d, '{"jsonrpc":"2.0","method":"echo","params":"hi","id":6}')).toBe(
            '{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request","data":"params must be an object or an array"},"id":6}'
        )
        expect(await handleToText(d, '{"jsonrpc":"2.0","method":"echo","id":{"a":1}}')).toBe(
            '{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request","data":"id must be a string, number or null"},"id":null}'
        )
        // An invalid request is answered even without an id: the id cannot be determined (§5).
        expect(await handleToText(d, '{"jsonrpc":"2.0","method":1}')).toBe(
            '{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request","data":"method must be a string"},"id":null}'
        )
    })
    test("too long and too deep requests are rejected before parsing", async () => {
        let long = '{"jsonrpc":"2.0","method":"echo","params":["'
        while (long.length < 310) long += "abcdefghij"
        long += '"],"id":1}'
        expect(await handleToText(d, long)).toBe(
            '{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request","data":"request longer than 300 characters"},"id":null}'
        )
        expect(await handleToText(d, '{"jsonrpc":"2.0","method":"echo","params":[[[[["x"]]]]],"id":1}')).toBe(
            '{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request","data":"request nested deeper than 4 levels"},"id":null}'
        )
        // Brackets inside strings do not count.
        expect(await handleToText(d, '{"jsonrpc":"2.0","method":"echo","params":["[[[[[{{{{"],"id":1}')).toBe(
            '{"jsonrpc":"2.0","result":{"text":"[[[[[{{{{"},"id":1}'
        )
    })
    test("long requests are scanned in chunks with pauses in between", async () => {
        let pauses = 0
        const big = new Dispatcher({
            maxLength: 4000,
            maxDepth: 3,
            pause: async () => {
                pauses++
                await pause()
            },
        })
        // (a short result: writing a 3000-character escape-heavy string back is a watchdog matter of its own)
        big.register({
            name: "echo",
            description: "",
            params: [{ name: "x", type: "any" }],
            handler: async (p: Record<string, any>) => p["x"].length,
        })
        // 3000 characters of brackets inside a string (not counted), then real nesting at the end
        let inner = ""
        while (inner.length < 3000) inner += '[{\\"[{'
        const head = '{"jsonrpc":"2.0","method":"echo","params":{"x":["' + inner + '",'
        const deep = await handleToText(big, head + '[[["x"]]]],"id":1}')
        expect(deep).toBe(
            '{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request","data":"request nested deeper than 3 levels"},"id":null}'
        )
        expect(pauses > 4).toBe(true)
        const ok = await handleToText(big, head + '1]},"id":2}')
        expect(ok).toBe('{"jsonrpc":"2.0","result":2,"id":2}')
    })
    test("method not found -32601", async () => {
        expect(await handleToText(d, '{"jsonrpc":"2.0","method":"nope","id":7}')).toBe(
            '{"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found","data":"nope"},"id":7}'
        )
    })
    test("invalid params -32602", async () => {
        expect(await handleToText(d, '{"jsonrpc":"2.0","method":"math.add","params":{},"id":8}')).toBe(
            '{"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":"missing parameter \'a\'"},"id":8}'
        )
        expect(await handleToText(d, '{"jsonrpc":"2.0","method":"math.add","params":{"a":"1"},"id":9}')).toBe(
            '{"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":"\'a\' must be a number"},"id":9}'
        )
        expect(await handleToText(d, '{"jsonrpc":"2.0","method":"math.add","params":[1,2,3],"id":10}')).toBe(
            '{"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":"too many parameters (at most 2)"},"id":10}'
        )
        expect(await handleToText(d, '{"jsonrpc":"2.0","method":"math.add","params":{"a":1,"c":2},"id":11}')).toBe(
            '{"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":"unknown parameter \'c\'"},"id":11}'
        )
        expect(await handleToText(d, '{"jsonrpc":"2.0","method":"mode.set","params":{"mode":"dim"},"id":12}')).toBe(
            '{"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":"\'mode\' must be one of on, off"},"id":12}'
        )
        expect(await handleToText(d, '{"jsonrpc":"2.0","method":"mode.set","params":{"mode":"on","n":1.5},"id":13}')).toBe(
            '{"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":"\'n\' must be an integer"},"id":13}'
        )
        expect(await handleToText(d, '{"jsonrpc":"2.0","method":"mode.set","params":{"mode":"on","n":6},"id":14}')).toBe(
            '{"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":"\'n\' is above its maximum"},"id":14}'
        )
        expect(await handleToText(d, '{"jsonrpc":"2.0","method":"echo","params":["abcdefghijabcdefghijX"],"id":15}')).toBe(
            '{"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":"\'text\' is too long"},"id":15}'
        )
        expect(await handleToText(d, '{"jsonrpc":"2.0","method":"math.add","params":{"a":1e400},"id":16}')).toBe(
            '{"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":"\'a\' must be a number"},"id":16}'
        )
    })
    test("a throwing method gives -32603 and the dispatcher keeps working", async () => {
        expect(await handleToText(d, '{"jsonrpc":"2.0","method":"fail","id":17}')).toBe(
            '{"jsonrpc":"2.0","error":{"code":-32603,"message":"Internal error","data":"sensor gone"},"id":17}'
        )
        expect(await handleToText(d, '{"jsonrpc":"2.0","method":"fail.code","id":18}')).toBe(
            '{"jsonrpc":"2.0","error":{"code":-32000,"message":"busy","data":{"retryMs":500}},"id":18}'
        )
        expect(await handleToText(d, '{"jsonrpc":"2.0","method":"math.add","params":[1],"id":19}')).toBe(
            '{"jsonrpc":"2.0","result":1,"id":19}'
        )
    })
    test("notifications get no reply, even on error, but still run", async () => {
        const before = notified
        expect(await handleToText(d, '{"jsonrpc":"2.0","method":"notify"}')).toBe(undefined)
        expect(notified).toBe(before + 1)
        expect(await handleToText(d, '{"jsonrpc":"2.0","method":"nope"}')).toBe(undefined)
        expect(await handleToText(d, '{"jsonrpc":"2.0","method":"math.add","params":{}}')).toBe(undefined)
        expect(await handleToText(d, '{"jsonrpc":"2.0","method":"fail"}')).toBe(undefined)
    })
    test("batches", async () => {
        expect(
            await handleToText(
                d,
                '[{"jsonrpc":"2.0","method":"math.add","params":[1],"id":1},{"jsonrpc":"2.0","method":"notify"},{"jsonrpc":"2.0","method":"nope","id":2}]'
            )
        ).toBe(
            '[{"jsonrpc":"2.0","result":1,"id":1},{"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found","data":"nope"},"id":2}]'
        )
        expect(await handleToText(d, "[]")).toBe(
            '{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request","data":"empty batch"},"id":null}'
        )
        expect(await handleToText(d, "[1]")).toBe(
            '[{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request","data":"request must be an object"},"id":null}]'
        )
        expect(await handleToText(d, '[{"jsonrpc":"2.0","method":"notify"},{"jsonrpc":"2.0","method":"notify"}]')).toBe(undefined)
        expect(await handleToText(d, "[1,2,3,4]")).toBe(
            '{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request","data":"batch larger than 3"},"id":null}'
        )
    })
    test("rpc.list lists every method with its params", async () => {
        const reply = await handleToText(d, '{"jsonrpc":"2.0","method":"rpc.list","id":"l"}')
        const parsed = JSON.parse(reply)
        const names = (parsed["result"] as any[]).map((m) => m["name"]).join(",")
        expect(names).toBe("rpc.list,math.add,echo,mode.set,fail,fail.code,notify")
        const add = (parsed["result"] as any[])[1]
        expect(add["params"][1]["name"]).toBe("b")
        expect(add["params"][1]["optional"]).toBe(true)
        expect(d.describe().length).toBe(7)
        expect(JSON.stringify(add["params"][0])).toBe('{"name":"a","type":"number"}')
    })
})
