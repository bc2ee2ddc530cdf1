// Exact decimal text for numbers, identical in DeviceScript and Node: the project's one number
// formatter (JSON writer, JSON-RPC, telemetry, settings, SenML, CoAP resources).
//
// WHY: DeviceScript's number->string conversion (and JSON.stringify) keeps only ~7 significant
// digits for fractions and mangles integers from ~1e15 up; its `%` is int32-only (123456789012 % 1000
// gives -572) and Math.round(-0.5) is -1. Arithmetic (+ - * / Math.floor) on doubles is identical in
// both runtimes, so every digit here is produced by that arithmetic, never by the runtime's own printer.
// Self-contained: no imports.

const TWO53 = 9007199254740992
const MAX_DOUBLE = 1.7976931348623157e308

/** Digits of a non-negative integer below 2^53 (no `%`: it is int32-only in DeviceScript). */
function digits(n: number): string {
    if (n - n !== 0) return "0" // callers pass finite values; never loop on Infinity
    let s = ""
    while (s === "" || n > 0) {
        const q = Math.floor(n / 10)
        s = String.fromCharCode(48 + (n - q * 10)) + s
        n = q
    }
    return s
}

/** 10^d for d = 0..15, exact doubles (computed by multiplication, identical in both runtimes). */
export function pow10(d: number): number {
    let p = 1
    for (let i = 0; i < d; i++) p *= 10
    return p
}

/** Rounds half away from zero (Math.round differs between the runtimes for negative halves). */
export function roundHalfAway(x: number): number {
    // Not floor(x + 0.5): from 2^52 up that sum rounds (2^53 - 1 + 0.5 is 2^53); a - r is exact.
    const a = x < 0 ? -x : x
    let r = Math.floor(a)
    if (a - r >= 0.5) r++
    return x < 0 && r > 0 ? -r : r // no -0: it would print as "0" anyway, but compares unequal under Object.is
}

/**
 * value -> integer in units of 10^-decimals (21.534, 2 -> 2153). This is how a reading is kept at
 * the sensor's precision: scale once, then only integers travel to the printer.
 */
export function toScaled(value: number, decimals: number): number {
    return roundHalfAway(value * pow10(decimals))
}

/** An integer as decimal text, exact for |n| <= 2^53 ("-12", "0"). Non-integers are truncated toward zero. */
export function formatInteger(n: number): string {
    return formatScaled(n < 0 ? -Math.floor(-n) : Math.floor(n), 0)
}

/**
 * A fixed-point value: `scaled` / 10^decimals with exactly `decimals` digits after the point.
 * formatScaled(2153, 2) = "21.53", formatScaled(-5, 2) = "-0.05", formatScaled(7, 0) = "7".
 * `scaled` is rounded half away from zero to an integer first.
 */
export function formatScaled(scaled: number, decimals: number): string {
    const i = roundHalfAway(scaled)
    const a = i < 0 ? -i : i
    // digits() is exact only below 2^53: beyond it a reading (FLT_MAX from a broken sensor) came out
    // as text with NUL characters in it, an overflowed 1e308 x 100 hung the board, and clamping to
    // 2^53 printed a plausible but wrong number. Such values get formatNumber's exponent form, still a
    // JSON number (an overflowed v * 10^decimals: the largest double) (scripts/fuzz-coap-endpoint.ts,
    // scripts/fuzz-jsonrpc.ts).
    if (a > TWO53) {
        const v = scaled / pow10(decimals)
        return formatNumber(v - v === 0 ? v : i < 0 ? -MAX_DOUBLE : MAX_DOUBLE)
    }
    let s = digits(a)
    if (decimals > 0) {
        while (s.length <= decimals) s = "0" + s
        const w = s.length - decimals
        s = s.slice(0, w) + "." + s.slice(w)
    }
    return i < 0 ? "-" + s : s
}

/**
 * `v` rounded to `decimals` places, printed with exactly that many: formatFixed(21.534, 2) = "21.53".
 * Rounds half away from zero (DeviceScript's Math.round differs from Node for negatives).
 */
export function formatFixed(v: number, decimals: number): string {
    return formatScaled(v * pow10(decimals), decimals)
}

/**
 * Any number as a JSON number: the shortest plain decimal (at most 15 fractional digits) that reads
 * back as exactly `v`, e.g. 21.53 -> "21.53", 0.1 -> "0.1", -3 -> "-3", 1.5e-7 -> "0.00000015".
 * Values that need more digits (1/3, 5e-324) or are beyond 2^53 get 16 significant digits with an
 * exponent ("3.333333333333333e-1", "3.4e38"), accurate to about 1e-15 relative. Non-finite
 * numbers give "null", as JSON.stringify does (every caller writes JSON).
 */
export function formatNumber(v: number): string {
    if (v - v !== 0) return "null"
    const a = v < 0 ? -v : v
    if (a < TWO53) {
        let p = 1
        for (let d = 0; d <= 15; d++) {
            const scaled = roundHalfAway(a * p)
            if (scaled >= TWO53) break
            // scaled and p are exact, and IEEE division rounds correctly, so this equality
            // means the decimal text parses back to exactly `a`.
            if (scaled / p === a) return formatScaled(v < 0 ? -scaled : scaled, d)
            p *= 10
        }
    }
    return (v < 0 ? "-" : "") + formatExponent(a)
}

/** 16 significant digits with an exponent, for a finite a > 0. */
function formatExponent(a: number): string {
    let e = Math.floor(Math.log(a) / Math.LN10)
    // 10^-e overflows for e < -308 (subnormal inputs): scale in two steps then
    let m = a * Math.pow(10, -e)
    if (e >= 0) m = a / Math.pow(10, e)
    else if (e < -300) m = a * 1e300 * Math.pow(10, -e - 300)
    if (m >= 10) {
        m /= 10
        e++
    } else if (m < 1) {
        m *= 10
        e--
    }
    let scaled = Math.floor(m * 1e15 + 0.5)
    if (scaled >= 1e16) {
        scaled = Math.floor(scaled / 10 + 0.5)
        e++
    }
    let s = digits(scaled)
    let end = s.length
    while (end > 1 && s.charCodeAt(end - 1) === 48) end--
    s = s.slice(0, end)
    const mant = end > 1 ? s.slice(0, 1) + "." + s.slice(1) : s
    return mant + "e" + (e < 0 ? "-" + digits(-e) : digits(e))
}
