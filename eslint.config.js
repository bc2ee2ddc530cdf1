// npm run lint. typescript-eslint's recommended rules (no type information: fast, and the same for
// the Node and the DeviceScript world), tuned to the code as written. Type errors are tsc's job
// (scripts/typecheck.ts); formatting is Prettier's (.prettierrc.json).
import js from "@eslint/js"
import globals from "globals"
import tseslint from "typescript-eslint"

export default tseslint.config(
    { ignores: ["node_modules/", ".devicescript/", "coverage/", "tmp/", "devs/*.gen.ts"] },
    js.configs.recommended,
    ...tseslint.configs.recommended,
    {
        languageOptions: { globals: { ...globals.node } },
        rules: {
            // JSON from the wire and DeviceScript's untyped corners are typed `any` on purpose.
            "@typescript-eslint/no-explicit-any": "off",
            // Callbacks and interface implementations name parameters they do not use; a caught
            // error is named even when unused (the DeviceScript compiler wants a binding).
            "@typescript-eslint/no-unused-vars": ["error", { args: "none", caughtErrors: "none", varsIgnorePattern: "^_" }],
            // DeviceScript rejects `this` inside arrow functions: closures capture `const self = this`.
            "@typescript-eslint/no-this-alias": "off",
            // RFC option numbers share values across signaling codes (RFC 8323 5.3-5.6).
            "@typescript-eslint/no-duplicate-enum-values": "off",
            // `while (drain()) {}` and `catch {}` around best-effort cleanup are deliberate.
            "no-empty": "off",
            // Codecs, fuzzers and log parsers match control bytes (NUL, ESC) on purpose.
            "no-control-regex": "off",
            // A value set before a branch that may overwrite it reads clearer than a bare declaration.
            "no-useless-assignment": "off",
            // Tests wrap a failure in a new message; the original is printed, not chained.
            "preserve-caught-error": "off",
            // `...types: Function[]` lists error classes for instanceof checks.
            "@typescript-eslint/no-unsafe-function-type": "off",
            // Portable code calls DeviceScript-only intrinsics (Buffer.setAt) that Node's types lack,
            // and @ts-expect-error would fail where they exist.
            "@typescript-eslint/ban-ts-comment": ["error", { "ts-ignore": false }],
        },
    },
    {
        // Fuzz inputs include integers past 2^53 on purpose (JSON number precision).
        files: ["scripts/fuzz-*.ts"],
        rules: { "no-loss-of-precision": "off" },
    }
)
