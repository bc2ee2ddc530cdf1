// `npm run size [-- options] [entries...]`: DeviceScript function bytecode per source file.
//
// A DeviceScript program's function section must stay under 64 KB or the verifier rejects it, so
// this is the number to watch. For each entry it runs the ordinary tree-shaken `devs build <entry>`
// and reads .devicescript/bin/bytecode-dbg.json: the per-function table of bytecode-sizes.md
// (" Size | Name | Users") does not say which file a function comes from, the debug file does
// (function.location = [offset, length] into the concatenation of sources[].text).
// "main" (all top-level code) and "prototype" (every class's method table) are compiler-made and
// attributed to the entry; they grow with the number of modules and of class methods.
//
// Options:
//   --top N         also list the N biggest functions of the build (default 0)
//   --file SUBSTR   list every function of the source files whose path contains SUBSTR
//   --dirs          group by each file's own folder (src/mqtt/codec, src/coap/server, devs, ...)
//                   instead of by file
//   --areas         group by the folder under src/ (src/mqtt/codec -> "mqtt codec"; areaOf below)
//   --min N         hide files smaller than N bytes in the table (default 0)
//   --all           build with -F allFunctions (no tree-shaking: every function of every module)
//   --parts FILE    build with FILE (e.g. user/examples/relay.ts) as the user's parts file
//                   user/parts.ts (docs/extending.md); not with --here
//   --floor N       exit 1 when an entry leaves fewer than N bytes of the budget (npm test uses it
//                   with the project's floor for every board's default image, FLOOR_BYTES in
//                   scripts/image-floor.ts)
//   --here          build in the project directory (default: a scratch directory of symlinks, so a
//                   concurrent `devs run` or test that also writes .devicescript/bin is not disturbed)
// Default entries: devs/main.ts.
import { spawnSync } from "node:child_process"
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, relative, resolve } from "node:path"

/**
 * The VM's verifier (devicescript runtime verify.c, check 1051) needs the end of the last
 * function's code to lie below image offset 0x10000. Before the code come the image header and
 * the 16-byte function descriptors, which bytecode-sizes.md counts in each function's size; so
 * the budget is 65536 - header bytes for "Function TOTAL". Strings come after and do not count.
 */
const LIMIT = 65536
const root = join(import.meta.dirname, "..")
/** Where builds run (and write .devicescript/bin): the project, or a scratch mirror of it. */
let buildDir = root
const devs = join(root, "node_modules", ".bin", "devs")

interface Fn {
    name: string
    size: number
    file: string
}

function parseArgs(argv: string[]) {
    const o = { top: 0, file: "", dirs: false, areas: false, here: false, min: 0, all: false, parts: "", floor: 0, entries: [] as string[] }
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i]
        if (a === "--top") o.top = parseInt(argv[++i])
        else if (a === "--file") o.file = argv[++i]
        else if (a === "--dirs") o.dirs = true
        else if (a === "--areas") o.areas = true
        else if (a === "--min") o.min = parseInt(argv[++i])
        else if (a === "--all") o.all = true
        else if (a === "--here") o.here = true
        else if (a === "--parts") o.parts = argv[++i]
        else if (a === "--floor") o.floor = parseInt(argv[++i])
        else if (a === "--help" || a === "-h") {
            console.log(readFileSync(import.meta.filename, "utf8").split("\nimport")[0])
            process.exit(0)
        } else o.entries.push(a)
    }
    if (!o.entries.length) o.entries.push("devs/main.ts")
    return o
}

function build(entry: string, all: boolean): { fns: Fn[]; strings: number; header: number; rejected: boolean } {
    const args = ["build", ...(all ? ["-F", "allFunctions"] : []), entry]
    const t0 = Date.now()
    const r = spawnSync(devs, args, { cwd: buildDir, encoding: "utf8", maxBuffer: 64 << 20 })
    // The compiler writes bin/ before its verifier runs: an image over the limit still has sizes.
    const rejected = r.status !== 0 && /verification error/.test(r.stdout + r.stderr)
    const fresh = statSync(join(buildDir, ".devicescript", "bin", "bytecode-dbg.json")).mtimeMs >= t0 - 1000
    if (r.status !== 0 && !(rejected && fresh)) {
        process.stderr.write(r.stdout + r.stderr)
        throw new Error(`devs build ${entry} exited ${r.status}`)
    }
    const dbg = JSON.parse(readFileSync(join(buildDir, ".devicescript", "bin", "bytecode-dbg.json"), "utf8"))
    const starts: number[] = []
    let off = 0
    for (const s of dbg.sources) {
        starts.push(off)
        off += s.length
    }
    const fileAt = (pos: number): string => {
        let lo = 0
        let hi = starts.length - 1
        while (lo < hi) {
            const mid = (lo + hi + 1) >> 1
            if (starts[mid] <= pos) lo = mid
            else hi = mid - 1
        }
        return dbg.sources[lo].path
    }
    const fns: Fn[] = dbg.functions.map((f: { name: string; size: number; location: [number, number] }) => ({
        name: f.name,
        size: f.size,
        file: f.name === "main" || f.name === "prototype" ? `(${f.name}: compiler-made)` : fileAt(f.location[0]),
    }))
    // Cross-check against the table the compiler prints (bytecode-sizes.md "Function TOTAL").
    const md = readFileSync(join(buildDir, ".devicescript", "bin", "bytecode-sizes.md"), "utf8")
    const m = /^\s*(\d+) \| Function TOTAL/m.exec(md)
    const total = fns.reduce((s, f) => s + f.size, 0)
    if (m && parseInt(m[1]) !== total) console.warn(`warning: sizes.md says ${m[1]} B, debug info sums to ${total} B`)
    const sm = /^\s*(\d+) \| strings/m.exec(md)
    const hm = /^\s*(\d+) \| header/m.exec(md)
    return { fns, strings: sm ? parseInt(sm[1]) : 0, header: hm ? parseInt(hm[1]) : 0, rejected }
}

