// npm run typecheck (and the first stage of npm test): type-checks every world of the project with
// the TypeScript the editor uses (node_modules/typescript), so what passes here shows no error in
// VS Code either.
//  - tsconfig.json: the Node world (src/ as Node runs it, src/host/, test/ but test/devs and test/sim,
//    scripts/, bench/, vitest.config.ts);
//  - src/tsconfig.json: src/ (the portable core and src/host) with strictNullChecks, Node-side only:
//    the DeviceScript compiler forces it off, and rejects the non-null operator `x!`, so code the
//    board links narrows for real or says why in an `as T` cast;
//  - devs/tsconfig.json: the DeviceScript world (devs/, boards/, test/devs/, test/sim/, and src/ but
//    src/host as the DeviceScript compiler sees it, with @devicescript/core's declarations instead
//    of Node's). boards/, test/devs/ and test/sim/ have a tsconfig.json extending it for the editor.
// Diagnostics inside node_modules/@devicescript/ are DeviceScript's own library sources, written for
// the TypeScript 4.9 its compiler embeds (which `devs build` checks them with); TypeScript 5 finds a
// handful of nits there (unknown < number, corelib's one-parameter IterableIterator). They are counted
// and named, never failed on: they are not this project's code.
// Exit code 0 when no diagnostic is in the project's own files.
import { spawn } from "node:child_process"
import { join } from "node:path"

const root = join(import.meta.dirname, "..")
const tsc = join(root, "node_modules", "typescript", "bin", "tsc")

export const PROJECTS = ["tsconfig.json", "src/tsconfig.json", "devs/tsconfig.json"]

export interface CheckResult {
    project: string
    /** Diagnostics in the project's own files (each a first line "file(line,col): error TSnnnn: ..."). */
    errors: string[]
    /** Diagnostics inside node_modules/@devicescript/ (DeviceScript's library sources). */
    libraryNits: string[]
    seconds: number
}

function check(project: string): Promise<CheckResult> {
    const t0 = Date.now()
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [tsc, "--noEmit", "--pretty", "false", "-p", project], { cwd: root })
        let out = ""
        child.stdout.on("data", (d: Buffer) => (out += d.toString()))
        child.stderr.on("data", (d: Buffer) => (out += d.toString()))
        child.on("error", reject)
        child.on("close", () => {
            // A diagnostic starts at column 0; its continuation lines are indented.
            const diags: string[] = []
            for (const line of out.split("\n")) {
                if (!line.trim()) continue
                if (/^\s/.test(line) && diags.length) diags[diags.length - 1] += "\n" + line
                else diags.push(line)
            }
            const isLibrary = (d: string) => d.startsWith("node_modules/@devicescript/")
            resolve({
                project,
                errors: diags.filter((d) => !isLibrary(d)),
                libraryNits: diags.filter(isLibrary),
                seconds: (Date.now() - t0) / 1000,
            })
        })
    })
}

/** Checks every project in parallel. */
export function typecheckAll(): Promise<CheckResult[]> {
    return Promise.all(PROJECTS.map(check))
}

export function describe(r: CheckResult): string {
    const nits = r.libraryNits.length ? `; ${r.libraryNits.length} in DeviceScript's library sources, not ours` : ""
    return `tsc -p ${r.project}: ${r.errors.length} errors${nits} (${r.seconds.toFixed(1)} s)`
}

if (process.argv[1] && import.meta.filename === process.argv[1]) {
    if (process.argv.includes("--help")) {
        console.log(
            `usage: npm run typecheck [-- --verbose]   (checks ${PROJECTS.join(", ")}; --verbose also lists DeviceScript's library nits)`
        )
        process.exit(0)
    }
    const results = await typecheckAll()
    for (const r of results) {
        console.log(describe(r))
        for (const e of r.errors) console.log("  " + e)
        if (process.argv.includes("--verbose")) for (const e of r.libraryNits) console.log("  (library) " + e)
    }
    process.exit(results.some((r) => r.errors.length) ? 1 : 0)
}
