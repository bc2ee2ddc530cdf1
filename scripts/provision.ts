// npm run provision -- <id> [--broker-dir DIR] [--env FILE] [--discovery q1,q2] [--parts k1,k2] [--gateway-user NAME]
//                          [--topic-prefix P] [--ha-prefix P] [--remove]
//
// Gives one device its own broker account, confined by Mosquitto's ACL to `devices/<id>/#` and its own
// Home Assistant discovery topics, and writes the device's credentials into its env file (default
// .env.local, git-ignored) for the firmware build. The broker directory (default .broker/) holds:
//   passwd           Mosquitto password file (PBKDF2-SHA512 `$7$`, the format mosquitto_passwd writes)
//   acl              Mosquitto ACL file, regenerated from devices.json on every run
//   devices.json     which devices exist and which discovery topics each may write
//   gateway.env      the gateway/admin account (full access), created once
//   mosquitto.conf   the lines to add to the broker's config (allow_anonymous false, password_file, acl_file,
//                    and the in-flight limits a board's heap needs: scripts/lib/broker-limits.ts)
// Passwords are printed nowhere: they go only into the env files (mode 0600).
// Running it again for the same id rotates that device's password.
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs"
import { resolve } from "node:path"
import { parseFlags, UsageError } from "./lib/cli-args"
import {
    DEFAULT_DISCOVERY,
    newPassword,
    parseEnv,
    passwordFileUsers,
    passwordLine,
    renderAcl,
    updateEnv,
    updatePasswordFile,
    validateDeviceId,
    validatePrefix,
    validateQuantity,
    type Registry,
} from "./lib/broker-auth"
import { BOARD_BROKER_LIMITS } from "./lib/broker-limits"

// Setting keys the firmware reads (DeviceScript keys are at most 13 characters).
// Same keys as the firmware's settings table (src/config/schema.ts).
export const ENV_KEYS = { id: "DEVICE_ID", user: "MQTT_USER", pass: "MQTT_PASS", prefix: "MQTT_PREFIX", haPrefix: "HA_PREFIX" } as const

const USAGE =
    "usage: npm run provision -- <device-id> [--broker-dir DIR] [--env FILE] [--discovery q1,q2] [--parts k1,k2] [--gateway-user NAME] [--topic-prefix P] [--ha-prefix P] [--remove]"

function fail(msg: string): never {
    console.error(`provision: ${msg}`)
    process.exit(2)
}

let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] }
try {
    parsed = parseFlags(
        process.argv.slice(2),
        {
            "broker-dir": { type: "string" },
            env: { type: "string" },
            discovery: { type: "string" },
            parts: { type: "string" },
            "gateway-user": { type: "string" },
            "topic-prefix": { type: "string" },
            "ha-prefix": { type: "string" },
            remove: { type: "boolean" },
            help: { type: "boolean", short: "h" },
        },
        { min: 0, max: 1 }
    )
    if (!parsed.values["help"] && parsed.positionals.length !== 1) throw new UsageError("a device id is needed")
} catch (e) {
    console.error(`provision: ${(e as Error).message}`)
    console.error(USAGE)
    process.exit(2)
}
if (parsed.values["help"]) {
    console.log(USAGE)
    process.exit(0)
}
const positionals = parsed.positionals
const values = parsed.values as {
    "broker-dir"?: string
    env?: string
    discovery?: string
    parts?: string
    "gateway-user"?: string
    "topic-prefix"?: string
    "ha-prefix"?: string
    remove?: boolean
}
for (const k of ["broker-dir", "env"] as const) if (values[k] === "") fail(`--${k} must not be empty`)

const id = positionals[0]
const dir = resolve(values["broker-dir"] ?? ".broker")
if (existsSync(dir) && !statSync(dir).isDirectory()) fail(`--broker-dir ${dir} is not a directory`)
const paths = {
    passwd: resolve(dir, "passwd"),
    acl: resolve(dir, "acl"),
    registry: resolve(dir, "devices.json"),
    gateway: resolve(dir, "gateway.env"),
    conf: resolve(dir, "mosquitto.conf"),
}
const read = (p: string) => (existsSync(p) ? readFileSync(p, "utf8") : "")
const stored: Registry | undefined = existsSync(paths.registry) ? JSON.parse(read(paths.registry)) : undefined
const gateway = values["gateway-user"] ?? stored?.gateway ?? "gateway"
if (stored && stored.gateway !== gateway) fail(`this broker directory's gateway account is "${stored.gateway}", not "${gateway}"`)
const registry: Registry = stored ?? { gateway, devices: {} }
// Prefixes are per broker (one ACL for all devices); an explicit option changes them for everyone.
if (values["topic-prefix"] !== undefined) registry.topicPrefix = values["topic-prefix"]
if (values["ha-prefix"] !== undefined) registry.haPrefix = values["ha-prefix"]
for (const p of [registry.topicPrefix, registry.haPrefix]) if (p !== undefined && validatePrefix(p)) fail(validatePrefix(p))
const topicPrefix = registry.topicPrefix ?? "devices"
const haPrefix = registry.haPrefix ?? "homeassistant"
const idProblem = validateDeviceId(id) ?? (id === gateway ? `"${id}" is the gateway account's name` : undefined)
if (idProblem) fail(idProblem)
if (validateDeviceId(gateway)) fail(`gateway user: ${validateDeviceId(gateway)}`)
// --discovery replaces the default object ids; --parts adds the keys of the user's own sensors and
// actuators (user/parts.ts) to them
const discovery = (values.discovery === undefined ? DEFAULT_DISCOVERY : values.discovery.split(","))
    .concat((values.parts ?? "").split(","))
    .filter((q) => q !== "")
