// The HTTP front's RFC 8075 tables: status codes and media types.
import { describe, expect, test } from "vitest"
import { contentFormatOf, httpStatusOf, mediaTypeOf } from "../../../src/host/gateway/http-front"

const c = (cls: number, detail: number) => (cls << 5) | detail

describe("RFC 8075 mapping", () => {
    test("response codes (section 7)", () => {
        const table: [number, number][] = [
            [c(2, 1), 201],
            [c(2, 2), 200],
            [c(2, 3), 304],
            [c(2, 4), 204],
            [c(2, 5), 200],
            [c(4, 0), 400],
            [c(4, 1), 403],
            [c(4, 2), 400],
            [c(4, 3), 403],
            [c(4, 4), 404],
            [c(4, 5), 405],
            [c(4, 6), 406],
            [c(4, 8), 400],
            [c(4, 12), 412],
            [c(4, 13), 413],
            [c(4, 15), 415],
            [c(5, 0), 500],
            [c(5, 1), 501],
            [c(5, 2), 502],
            [c(5, 3), 503],
            [c(5, 4), 504],
            [c(5, 5), 502],
        ]
        for (const [code, status] of table) expect(httpStatusOf(code), `code ${code >> 5}.${code & 31}`).toBe(status)
        // unregistered codes fall back to their class
        expect(httpStatusOf(c(2, 9))).toBe(200)
        expect(httpStatusOf(c(4, 20))).toBe(400)
        expect(httpStatusOf(c(5, 9))).toBe(500)
    })
    test("media types both ways", () => {
        for (const cf of [0, 40, 41, 42, 47, 50, 60, 110, 112]) expect(contentFormatOf(mediaTypeOf(cf))).toBe(cf)
        expect(contentFormatOf("text/plain")).toBe(0)
        expect(contentFormatOf("Application/JSON; charset=utf-8")).toBe(50)
        expect(contentFormatOf("image/png")).toBe(undefined)
        expect(mediaTypeOf(9999)).toBe("application/octet-stream")
        expect(mediaTypeOf(undefined)).toBe(undefined)
    })
})
