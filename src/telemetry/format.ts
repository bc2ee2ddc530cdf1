// Exact decimal formatting that prints the same text in DeviceScript and Node.
//
// WHY: DeviceScript's number->string conversion (and JSON.stringify) keeps only ~7 significant
// digits for fractions and mangles integers from ~1e15 up; its `%` is int32-only (123456789012 % 1000
// gives -572) and Math.round(-0.5) is -1. Arithmetic (+ - * / Math.floor) on doubles is identical in
// both runtimes, so every digit here is produced by that arithmetic, never by the runtime's own printer.

/** Largest integer printed digit by digit exactly (2^53). */
const MAX_EXACT = 9007199254740992

/** 10^d for d = 0..15, exact doubles (computed by multiplication, identical in both runtimes). */
function pow10(d: number): number {
    let p = 1
    for (let i = 0; i < d; i++) p = p * 10
    return p
}

/** Decimal digits of a non-negative integer below 2^53 (no `%`: it is int32-only in DeviceScript). */
function unsignedDigits(n: number): string {
    if (n < 10) return String.fromCharCode(48 + n)
    const digits: string[] = []
    while (n >= 1) {
        const q = Math.floor(n / 10)
        digits.push(String.fromCharCode(48 + (n - q * 10)))
        n = q
    }
    let s = ""
    for (let i = digits.length - 1; i >= 0; i--) s += digits[i]
    return s
}

/** Integer -> decimal string, exact up to 2^53; non-integers are truncated toward zero first. */
export function formatInteger(n: number): string {
    const neg = n < 0
    let a = neg ? -n : n
    a = Math.floor(a)
    if (a > MAX_EXACT) a = MAX_EXACT
    const s = unsignedDigits(a)
    return neg && a !== 0 ? "-" + s : s
}

/** Rounds half away from zero (Math.round differs between the runtimes for negative halves). */
export function roundHalfAway(x: number): number {
    const r = x < 0 ? -Math.floor(-x + 0.5) : Math.floor(x + 0.5)
    return r === 0 ? 0 : r // no -0: it would print as "0" anyway, but compares unequal under Object.is
}

/**
 * value -> integer in units of 10^-decimals (21.534, 2 -> 2153). This is how a reading is kept at
 * the sensor's precision: scale once, then only integers travel to the printer.
 */
export function toScaled(value: number, decimals: number): number {
    return roundHalfAway(value * pow10(decimals))
}

/**
 * A scaled integer printed with exactly `decimals` fraction digits:
 * formatScaled(2153, 2) = "21.53", formatScaled(-5, 2) = "-0.05", formatScaled(7, 0) = "7".
 */
export function formatScaled(scaled: number, decimals: number): string {
    const i = roundHalfAway(scaled)
    if (decimals <= 0) return formatInteger(i)
    const neg = i < 0
    let a = neg ? -i : i
    // Exact only up to 2^53, like formatInteger. Beyond it `a - whole * p` is no digit and an
    // overflowed reading (FLT_MAX x 100 = Infinity) made unsignedDigits loop forever: a sensor
    // returning 3.4e38 gave invalid JSON, 1e308 hung the board (found by scripts/fuzz-jsonrpc.ts).
    if (!(a <= MAX_EXACT)) a = MAX_EXACT
    const p = pow10(decimals)
    const whole = Math.floor(a / p)
    let frac = unsignedDigits(a - whole * p)
    while (frac.length < decimals) frac = "0" + frac
    return (neg ? "-" : "") + unsignedDigits(whole) + "." + frac
}

/** A reading printed with the sensor's precision: formatFixed(21.534, 2) = "21.53". */
export function formatFixed(value: number, decimals: number): string {
    return formatScaled(toScaled(value, decimals), decimals)
}

/**
 * Any finite number as a JSON number, identical in both runtimes: integers exactly (up to 2^53),
 * fractions with the fewest decimals (at most 9) that reproduce the value, else rounded to 9
 * decimals with trailing zeros dropped. Non-finite numbers give "null" like JSON.stringify.
 */
export function formatNumber(x: number): string {
    if (x !== x || x === Infinity || x === -Infinity) return "null"
    if (Math.floor(x) === x) return formatInteger(x)
    const a = x < 0 ? -x : x
    for (let d = 1; d <= 9; d++) {
        const p = pow10(d)
        if (a * p >= MAX_EXACT) break
        const s = roundHalfAway(x * p)
        if (s / p === x) return formatScaled(s, d)
    }
    let digits = 9
    while (digits > 0 && a * pow10(digits) >= MAX_EXACT) digits--
    let out = formatScaled(toScaled(x, digits), digits)
    if (out.indexOf(".") >= 0) {
        let end = out.length
        while (end > 0 && out.charCodeAt(end - 1) === 48) end--
        if (out.charCodeAt(end - 1) === 46) end--
        out = out.slice(0, end)
    }
    return out === "-0" ? "0" : out
}
