// Request load through the gateways: workers that each pick a device and send a CoAP GET to the
// gateway's UDP front or a JSON-RPC call to its HTTP front (both reach the board as CoAP inside
// MQTT), recording latencies and failures per gateway and per kind.
import { CoapUdpClient } from "./coap-udp"
import type { GatewayProcess } from "./gateway-process"

export interface Sample {
    gateway: string
    /** The board asked. */
    id: string
    kind: "coap" | "rpc"
    ok: boolean
    /** What came back when it failed: a CoAP code, "timeout", an HTTP status or error. */
    detail?: string
    ms: number
    /** When it was sent (Date.now()). */
    at: number
    /**
     * What the first attempt got when the gateway answered it with its own timeout (5.04 / 504)
     * and the request was sent again, as a client of a gateway may (RFC 7252 5.9.3.5, RFC 9110
     * 15.6.5: the board did not answer in time, the request was not refused). Undefined when the
     * first attempt was the last.
     */
    retried?: string
}

export interface Load {
    samples: Sample[]
    /** Requests sent and not yet done. */
    inFlight: Set<{ gateway: string; at: number }>
    stop(): Promise<void>
}

export function startLoad(gateways: GatewayProcess[], devices: string[], workersPerGateway: number, timeoutMs: number): Load {
    const samples: Sample[] = []
    const inFlight = new Set<{ gateway: string; at: number }>()
    let running = true
    const loops: Promise<void>[] = []
    const clients: CoapUdpClient[] = []
    let rr = 0
    for (const gw of gateways) {
        const coap = new CoapUdpClient(gw.coapPort)
        clients.push(coap)
        for (let w = 0; w < workersPerGateway; w++) {
            loops.push(
                (async () => {
                    for (let i = 0; running; i++) {
                        const id = devices[rr++ % devices.length]
                        const at = Date.now()
                        const kind = i % 2 === 0 ? "coap" : "rpc"
                        const flight = { gateway: gw.name, at }
                        inFlight.add(flight)
                        let attempts = 0
                        const attempt = async (): Promise<string | undefined> => {
                            // a second attempt is a new request with an id of its own: the board's
                            // dispatcher refuses an id it already ran (src/firmware/app.ts, checkId),
                            // and the first attempt may have run there with only its answer late
                            const rpcId = `${gw.name}-${at}-${i}` + (attempts++ > 0 ? "-again" : "")
                            if (kind === "rpc") return rpc(gw.httpPort, id, rpcId, Math.max(1, at + timeoutMs - Date.now()))
                            const r = await coap.get(`/${id}/sensors/temperature`, Math.max(1, at + timeoutMs - Date.now()))
                            return r.code === "2.05" ? undefined : `coap ${r.code} ${r.payload.toString().slice(0, 60)}`
                        }
                        let detail = await attempt()
                        let retried: string | undefined
                        // one more try within the same deadline when the gateway itself timed out
                        if (detail !== undefined && /^(coap 5\.04|rpc 504) /.test(detail) && running) {
                            retried = `${id} ${detail} after ${Date.now() - at} ms`
                            detail = await attempt()
                        }
                        const ok = detail === undefined
                        inFlight.delete(flight)
                        if (!running) break
                        samples.push({
                            gateway: gw.name,
                            id,
                            kind,
                            ok,
                            detail: detail && `${id} ${detail}`,
                            ms: Date.now() - at,
                            at,
                            retried,
                        })
                        // a dead gateway refuses at once: do not spin on it
                        if (!ok && !gw.alive()) return
                    }
                })()
            )
        }
    }
    return {
        samples,
        inFlight,
        async stop() {
            running = false
            for (const c of clients) c.close()
            await Promise.all(loops)
        },
    }
}

/** Undefined when the board answered sensors.read with its readings; otherwise what came back instead. */
async function rpc(port: number, id: string, rpcId: string, timeoutMs: number): Promise<string | undefined> {
    try {
        const r = await fetch(`http://127.0.0.1:${port}/devices/${id}/rpc`, {
            method: "POST",
            body: JSON.stringify({ jsonrpc: "2.0", id: rpcId, method: "sensors.read" }),
            headers: { "content-type": "application/json" },
            signal: AbortSignal.timeout(timeoutMs),
        })
        const text = await r.text()
        let body: { id?: unknown; result?: { temperature?: unknown } } = {}
        try {
            body = JSON.parse(text)
        } catch {
            // reported below with the text
        }
        const answered = r.status === 200 && body.id === rpcId && typeof body.result?.temperature === "number"
        return answered ? undefined : `rpc ${r.status} ${text.slice(0, 60)}`
    } catch (e) {
        return `rpc ${(e as Error).name}`
    }
}

/** The p-th percentile (0..100) of the values, nearest rank; undefined for none. */
export function percentile(values: number[], p: number): number | undefined {
    if (values.length === 0) return undefined
    const s = [...values].sort((a, b) => a - b)
    return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]
}
