// Exact decimal text for numbers, identical in DeviceScript and Node.
// DeviceScript's number->string keeps only ~7 significant digits and JSON.stringify inherits it
// (shared notes §1), so protocol text (JSON, SenML, telemetry) is built with these instead.
// Self-contained: no imports.

const TWO53 = 9007199254740992
const MAX_DOUBLE = 1.7976931348623157e308

/** Digits of a non-negative integer below 2^53 (no exponent, no rounding). */
function digits(n: number): string {
    if (n - n !== 0) return "0" // callers pass finite values; never loop on Infinity
    if (n < 10) return String.fromCharCode(48 + n)
    const parts: string[] = []
    while (n > 0) {
        const q = Math.floor(n / 10)
        parts.push(String.fromCharCode(48 + (n - q * 10)))
        n = q
    }
    let s = ""
    for (let i = parts.length - 1; i >= 0; i--) s += parts[i]
    return s
}

/** An integer as decimal text, exact for |n| <= 2^53 ("-12", "0"). Non-integers are truncated. */
export function formatInteger(n: number): string {
    const neg = n < 0
    const a = Math.floor(neg ? -n : n)
    if (a > TWO53) return formatNumber(n)
    return (neg && a !== 0 ? "-" : "") + digits(a)
}

function zeros(k: number): string {
    let s = ""
    for (let i = 0; i < k; i++) s += "0"
    return s
}

/**
 * A fixed-point value: `scaled` / 10^decimals with exactly `decimals` digits after the point.
 * formatScaled(2153, 2) = "21.53", formatScaled(-5, 2) = "-0.05", formatScaled(7, 0) = "7".
 * `scaled` is rounded half away from zero to an integer first.
 */
export function formatScaled(scaled: number, decimals: number): string {
    const neg = scaled < 0
    const a = Math.floor((neg ? -scaled : scaled) + 0.5)
    // digits() is exact only below 2^53: beyond it a reading (FLT_MAX from a broken sensor) came out
    // as text with NUL characters in it, and Infinity as "0.00". Such values get formatNumber's
    // exponent form (an overflowed v * 10^decimals: the largest double) (found by scripts/fuzz-coap-endpoint.ts).
    if (a > TWO53) {
        const v = scaled / pow10(decimals)
        return formatNumber(v - v === 0 ? v : neg ? -MAX_DOUBLE : MAX_DOUBLE)
    }
    const body = digits(a)
    let s: string
    if (decimals <= 0) s = body
    else if (body.length > decimals) s = body.slice(0, body.length - decimals) + "." + body.slice(body.length - decimals)
    else s = "0." + zeros(decimals - body.length) + body
    return (neg && a !== 0 ? "-" : "") + s
}

/**
 * `v` rounded to `decimals` places, printed with exactly that many: formatFixed(21.534, 2) = "21.53".
 * Rounds half away from zero (DeviceScript's Math.round differs from Node for negatives).
 */
export function formatFixed(v: number, decimals: number): string {
    return formatScaled(v * pow10(decimals), decimals)
}

function pow10(decimals: number): number {
    let p = 1
    for (let i = 0; i < decimals; i++) p *= 10
    return p
}

/**
 * The shortest plain decimal (at most 15 fractional digits) that reads back as exactly `v`,
 * e.g. 21.53 -> "21.53", 0.1 -> "0.1", -3 -> "-3", 1.5e-7 -> "0.00000015". Values that need
 * more digits (1/3, 5e-324) or are beyond 2^53 fall back to 16 significant digits with an
 * exponent ("3.333333333333333e-1"), accurate to about 1e-15 relative. Returns "NaN",
 * "Infinity" or "-Infinity" for non-finite values (not valid JSON: callers decide).
 */
export function formatNumber(v: number): string {
    if (v !== v) return "NaN"
    if (v === Infinity) return "Infinity"
    if (v === -Infinity) return "-Infinity"
    const neg = v < 0
    const a = neg ? -v : v
    const sign = neg ? "-" : ""
    if (a === 0) return "0"
    if (a < TWO53) {
        let p = 1
        for (let d = 0; d <= 15; d++) {
            const scaled = Math.floor(a * p + 0.5)
            if (scaled >= TWO53) break
            // scaled and p are exact, and IEEE division rounds correctly, so this equality
            // means the decimal text parses back to exactly `a`.
            if (scaled / p === a) return sign + formatScaled(scaled, d)
            p *= 10
        }
    }
    return sign + formatExponent(a)
}

/** 16 significant digits with an exponent, for a finite a > 0. */
function formatExponent(a: number): string {
    let e = Math.floor(Math.log(a) / Math.LN10)
    // 10^-e overflows for e < -308 (subnormal inputs): scale in two steps then
    let m = e >= 0 ? a / Math.pow(10, e) : e < -300 ? a * 1e300 * Math.pow(10, -e - 300) : a * Math.pow(10, -e)
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
    while (end > 1 && s.charAt(end - 1) === "0") end--
    s = s.slice(0, end)
    const mant = s.length > 1 ? s.slice(0, 1) + "." + s.slice(1) : s
    return mant + "e" + (e < 0 ? "-" + digits(-e) : digits(e))
}
