// A real clustered MQTT broker on loopback: N nats-server processes joined in one cluster with
// JetStream, each with its MQTT listener (NATS keeps MQTT sessions, retained messages and QoS 1
// messages in JetStream streams replicated across the nodes; MQTT needs JetStream and a
// server_name per node). docs/cluster.md says why this broker and what of MQTT 3.1.1 it lacks.
import { spawn, type ChildProcess } from "node:child_process"
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { connect } from "node:net"
import { get } from "node:http"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { freePort } from "./ports"
import { exited, track } from "./processes"
import { untilAsync } from "./wait"

/** The nats-server binary, or undefined when it is not installed (scripts/install-system-deps.sh installs it). */
export function natsServerPath(): string | undefined {
    const dirs = (process.env["PATH"] ?? "").split(":").concat(["/usr/sbin", "/usr/local/sbin", "/opt/homebrew/bin", "/usr/local/bin"])
    for (const d of dirs) if (d && existsSync(join(d, "nats-server"))) return join(d, "nats-server")
    return undefined
}

export interface ClusterNode {
    name: string
    /** Its MQTT listener. */
    port: number
    url: string
    /** What the node has logged so far (all its runs). */
    log(): string
    running(): boolean
    /** Abrupt death (SIGKILL): no goodbye to clients or to the other nodes. */
    kill(): Promise<void>
    /** Graceful stop (SIGTERM). */
    stop(): Promise<void>
    /** Start again with the same ports and JetStream store; resolves once it serves MQTT. */
    start(): Promise<void>
}

export interface BrokerCluster {
    nodes: ClusterNode[]
    /** Every node's MQTT URL, comma-separated: an MQTT_URL broker list. */
    urls: string
    /** Kills every node and removes their JetStream stores. */
    stop(): Promise<void>
}

const READY_MS = 30_000

export interface ClusterOptions {
    /**
     * How long a node waits for the PUBACK of a QoS 1 message it delivered before it delivers it
     * again (NATS's mqtt ack_wait; its default is 30 s). Messages a dead node had delivered but
     * not seen acknowledged come again only after it.
     */
    ackWaitS?: number
    /** More lines for every node's configuration, e.g. an `authorization` block with permissions. */
    extraConfig?: string
    /**
     * Replicas of the JetStream consumer behind each MQTT QoS 1 subscription (NATS's mqtt
     * consumer_replicas; default: as many as the MQTT streams, 3 on 3 nodes). 1 makes a
     * subscription cost no Raft group, but its state lives on one node only (docs/cluster.md).
     */
    consumerReplicas?: number
    /** Keep those consumers' state in memory instead of on disk (NATS's mqtt consumer_memory_storage). */
    consumerMemoryStorage?: boolean
}

/** Starts n nodes (default 3; 1 is a standalone node) and resolves once every node answers an MQTT CONNECT with CONNACK 0. */
export async function startBrokerCluster(n = 3, options: ClusterOptions = {}): Promise<BrokerCluster> {
    const bin = natsServerPath()
    if (!bin) throw new Error("nats-server is not installed (scripts/install-system-deps.sh)")
    const dir = mkdtempSync(join(tmpdir(), "devs-link-cluster-"))
    const ports: { client: number; route: number; mqtt: number; http: number }[] = []
    for (let i = 0; i < n; i++)
        ports.push({ client: await freePort(), route: await freePort(), mqtt: await freePort(), http: await freePort() })
    const routes = ports.map((p) => `nats-route://127.0.0.1:${p.route}`).join(", ")
    const nodes = ports.map((p, i) => {
        const name = `n${i + 1}`
        const conf = join(dir, `${name}.conf`)
        writeFileSync(
            conf,
            [
                `server_name: ${name}`,
                `listen: 127.0.0.1:${p.client}`,
                `http: 127.0.0.1:${p.http}`,
                `jetstream { store_dir: "${join(dir, name)}" }`,
                // one node alone runs JetStream standalone: a cluster of one never elects a meta leader
                n > 1 ? `cluster { name: devs-link, listen: 127.0.0.1:${p.route}, routes: [${routes}] }` : "",
                `mqtt { ${mqttSettings(p.mqtt, options)} }`,
                options.extraConfig ?? "",
            ].join("\n") + "\n"
        )
        return makeNode(bin, name, conf, p.mqtt, p.http)
    })
    const cluster: BrokerCluster = {
        nodes,
        urls: nodes.map((x) => x.url).join(","),
        stop: async () => {
            await Promise.all(nodes.map((x) => x.kill()))
            rmSync(dir, { recursive: true, force: true })
        },
    }
    try {
        for (const node of nodes) node.spawn()
        for (const node of nodes) await node.ready(true)
    } catch (e) {
        await cluster.stop()
        throw e
    }
    return cluster
}

