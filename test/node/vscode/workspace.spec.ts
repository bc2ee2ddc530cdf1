// The VS Code workspace (.vscode/) points at things that exist and run:
// - every task's command is run here, cheaply: the task's own program with --help, --dry-run or on
//   a small input, as the table CHEAP says (a task missing from it fails, so a new task gets a check);
// - every launch configuration's program exists, and the Node ones run their runtime as configured;
// - the recommended extensions include the DeviceScript one, by its id.
import { spawnSync } from "node:child_process"
import { existsSync, readFileSync } from "node:fs"
import { join } from "node:path"
import ts from "typescript"
import { describe, expect, test } from "vitest"

const root = join(import.meta.dirname, "..", "..", "..")

function jsonc(file: string): any {
    const r = ts.parseConfigFileTextToJson(file, readFileSync(join(root, file), "utf8"))
    if (r.error) throw new Error(`${file}: ${ts.flattenDiagnosticMessageText(r.error.messageText, "\n")}`)
    return r.config
}

const tasks: { label: string; command: string }[] = jsonc(".vscode/tasks.json").tasks
const inputs: { id: string; options: string[]; default: string }[] = jsonc(".vscode/tasks.json").inputs
const launch: { name: string; type: string; program: string; runtimeArgs?: string[] }[] = jsonc(".vscode/launch.json").configurations
const scripts: Record<string, string> = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).scripts

// A small, fast file of the kind each "this file" task takes.
const SAMPLE_SPEC = "test/core/mqtt/frames.spec.ts"
const SAMPLE_DEVS_ENTRY = "test/devs/mqtt-codec.ts"

/** Task label -> the cheap command run instead, and what its output must show. */
const CHEAP: Record<string, { argv: string[]; expect: RegExp; how: string }> = {
    "build firmware (every board)": {
        argv: ["npx", "devs", "build", "--help"],
        expect: /build a DeviceScript file/,
        how: "devs build --help; npm test builds every entry",
    },
    "start the simulator (npm start)": {
        argv: ["npm", "start", "--", "--help"],
        expect: /usage: npm start/,
        how: "--help; test/e2e/quickstart.spec.ts runs it",
    },
    "start the simulator, forgetting saved settings (npm start -- --reset)": {
        argv: ["npm", "start", "--", "--help"],
        expect: /--reset/,
        how: "--help",
    },
    "broker, gateway and watcher only, for the DeviceScript debugger (npm start -- --no-sim)": {
        argv: ["npm", "start", "--", "--help"],
        expect: /--no-sim/,
        how: "--help",
    },
    "call sys.info on the running board (npm run rpc)": {
        argv: ["npm", "run", "rpc", "--", "--help"],
        expect: /usage: npm run rpc/,
        how: "--help; test/e2e/quickstart.spec.ts runs it",
    },
    "run all tests (npm test)": { argv: ["npm", "test", "--", "--dry-run"], expect: /would run: vitest run/, how: "--dry-run" },
    "run this test file (vitest)": { argv: ["npx", "vitest", "run", SAMPLE_SPEC], expect: /passed/, how: `run on ${SAMPLE_SPEC}` },
    "run this DeviceScript test entry in the VM (devs run --test)": {
        argv: ["npx", "devs", "run", "--help"],
        expect: /--test-self-exit/,
        how: `devs run --help (npm test runs ${SAMPLE_DEVS_ENTRY} and the others)`,
    },
    "type-check every project (npm run typecheck)": {
        argv: ["npm", "run", "typecheck", "--", "--help"],
        expect: /usage: npm run typecheck/,
        how: "--help; npm test runs it",
    },
    "lint (npm run lint)": {
        argv: ["npm", "run", "lint", "--", "--help"],
        expect: /eslint \[options\]/,
        how: "eslint --help; npm test runs it",
    },
    "bytecode size report": { argv: ["npm", "run", "size", "--", "--help"], expect: /npm run size/, how: "--help" },
    "flash the DeviceScript runtime: Seeed Xiao ESP32-C3": {
        argv: ["npx", "devs", "flash", "--help"],
        expect: /--board seeed_xiao_esp32c3 /,
        how: "devs flash --help lists the board",
    },
    "flash the DeviceScript runtime: ESP32-S3 DevKit-M": {
        argv: ["npx", "devs", "flash", "--help"],
        expect: /--board esp32s3_devkit_m /,
        how: "devs flash --help lists the board",
    },
    "flash the DeviceScript runtime: Raspberry Pi Pico W": {
        argv: ["npx", "devs", "flash", "--help"],
        expect: /--board pico_w /,
        how: "devs flash --help lists the board",
    },
    "deploy and watch: Seeed Xiao ESP32-C3 (serial)": {
        argv: ["npx", "devs", "devtools", "--help"],
        expect: /--serial/,
        how: "devs devtools --help (needs a board)",
    },
    "deploy and watch: ESP32-S3 DevKit-M (serial)": {
        argv: ["npx", "devs", "devtools", "--help"],
        expect: /--serial/,
        how: "devs devtools --help (needs a board)",
    },
    "deploy and watch: Raspberry Pi Pico W (serial)": {
        argv: ["npx", "devs", "devtools", "--help"],
        expect: /--serial/,
        how: "devs devtools --help (needs a board)",
    },
}

