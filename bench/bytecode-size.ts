// Bytecode size per source file of a DeviceScript build.
//
// .devicescript/bin/bytecode-sizes.md lists "Size | Name | Users" per function but names no file
// (and names repeat: `inline`, `send`, `connect`...), so rows cannot be told apart by name.
// .devicescript/bin/bytecode-dbg.json has the same functions with `size` and `location: [pos, len]`,
// where pos is an offset into the concatenation of `sources[].text` in order: that gives the file.
import { spawnSync } from "node:child_process"
import { readFileSync } from "node:fs"
import { join } from "node:path"

export interface FileSize {
    file: string
    bytes: number
    functions: number
}

interface DbgInfo {
    sources: { path: string; length: number }[]
    functions: { name: string; size: number; location: [number, number] }[]
}

export const PROTOTYPE_SETUP = "(class prototype setup)"

/** Function bytes per source file, largest first. */
export function functionSizesByFile(dbgJsonPath: string): FileSize[] {
    const dbg = JSON.parse(readFileSync(dbgJsonPath, "utf8")) as DbgInfo
    const starts: number[] = []
    let off = 0
    for (const s of dbg.sources) {
        starts.push(off)
        off += s.length
    }
    const byFile = new Map<string, FileSize>()
    for (const f of dbg.functions) {
        const pos = f.location[0]
        let i = 0
        while (i + 1 < starts.length && starts[i + 1] <= pos) i++
        // The compiler's `prototype` function installs the methods of every class in the program; it
        // is located at the entry file but belongs to no file in particular.
        const file = f.name === "prototype" ? PROTOTYPE_SETUP : dbg.sources[i].path
        const e = byFile.get(file) ?? { file, bytes: 0, functions: 0 }
        e.bytes += f.size
        e.functions++
        byFile.set(file, e)
    }
    return [...byFile.values()].sort((a, b) => b.bytes - a.bytes)
}

/** Builds an entry in the project root (writes .devicescript/bin) and returns its per-file sizes. */
export function buildAndMeasure(projectRoot: string, entry: string): FileSize[] {
    const cli = join(projectRoot, "node_modules/.bin/devs")
    const r = spawnSync(process.execPath, [cli, "--no-colors", "build", entry], { cwd: projectRoot, encoding: "utf8" })
    if (r.status !== 0) throw new Error(`devs build ${entry} failed (${r.status}):\n${r.stdout}\n${r.stderr}`)
    return functionSizesByFile(join(projectRoot, ".devicescript/bin/bytecode-dbg.json"))
}

export function sumWhere(sizes: FileSize[], pred: (file: string) => boolean): { bytes: number; functions: number } {
    let bytes = 0
    let functions = 0
    for (const s of sizes)
        if (pred(s.file)) {
            bytes += s.bytes
            functions += s.functions
        }
    return { bytes, functions }
}