function mqttSettings(port: number, o: ClusterOptions): string {
    const s = [`listen: 127.0.0.1:${port}`]
    if (o.ackWaitS) s.push(`ack_wait: "${o.ackWaitS}s"`)
    if (o.consumerReplicas) s.push(`consumer_replicas: ${o.consumerReplicas}`)
    if (o.consumerMemoryStorage) s.push("consumer_memory_storage: true")
    return s.join(", ")
}

function makeNode(bin: string, name: string, conf: string, port: number, httpPort: number) {
    let child: ChildProcess | undefined
    let logText = ""
    function spawnNode(): void {
        const proc = spawn(bin, ["-c", conf], { stdio: ["ignore", "pipe", "pipe"] })
        track(proc)
        proc.stdout?.on("data", (d: Buffer) => (logText += d.toString()))
        proc.stderr?.on("data", (d: Buffer) => (logText += d.toString()))
        child = proc
    }
    /**
     * At the first start, JetStream current (the meta leader elected, this node caught up) and then
     * MQTT itself: the first CONNECT on a node sets up its MQTT streams and can fail before that.
     * A node started again after a kill reports unhealthy for longer than it takes to serve MQTT
     * again (a consumer of the MQTT streams that it led is "not current"): there MQTT alone counts.
     */
    async function ready(health: boolean): Promise<void> {
        const proc = child
        try {
            // the probes end on an answer, a close, or the deadline (a node that accepts and never
            // answers cannot hold the wait past it)
            await untilAsync(
                async (deadline) => {
                    if (!proc || proc.exitCode !== null) throw new Error(`nats-server ${name} exited`)
                    return (!health || (await healthy(httpPort, deadline))) && (await connackOk(port, deadline))
                },
                READY_MS,
                `nats-server ${name} serving MQTT on ${port}`
            )
        } catch (e) {
            throw new Error(`${(e as Error).message}\n${logText.slice(-3000)}`)
        }
    }
    async function signal(sig: NodeJS.Signals): Promise<void> {
        const proc = child
        child = undefined
        if (!proc || proc.exitCode !== null || proc.signalCode !== null) return
        proc.kill(sig)
        await exited(proc)
    }
    return {
        name,
        port,
        url: `mqtt://127.0.0.1:${port}`,
        log: () => logText,
        running: () => child !== undefined && child.exitCode === null,
        kill: () => signal("SIGKILL"),
        stop: () => signal("SIGTERM"),
        start: async () => {
            spawnNode()
            await ready(false)
        },
        spawn: spawnNode,
        ready,
    }
}

/** The node's monitoring endpoint says it is healthy, JetStream included; false once deadline aborts. */
function healthy(httpPort: number, deadline: AbortSignal): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
        if (deadline.aborted) return resolve(false)
        const req = get({ host: "127.0.0.1", port: httpPort, path: "/healthz", signal: deadline }, (res) => {
            res.resume()
            resolve(res.statusCode === 200)
        })
        req.on("error", () => resolve(false))
        req.on("close", () => resolve(false))
    })
}

// CONNECT (MQTT 3.1.1 §3.1), clean session, keepalive 10 s, client id "ready": the bytes alone,
// so the helper does not depend on the client under test.
const CONNECT = Buffer.from([0x10, 17, 0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0x02, 0, 10, 0, 5, 0x72, 0x65, 0x61, 0x64, 0x79])

/**
 * One MQTT CONNECT answered by CONNACK with return code 0 (§3.2.2.3). It ends when the node
 * answers, or closes or refuses the connection (a node whose JetStream is not ready closes it
 * after its own request timeout), or with false when deadline aborts.
 */
function connackOk(port: number, deadline: AbortSignal): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
        if (deadline.aborted) return resolve(false)
        const s = connect(port, "127.0.0.1")
        const abort = () => s.destroy()
        deadline.addEventListener("abort", abort, { once: true })
        let got = Buffer.alloc(0)
        const done = (ok: boolean) => {
            s.destroy()
            resolve(ok)
        }
        s.once("connect", () => s.write(CONNECT))
        s.on("data", (d: Buffer) => {
            got = Buffer.concat([got, d])
            if (got.length >= 4) done(got[0] === 0x20 && got[3] === 0)
        })
        s.once("error", () => done(false))
        s.once("close", () => {
            deadline.removeEventListener("abort", abort)
            resolve(false)
        })
    })
}