for (const q of discovery) if (validateQuantity(q)) fail(validateQuantity(q))

mkdirSync(dir, { recursive: true, mode: 0o755 })
let passwd = read(paths.passwd)

/** Mosquitto drops root privileges to its own user before reading these files: let its group read them. */
function mosquittoGid(): number | undefined {
    const line = read("/etc/group")
        .split("\n")
        .find((l) => l.startsWith("mosquitto:"))
    return line ? parseInt(line.split(":")[2], 10) : undefined
}
function writeBrokerFile(path: string, text: string): void {
    writeFileSync(path, text)
    const gid = mosquittoGid()
    try {
        if (gid === undefined) throw new Error("no mosquitto group")
        chownSync(path, process.getuid?.() ?? -1, gid)
        chmodSync(path, 0o640)
    } catch {
        // Not allowed to hand the file to the mosquitto group: keep it private to the owner,
        // who must then run the broker under their own account.
        chmodSync(path, 0o600)
    }
}
function writeSecretFile(path: string, text: string): void {
    writeFileSync(path, text, { mode: 0o600 })
    chmodSync(path, 0o600)
}

const did: string[] = []

// The gateway account exists once per broker directory; its password lives only in gateway.env.
if (!passwordFileUsers(passwd).includes(registry.gateway) || !existsSync(paths.gateway)) {
    const pw = newPassword()
    passwd = updatePasswordFile(passwd, registry.gateway, passwordLine(registry.gateway, pw))
    writeSecretFile(paths.gateway, updateEnv(read(paths.gateway), { [ENV_KEYS.user]: registry.gateway, [ENV_KEYS.pass]: pw }))
    did.push(`created gateway account "${registry.gateway}" (full access), credentials in ${paths.gateway}`)
}

if (values.remove) {
    if (!registry.devices[id] && !passwordFileUsers(passwd).includes(id)) fail(`no device "${id}" in ${dir}`)
    delete registry.devices[id]
    passwd = updatePasswordFile(passwd, id, undefined)
    did.push(`removed device "${id}" from the password file and ACL (its env file is left alone)`)
} else {
    const existed = passwordFileUsers(passwd).includes(id)
    const pw = newPassword()
    passwd = updatePasswordFile(passwd, id, passwordLine(id, pw))
    registry.devices[id] = { discovery }
    const envPath = resolve(values.env ?? ".env.local")
    const before = parseEnv(read(envPath))
    const settings: Record<string, string> = { [ENV_KEYS.id]: id, [ENV_KEYS.user]: id, [ENV_KEYS.pass]: pw }
    // Non-default prefixes must match the ACL, so the device gets them too.
    if (registry.topicPrefix !== undefined) settings[ENV_KEYS.prefix] = topicPrefix
    if (registry.haPrefix !== undefined) settings[ENV_KEYS.haPrefix] = haPrefix
    writeSecretFile(envPath, updateEnv(read(envPath), settings))
    did.push(`${existed ? "rotated password of" : "created"} device "${id}"`)
    did.push(
        `wrote ${Object.keys(settings).join(", ")} to ${envPath} (mode 0600${before[ENV_KEYS.pass] ? ", replacing the old password" : ""})`
    )
    did.push(`device may publish/subscribe only ${topicPrefix}/${id}/# and ${haPrefix}/+/${id}_{${discovery.join(",")}}/config`)
}

writeBrokerFile(paths.passwd, passwd)
writeBrokerFile(paths.acl, renderAcl(registry))
writeFileSync(paths.registry, JSON.stringify(registry, null, 2) + "\n")
writeFileSync(
    paths.conf,
    [
        "# Include in the broker's config (or copy these lines). Generated by scripts/provision.ts.",
        "allow_anonymous false",
        `password_file ${paths.passwd}`,
        `acl_file ${paths.acl}`,
        "# PUBACKs leave at once instead of waiting on Nagle's algorithm: pipelined QoS 1 over a real",
        "# round trip reaches its window (docs/link-shaping.md)",
        "set_tcp_nodelay true",
        "# Keeps a burst of requests from arriving at a board all at once (its heap is 64 KB)",
        ...BOARD_BROKER_LIMITS,
        "",
    ].join("\n")
)
did.push(`updated ${paths.passwd}, ${paths.acl}, ${paths.conf} (${Object.keys(registry.devices).length} device(s))`)
did.push("a running Mosquitto rereads them on SIGHUP: kill -HUP <mosquitto pid>")
for (const line of did) console.log(`provision: ${line}`)