/**
 * A file's area is the folder it is in under src/, so the layers a folder shows are the areas
 * (src/mqtt/codec/decode.ts -> "mqtt codec", src/coap/server/board-coap.ts -> "coap server"); anything outside
 * src/ is grouped by folder.
 */
function areaOf(file: string): string {
    const m = /^src\/(.+)\/[^/]+\.ts$/.exec(file)
    return m ? m[1].split("/").join(" ") : undefined
}

const pad = (s: string | number, n: number) => String(s).padStart(n)
const kb = (n: number) => (n / 1024).toFixed(1) + " KB"

/**
 * The row a function's bytes go to: its file; with --dirs the folder the file is in, so each layer
 * of a package shows (src/coap/codec, src/coap/server, src/mqtt/session, devs, boards/common); with
 * --areas its area, or its folder outside src/. A DeviceScript package is one row either way.
 */
function groupKey(file: string, dirs: boolean): string {
    if (opts.areas) {
        const a = areaOf(file)
        if (a) return a
        dirs = true
    }
    if (file.startsWith("node_modules/@devicescript/")) return "@devicescript/" + file.split("/")[2]
    if (!dirs || file.startsWith("(")) return file
    const slash = file.lastIndexOf("/")
    return slash > 0 ? file.slice(0, slash) : file
}

const opts = parseArgs(process.argv.slice(2))
if (!opts.here) {
    // every top-level entry of the project except its own build output (and .git)
    buildDir = mkdtempSync(join(tmpdir(), "devs-size-"))
    for (const name of readdirSync(root))
        if (name !== ".devicescript" && name !== ".git" && !(opts.parts && name === "user"))
            symlinkSync(join(root, name), join(buildDir, name))
    if (opts.parts) {
        // user/ as it is, but with a parts.ts that is the given file
        mkdirSync(join(buildDir, "user"))
        for (const name of readdirSync(join(root, "user")))
            if (name !== "parts.ts") symlinkSync(join(root, "user", name), join(buildDir, "user", name))
        const target = relative(join(root, "user"), resolve(opts.parts)).replace(/\.ts$/, "")
        writeFileSync(join(buildDir, "user", "parts.ts"), `export * from "${target.startsWith(".") ? target : "./" + target}"\n`)
    }
    process.on("exit", () => rmSync(buildDir, { recursive: true, force: true }))
}
let worst = 0
const belowFloor: string[] = []
for (const entry of opts.entries) {
    const { fns, strings, header, rejected } = build(entry, opts.all)
    const groups = new Map<string, { size: number; n: number }>()
    for (const f of fns) {
        const k = groupKey(f.file, opts.dirs)
        const g = groups.get(k) ?? { size: 0, n: 0 }
        g.size += f.size
        g.n++
        groups.set(k, g)
    }
    const total = fns.reduce((s, f) => s + f.size, 0)
    worst = Math.max(worst, total + header)
    console.log(`\n== ${entry}${opts.all ? " (-F allFunctions)" : ""}`)
    console.log(`${pad("bytes", 6)} ${pad("fns", 4)}  ${opts.areas ? "area" : opts.dirs ? "folder" : "file"}`)
    for (const [k, g] of [...groups].sort((a, b) => b[1].size - a[1].size)) {
        if (g.size < opts.min) continue
        console.log(`${pad(g.size, 6)} ${pad(g.n, 4)}  ${k}`)
    }
    const left = LIMIT - header - total
    console.log(
        `${pad(total, 6)} ${pad(fns.length, 4)}  TOTAL functions = ${kb(total)} (limit ${LIMIT - header} B: ${left >= 0 ? left + " B left" : -left + " B OVER"}); strings ${kb(strings)}${rejected ? "; REJECTED by the verifier" : ""}`
    )
    if (left < opts.floor) belowFloor.push(`${entry}: ${left} B left, the floor is ${opts.floor} B`)
    if (opts.top > 0) {
        console.log(`\n  biggest functions:`)
        for (const f of [...fns].sort((a, b) => b.size - a.size).slice(0, opts.top))
            console.log(`${pad(f.size, 6)}  ${f.name}  (${f.file})`)
    }
    if (opts.file) {
        const sel = fns.filter((f) => f.file.includes(opts.file)).sort((a, b) => b.size - a.size)
        console.log(`\n  functions in *${opts.file}*: ${sel.reduce((s, f) => s + f.size, 0)} B`)
        for (const f of sel) console.log(`${pad(f.size, 6)}  ${f.name}  (${f.file})`)
    }
}
for (const line of belowFloor) console.log(`BELOW THE FLOOR: ${line}`)
process.exit(worst > LIMIT || belowFloor.length ? 1 : 0)
