// What every fuzzer in scripts/fuzz-*.ts shares: the [count] [seed] command line, a reproducible
// xorshift32 generator, failure reporting, and ONE summary line format that scripts/fuzz.ts parses
// (so the format lives here and nowhere else). Node-only (never compiled by DeviceScript).

export interface FuzzArgs {
    count: number
    seed: number
}

/** `[count] [seed]` from argv; count defaults to 1,000,000, seed to `defaultSeed` (else time-based). */
export function fuzzArgs(defaultSeed?: number, argv: string[] = process.argv.slice(2)): FuzzArgs {
    const count = argv[0] ? parseInt(argv[0], 10) : 1_000_000
    if (!(count >= 0)) throw new Error(`count must be a non-negative integer, got ${argv[0]}`)
    let seed: number
    if (argv[1]) seed = parseInt(argv[1], 10) >>> 0
    else if (defaultSeed !== undefined) seed = defaultSeed >>> 0
    else seed = (Date.now() ^ (process.pid << 16)) >>> 0
    return { count, seed }
}

/** xorshift32 (Marsaglia): fast and reproducible; a zero seed would stick at 0, so it becomes 1. */
export class Rng {
    private state: number
    constructor(seed: number) {
        this.state = seed >>> 0 || 1
    }
    /** Next 32-bit unsigned value. */
    next(): number {
        let s = this.state
        s ^= s << 13
        s >>>= 0
        s ^= s >>> 17
        s ^= s << 5
        s >>>= 0
        this.state = s
        return s
    }
    below(n: number): number {
        return this.next() % n
    }
    bool(): boolean {
        return (this.next() & 1) === 1
    }
    pick<T>(xs: readonly T[]): T {
        return xs[this.next() % xs.length]
    }
    bytes(maxLen: number): Buffer {
        const b = Buffer.alloc(this.below(maxLen + 1))
        for (let i = 0; i < b.length; i++) b[i] = this.next() & 0xff
        return b
    }
}

/** Counts failures and prints the first few with the input that caused them (hex for bytes). */
export class Failures {
    count = 0
    constructor(
        private name: string,
        private seed: number,
        private maxPrinted = 20
    ) {}
    report(kind: string, input: Buffer | string, err: unknown): void {
        this.count++
        if (this.count > this.maxPrinted) return
        const shown = typeof input === "string" ? "text " + JSON.stringify(input) : "input " + input.toString("hex")
        const why = err instanceof Error ? err.stack : String(err)
        console.error(`FAIL ${this.name} (seed ${this.seed}) ${kind}: ${shown}\n  ${why}`)
    }
}

export interface Summary {
    name: string
    inputs: number
    seed: number
    seconds: number
    rate: number
    failures: number
}

const SUMMARY_RE = /^(\S+): (\d+) inputs, seed (\d+), ([\d.]+) s, (\d+) inputs\/s, (\d+) failure\(s\)/m

export function formatSummary(s: Summary, extra?: string): string {
    return (
        `${s.name}: ${s.inputs} inputs, seed ${s.seed}, ${s.seconds.toFixed(2)} s, ${s.rate} inputs/s, ${s.failures} failure(s)` +
        (extra ? `; ${extra}` : "")
    )
}

/** The summary line in a fuzzer's output, or undefined when it never got that far. */
export function parseSummary(output: string): Summary | undefined {
    const m = SUMMARY_RE.exec(output)
    if (!m) return undefined
    return { name: m[1], inputs: Number(m[2]), seed: Number(m[3]), seconds: Number(m[4]), rate: Number(m[5]), failures: Number(m[6]) }
}

/** Prints the summary line and exits: 1 when there was any failure. */
export function finish(name: string, args: FuzzArgs, startNs: bigint, failures: number, extra?: string): never {
    const seconds = Number(process.hrtime.bigint() - startNs) / 1e9
    const rate = Math.round(args.count / Math.max(seconds, 1e-9))
    console.log(formatSummary({ name, inputs: args.count, seed: args.seed, seconds, rate, failures }, extra))
    process.exit(failures > 0 ? 1 : 0)
}

/** 1..4 random edits of a copy of src: bit flip, byte set (to an edge value or random), insert, delete, truncate, duplicate a slice. */
export function mutateBytes(rng: Rng, src: Buffer): Buffer {
    let b = Buffer.from(src)
    for (let m = 1 + rng.below(4); m > 0; m--) {
        const at = b.length ? rng.below(b.length) : 0
        switch (rng.below(6)) {
            case 0:
                if (b.length) b[at] ^= 1 << rng.below(8)
                break
            case 1:
                if (b.length) b[at] = rng.pick([0, 0x0d, 0x0e, 0x0f, 0x7f, 0x80, 0xff, 0xd0, 0xe0, 0xf0, rng.next() & 0xff])
                break
            case 2:
                b = Buffer.concat([b.subarray(0, at), Buffer.from([rng.next() & 0xff]), b.subarray(at)])
                break
            case 3:
                b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1)])
                break
            case 4:
                b = b.subarray(0, at)
                break
            default: {
                const end = at + rng.below(8)
                b = Buffer.concat([b.subarray(0, end), b.subarray(at, end), b.subarray(end)])
            }
        }
    }
    return b
}
