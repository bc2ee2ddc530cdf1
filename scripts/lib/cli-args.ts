// Command-line flags and environment settings of the project's tools (scripts/*.ts, bench/run.ts),
// checked where they enter, before anything is started: a bad one ends the tool with one line
// naming it, the usage, and exit code 2; no stack trace, and no value that could be a secret.
import { parseArgs } from "node:util"

/** A mistake in what the user typed: reported without a stack, exit code 2. */
export class UsageError extends Error {}

export type FlagSpec = { type: "string"; short?: string } | { type: "boolean"; short?: string }

/**
 * argv split into flags (`--name value`, `--name=value`, booleans without a value) and positionals.
 * Unknown flags, a flag without its value and a positional count outside min..max are UsageErrors.
 */
export function parseFlags<K extends string>(
    argv: string[],
    flags: Record<K, FlagSpec>,
    positionals: { min: number; max: number } = { min: 0, max: 0 }
): { values: Partial<Record<K, string | boolean>>; positionals: string[] } {
    let r
    try {
        r = parseArgs({ args: argv, options: flags, allowPositionals: true, strict: true })
    } catch (e) {
        // node:util's messages name the flag ("Unknown option '--x'", "Option '--x <value>' argument missing")
        throw new UsageError((e as Error).message.split("\n")[0].split(". ")[0].replace(/\.$/, ""))
    }
    const n = r.positionals.length
    if (n < positionals.min)
        throw new UsageError(positionals.min === 1 ? "an argument is missing" : `${positionals.min - n} argument(s) missing`)
    if (n > positionals.max) throw new UsageError(`unexpected argument "${r.positionals[positionals.max]}"`)
    return { values: r.values as Partial<Record<K, string | boolean>>, positionals: r.positionals }
}

/** `text` as a whole number in min..max; `name` is how the user gave it (`--timeout`, `GATEWAY_TCP_PORT`). */
export function intArg(name: string, text: string | undefined, dflt: number, min: number, max: number): number {
    if (text === undefined || text === "") return dflt
    const n = /^-?\d+$/.test(text.trim()) ? Number(text) : NaN
    if (!Number.isSafeInteger(n) || n < min || n > max)
        throw new UsageError(`${name} must be a whole number from ${min} to ${max}, not "${text}"`)
    return n
}

/** A TCP/UDP port; 0 = any free port when `anyOk`. */
export function portArg(name: string, text: string | undefined, dflt: number, anyOk = true): number {
    return intArg(name, text, dflt, anyOk ? 0 : 1, 65535)
}

/**
 * `text` as a URL with one of `schemes` and a host; the error shows the URL only without its user
 * info (a URL may carry a password).
 */
export function urlArg(name: string, text: string, schemes: string[]): string {
    let u: URL | undefined
    try {
        u = new URL(text)
    } catch {
        u = undefined
    }
    const scheme = u ? u.protocol.slice(0, -1) : ""
    if (!u || schemes.indexOf(scheme) < 0 || !u.hostname) {
        const shown = text.includes("@") ? "(a URL with credentials, hidden)" : `"${text}"`
        throw new UsageError(`${name} must be a URL ${schemes.join("://, ")}://host[:port], not ${shown}`)
    }
    return text
}

/** `check`'s complaint about `text` (undefined: fine) as a UsageError naming the argument. */
export function checked(name: string, text: string, check: (v: string) => string | undefined): string {
    const problem = check(text)
    if (problem) throw new UsageError(`${name}: ${problem}`)
    return text
}

/**
 * Runs a tool's main: a UsageError prints `<tool>: <message>` and the usage, exit code 2; any other
 * error prints `<tool>: <message>` without its stack, exit code 1.
 */
export function runTool(tool: string, usage: string, main: () => Promise<void> | void): void {
    const report = (e: unknown) => {
        console.error(`${tool}: ${(e as Error)?.message ?? String(e)}`)
        if (e instanceof UsageError) {
            console.error(usage)
            process.exit(2)
        }
        process.exit(1)
    }
    try {
        const p = main()
        if (p) p.catch(report)
    } catch (e) {
        report(e)
    }
}
