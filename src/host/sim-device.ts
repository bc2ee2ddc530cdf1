// A simulated device for the host CoAP binding: temperature, humidity and pressure that drift
// like a room, an LED, a small validated configuration, and a minimal JSON-RPC 2.0 answerer.
//
// TO BE REPLACED: rpc() below only knows sys.info, sensors.read, led.set, config.get/set and
// rpc.list, enough to serve /rpc without the firmware's dispatcher (src/rpc/, src/firmware/methods.ts). Once
// it does, build the DeviceModel from that dispatcher instead of this class's rpc().

import type { DeviceModel, SensorReading } from "../coap/server/device-resources"

export interface SimConfig {
    interval: number
    threshold: number
    name: string
}

const JSONRPC_PARSE_ERROR = -32700
const JSONRPC_INVALID_REQUEST = -32600
const JSONRPC_METHOD_NOT_FOUND = -32601
const JSONRPC_INVALID_PARAMS = -32602

export class SimDevice implements DeviceModel {
    id: string
    private started: number
    private temperature = 21.5
    private humidity = 40
    private pressure = 101325
    private led = false
    private config: SimConfig = { interval: 60, threshold: 0.5, name: "sim" }
    private random: () => number
    /** Called whenever the LED changes (PUT /actuators/led or the led.set method), to notify observers. */
    onLedChange: () => void = () => {}

    constructor(id: string, random?: () => number) {
        this.id = id
        this.started = Date.now()
        this.random = random ?? Math.random
    }

    /** One drift step: small random walk pulled back towards a comfortable room. */
    step(): void {
        const r = () => this.random() - 0.5
        this.temperature += r() * 0.2 + (21.5 - this.temperature) * 0.02
        this.humidity += r() * 0.6 + (40 - this.humidity) * 0.02
        this.pressure += r() * 8 + (101325 - this.pressure) * 0.02
    }

    info(): Record<string, any> {
        return {
            id: this.id,
            board: "host-sim",
            firmware: "devs-link 0.1.0",
            uptime: Math.floor((Date.now() - this.started) / 1000),
        }
    }

    readSensors(): SensorReading[] {
        return [
            { name: "temperature", unit: "Cel", value: this.temperature, decimals: 2 },
            { name: "humidity", unit: "%RH", value: this.humidity, decimals: 1 },
            { name: "pressure", unit: "Pa", value: this.pressure, decimals: 0 },
        ]
    }

    getLed(): boolean {
        return this.led
    }

    setLed(on: boolean): void {
        const changed = on !== this.led
        this.led = on
        if (changed) this.onLedChange()
    }

    getConfig(): string {
        return JSON.stringify(this.config)
    }

    setConfig(json: string): string | undefined {
        let o: any
        try {
            o = JSON.parse(json)
        } catch {
            return "not JSON"
        }
        const why = validateConfig(o)
        if (why !== undefined) return why
        this.config = { ...this.config, ...o }
        return undefined
    }

    async rpc(requestJson: string): Promise<string | undefined> {
        let req: any
        try {
            req = JSON.parse(requestJson)
        } catch {
            return error(null, JSONRPC_PARSE_ERROR, "Parse error")
        }
        if (req === null || typeof req !== "object" || Array.isArray(req) || req.jsonrpc !== "2.0" || typeof req.method !== "string") {
            return error(req && typeof req === "object" && "id" in req ? req.id : null, JSONRPC_INVALID_REQUEST, "Invalid Request")
        }
        const isNotification = !("id" in req)
        const result = this.call(req.method, req.params)
        if (isNotification) return undefined
        if (result.error) return error(req.id, result.error.code, result.error.message)
        return JSON.stringify({ jsonrpc: "2.0", id: req.id, result: result.value })
    }

    private call(method: string, params: any): { value?: any; error?: { code: number; message: string } } {
        switch (method) {
            case "sys.info":
                return { value: this.info() }
            case "rpc.list":
                return { value: ["sys.info", "sensors.read", "led.set", "config.get", "config.set", "rpc.list"] }
            case "sensors.read": {
                const o: Record<string, number> = {}
                for (const r of this.readSensors()) o[r.name] = Number(r.value.toFixed(r.decimals))
                return { value: o }
            }
            case "led.set":
                if (!params || typeof params.on !== "boolean") return { error: { code: JSONRPC_INVALID_PARAMS, message: "Invalid params" } }
                this.setLed(params.on)
                return { value: { on: this.led } }
            case "config.get":
                return { value: this.config }
            case "config.set": {
                const why = validateConfig(params)
                if (why !== undefined) return { error: { code: JSONRPC_INVALID_PARAMS, message: "Invalid params: " + why } }
                this.config = { ...this.config, ...params }
                return { value: this.config }
            }
            default:
                return { error: { code: JSONRPC_METHOD_NOT_FOUND, message: "Method not found" } }
        }
    }
}

function error(id: any, code: number, message: string): string {
    return JSON.stringify({ jsonrpc: "2.0", id: id === undefined ? null : id, error: { code, message } })
}

function validateConfig(o: any): string | undefined {
    if (o === null || typeof o !== "object" || Array.isArray(o)) return "expected a JSON object"
    for (const k of Object.keys(o)) {
        if (k === "interval") {
            if (typeof o[k] !== "number" || !(o[k] >= 1 && o[k] <= 86400)) return "interval must be 1..86400 seconds"
        } else if (k === "threshold") {
            if (typeof o[k] !== "number" || !(o[k] >= 0)) return "threshold must be a number >= 0"
        } else if (k === "name") {
            if (typeof o[k] !== "string" || o[k].length > 32) return "name must be a string of at most 32 characters"
        } else {
            return "unknown key " + k
        }
    }
    return undefined
}