/** The task's command with VS Code's variables filled in as for a user editing SAMPLE_SPEC. */
function expand(command: string): string[] {
    return command
        .replace(/\$\{relativeFile\}/g, SAMPLE_SPEC)
        .replace(/\$\{input:(\w+)\}/g, (_, id: string) => inputs.find((i) => i.id === id)?.default ?? `<no input ${id}>`)
        .split(/\s+/)
}

const ran = new Map<string, { status: number | null; out: string }>()

/** Runs argv once (several tasks share a check, e.g. devs flash --help). */
function run(argv: string[]): { status: number | null; out: string } {
    const key = JSON.stringify(argv)
    const done = ran.get(key)
    if (done) return done
    const r = spawnSync(argv[0], argv.slice(1), { cwd: root, encoding: "utf8", timeout: 120_000, env: { ...process.env, NO_COLOR: "1" } })
    const result = { status: r.status, out: (r.stdout ?? "") + (r.stderr ?? "") }
    ran.set(key, result)
    return result
}

describe(".vscode/tasks.json", () => {
    test("every task has a cheap check here", () => {
        expect(tasks.map((t) => t.label).filter((l) => !CHEAP[l])).toEqual([])
    })

    for (const task of tasks) {
        test(`task "${task.label}": ${CHEAP[task.label]?.how ?? "no check"}`, () => {
            const argv = expand(task.command)
            const cheap = CHEAP[task.label]
            // The check runs the task's own program and subcommand (npm script, devs command, vitest),
            // or, for an npm script, the program that script runs.
            const script = argv[0] === "npm" ? scripts[argv[1] === "run" ? argv[2] : argv[1]] : undefined
            if (argv[0] === "npm") expect(script, `package.json script for ${task.command}`).toBeDefined()
            const n = argv[0] === "npm" && argv[1] === "run" ? 3 : 2
            if (cheap.argv[0] === "npx" && script) expect(script.startsWith(cheap.argv.slice(1, 3).join(" ")), script).toBe(true)
            else expect(cheap.argv.slice(0, n)).toEqual(argv.slice(0, n))
            // Every project file the command names exists.
            for (const a of argv) if (/^(devs|test|src|scripts)\/.*\.ts$/.test(a)) expect(existsSync(join(root, a)), a).toBe(true)
            const r = run(cheap.argv)
            expect(r.out).toMatch(cheap.expect)
            expect(r.status, r.out).toBe(0)
        }, 120_000)
    }

    test("the size report offers only entries that exist", () => {
        for (const i of inputs) for (const o of i.options) expect(existsSync(join(root, o)), o).toBe(true)
    })

    test("build:firmware builds every board's entry, and each exists", () => {
        const entries = [...scripts["build:firmware"].matchAll(/devs build (\S+)/g)].map((m) => m[1])
        expect(entries.sort()).toEqual(["devs/main-esp32s3.ts", "devs/main-pico_w.ts", "devs/main-xiao_c3.ts", "devs/main.ts"])
        for (const e of entries) expect(existsSync(join(root, e)), e).toBe(true)
    })
})

describe(".vscode/launch.json", () => {
    for (const c of launch) {
        test(`"${c.name}": its program exists`, () => {
            if (c.program === "${file}") return // the file open in the editor
            const path = c.program.replace("${workspaceFolder}", root)
            expect(existsSync(path), path).toBe(true)
        })
    }

    test("the Node configurations that run TypeScript load tsx, and tsx runs a script that way", () => {
        const tsConfigs = launch.filter((c) => c.type === "node" && /\.ts$|\$\{file\}/.test(c.program))
        expect(tsConfigs.length).toBeGreaterThan(0)
        for (const c of tsConfigs) expect(c.runtimeArgs).toEqual(["--import", "tsx"])
        const r = run([process.execPath, "--import", "tsx", join(root, "scripts", "rpc.ts"), "--help"])
        expect(r.out).toMatch(/usage: npm run rpc/)
        expect(r.status).toBe(0)
    }, 60_000)

    test("the DeviceScript configurations debug firmware entries", () => {
        const devs = launch.filter((c) => c.type === "devicescript")
        expect(devs.map((c) => c.program.replace("${workspaceFolder}/", "")).sort()).toEqual([
            "devs/main-esp32s3.ts",
            "devs/main-pico_w.ts",
            "devs/main-xiao_c3.ts",
            "devs/main.ts",
        ])
    })
})

test(".vscode/extensions.json recommends the DeviceScript extension by its id", () => {
    expect(jsonc(".vscode/extensions.json").recommendations).toEqual(
        expect.arrayContaining(["devicescript.devicescript-vscode", "vitest.explorer"])
    )
})
