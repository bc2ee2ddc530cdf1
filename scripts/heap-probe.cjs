// Reads the DeviceScript VM's GC heap from the host side of the simulator, for measurements:
//   HEAP_PROBE_OUT=/tmp/heap.json NODE_OPTIONS="--require ./scripts/heap-probe.cjs" npm run soak -- 1000
// DeviceScript 2.16.4 gives a program no heap figure, but the simulator's VM is a wasm module in the
// `devs run` process, and its 64 KB GC heap is one chunk of the wasm memory: a list of blocks, each a
// 32-bit header (size in words in the low 24 bits, tag in the high 8; runtime/devicescript/gc_alloc.c).
// Loaded into every Node process of the run; it does nothing unless that process instantiates the VM.
// With HEAP_PROBE_STRESS=1 (the default) it turns on the runtime's GC stress mode (a full collection
// before every allocation, as `devs run --test` does), so the used bytes read between VM turns are the
// live heap at the VM's last allocation; without it they include garbage not collected yet.
// At an out-of-memory it also records `atOom.layout`: every block in address order, "_" and its
// bytes for a free one, else its kind's initial and bytes (strings with their first characters),
// which shows where the holes are that a large block did not fit in.
"use strict"
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a --require preload is CommonJS
const fs = require("node:fs")

const out = process.env.HEAP_PROBE_OUT
const stress = process.env.HEAP_PROBE_STRESS !== "0"
const HEAP = 64 * 1024
const FINAL = 0x4f000001
const TAGS = [
    "null",
    "free",
    "bytes",
    "array",
    "map",
    "buffer",
    "string",
    "bound_function",
    "activation",
    "half_static_map",
    "short_map",
    "packet",
    "string_jmp",
    "image",
]

if (out) {
    const orig = WebAssembly.instantiate
    WebAssembly.instantiate = async function (...args) {
        const r = await orig.apply(this, args)
        const inst = r.instance ?? r
        if (inst.exports && inst.exports.jd_em_process && inst.exports.memory) watch(inst.exports)
        return r
    }
}

function watch(exports) {
    let chunk = -1
    const st = { stress, samples: 0, peakUsed: 0, peakAt: 0, peakTags: {}, minLargestFree: HEAP, timeline: [], started: Date.now() }
    let lastWrite = 0
    let lastFind = 0
    let second = { max: 0, t: 0 }
    const u32 = () => new Uint32Array(exports.memory.buffer)
    function find(m) {
        // devs_gc_t (6 words) is followed by its one chunk: { next, end, blocks... }, end = start + 64 KB - 4
        for (let i = 0; i + 8 + HEAP / 4 < m.length; i++) {
            const c = i * 4 + 24
            if (m[i + 1] === c && m[i + 3] === HEAP / 4 / 4 && m[c / 4 + 1] === c + HEAP - 4 && m[(c + HEAP - 4) / 4] === FINAL) return c
        }
        return -1
    }
    // with layout: every block in address order ("_" free, else the tag's initial, then bytes)
    function walk(m, layout) {
        const end = m[chunk / 4 + 1]
        if (m[end / 4] !== FINAL) return undefined
        let p = chunk + 8
        let used = 0
        let largestFree = 0
        const tags = {}
        const blocks = []
        for (let n = 0; n < 100000; n++) {
            const h = m[p / 4]
            if (h === FINAL) return { used, largestFree, tags, blocks, layout: layout && layout.join(" ") }
            const words = h & 0xffffff
            if (words === 0 || p + words * 4 > end) return undefined
            const tag = (h >>> 24) & 0xf
            const bytes = words * 4
            if (tag === 1) {
                largestFree = Math.max(largestFree, bytes)
                if (layout) layout.push("_" + bytes)
            } else {
                used += bytes
                const name = TAGS[tag] ?? String(tag)
                const t = (tags[name] = tags[name] ?? { n: 0, bytes: 0 })
                t.n++
                t.bytes += bytes
                blocks.push([name, bytes, text(m, p, bytes)])
                if (layout)
                    layout.push(name[0] + bytes + (tag === 6 || tag === 12 ? ":" + text(m, p, bytes).slice(4, 16).replace(/ /g, "~") : ""))
            }
            p += words * 4
        }
        return undefined
    }
    function text(m, p, bytes) {
        const b = new Uint8Array(m.buffer, p + 4, Math.min(bytes - 4, 48))
        return Array.from(b, (c) => (c >= 32 && c < 127 ? String.fromCharCode(c) : ".")).join("")
    }
    function write(force) {
        const now = Date.now()
        if (!force && now - lastWrite < 1000) return
        lastWrite = now
        try {
            fs.writeFileSync(out, JSON.stringify(st, null, 1))
        } catch {
            // the measurement is best effort; never disturb the VM
        }
    }
    // At an out-of-memory the runtime has just collected and still found no block: the heap as it is
    // then is what did not fit (live objects and the holes between them).
    for (const stream of [process.stdout, process.stderr]) {
        const w = stream.write.bind(stream)
        stream.write = (chunk, ...rest) => {
            if (!st.atOom && String(chunk).includes("OutOfMemory")) {
                const m = u32()
                const r = walk(m, [])
                if (r) {
                    r.blocks = r.blocks.sort((a, b) => b[1] - a[1]).slice(0, 40)
                    st.atOom = r
                    write(true)
                }
            }
            return w(chunk, ...rest)
        }
    }
    const timer = setInterval(() => {
        const m = u32()
        if (chunk < 0 || m[chunk / 4 + 1] !== chunk + HEAP - 4) {
            if (Date.now() - lastFind < 100) return
            lastFind = Date.now()
            chunk = find(m)
            if (chunk < 0) return
        }
        if (stress) exports.jd_em_devs_enable_gc_stress(1)
        const w = walk(m)
        if (!w) {
            chunk = -1
            return
        }
        st.samples++
        const t = Date.now() - st.started
        if (w.used > st.peakUsed) {
            st.peakUsed = w.used
            st.peakAt = t
            st.peakTags = w.tags
        }
        if (process.env.HEAP_PROBE_BLOCKS) st.lastBlocks = w.blocks.sort((a, b) => b[1] - a[1]).slice(0, 60)
        st.minLargestFree = Math.min(st.minLargestFree, w.largestFree)
        if (w.used > second.max) second.max = w.used
        if (t - second.t >= 1000) {
            st.timeline.push([Math.round(t / 1000), second.max, w.used])
            second = { max: 0, t }
        }
        write(false)
    }, 1)
    timer.unref()
    process.on("exit", () => write(true))
    for (const sig of ["SIGTERM", "SIGINT"])
        process.once(sig, () => {
            write(true)
            process.exit(0)
        })
}
