// The gateway process, composed: a board registry fed by the coap+tcp head-end and the MQTT
// side, read by the UDP CoAP front and the HTTP front. `npm run gateway` starts it from env
// settings (scripts/gateway.ts); tests start it on free ports.

import { BoardRegistry } from "./registry"
import { TcpHeadEnd, TcpHeadEndOptions } from "./tcp-head-end"
import type { MqttSide, MqttSideOptions } from "./mqtt-side"
import { CoapFront, CoapFrontOptions } from "./coap-front"
import { HttpFront, HttpFrontOptions } from "./http-front"
import { FaultLog, gatewayFaults } from "./boundary"

export interface GatewayOptions {
    /** UDP CoAP front; default port 5683. Undefined port in tests: use 0. */
    coap?: CoapFrontOptions | false
    /** coap+tcp head-end; default port 5683 (TCP). */
    tcp?: TcpHeadEndOptions | false
    /** MQTT side; off unless a broker URL is given. */
    mqtt?: MqttSideOptions | false
    /** HTTP front; default port 8080. */
    http?: HttpFrontOptions | false
}

export interface Gateway {
    registry: BoardRegistry
    front: CoapFront | undefined
    headEnd: TcpHeadEnd | undefined
    mqtt: MqttSide | undefined
    http: HttpFront | undefined
    /** Inputs whose handling failed inside a front's boundary (src/host/gateway/boundary.ts). */
    faults: FaultLog
    /** Actual ports (after listening on 0). */
    ports: { coap?: number; tcp?: number; http?: number }
    stop(): Promise<void>
}

export async function startGateway(opts: GatewayOptions): Promise<Gateway> {
    const registry = new BoardRegistry()
    const ports: Gateway["ports"] = {}
    const front = opts.coap === false ? undefined : new CoapFront(registry, opts.coap ?? { port: 5683 })
    const headEnd = opts.tcp === false ? undefined : new TcpHeadEnd(registry, opts.tcp ?? { port: 5683 })
    // loaded only when used: the MQTT client's modules re-export types in a way tsx (esbuild)
    // cannot load yet (src/mqtt/session/session.ts `export { DoneCallback }`), vitest can
    const mqtt = opts.mqtt ? new (await import("./mqtt-side")).MqttSide(registry, opts.mqtt) : undefined
    const http = opts.http === false ? undefined : new HttpFront(registry, front, opts.http ?? { port: 8080 })
    const started: { close(): Promise<void> }[] = []
    try {
        if (front) {
            ports.coap = await front.listen()
            started.push(front)
        }
        if (headEnd) {
            ports.tcp = await headEnd.listen()
            started.push(headEnd)
        }
        if (http) {
            ports.http = await http.listen()
            started.push(http)
        }
        if (mqtt) mqtt.start()
    } catch (e) {
        for (const s of started) await s.close()
        throw e
    }
    return {
        registry,
        front,
        headEnd,
        mqtt,
        http,
        faults: gatewayFaults,
        ports,
        async stop() {
            if (mqtt) await mqtt.stop()
            for (const s of started.reverse()) await s.close()
        },
    }
}
