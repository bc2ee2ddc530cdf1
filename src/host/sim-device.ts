// A board simulated on the host: the firmware's application (src/firmware/app.ts: settings, JSON-RPC
// methods, telemetry) on simulated hardware, and the firmware's DeviceModel over it
// (src/firmware/device-model.ts), so its CoAP resources and /rpc answer exactly as a board's do.
// The hardware is a room whose temperature, humidity and pressure drift, an LED, and settings in
// memory. `npm run coap` serves it on UDP; the fleet (scripts/fleet/board.ts) runs a thousand of
// them in one process, so a board keeps nothing per instance that the application does not need.
import "./function-start"
import type { Clock } from "../io"
import { Config, MemoryStore } from "../config/config"
import { DeviceApp } from "../firmware/app"
import { BoardHardware, SensorChannel } from "../firmware/hardware"
import { AppDeviceModel, appDeviceModel } from "../firmware/device-model"

export interface SimRoom {
    /** °C */
    temperature: number
    /** %RH */
    humidity: number
    /** hPa */
    pressure: number
}

/** Where the room's quantities settle: °C, %RH, hPa. */
const COMFORT: SimRoom = { temperature: 21.5, humidity: 40, pressure: 1013.25 }

/** The board's quantities, as the real boards declare theirs (boards/common/channels.ts). */
const QUANTITIES: { key: keyof SimRoom; unit: string; decimals: number; deviceClass: string; name: string }[] = [
    { key: "temperature", unit: "°C", decimals: 2, deviceClass: "temperature", name: "Temperature" },
    { key: "humidity", unit: "%", decimals: 1, deviceClass: "humidity", name: "Humidity" },
    { key: "pressure", unit: "hPa", decimals: 1, deviceClass: "pressure", name: "Pressure" },
]

export interface SimDevice {
    /** The hardware id; the device id unless the DEVICE_ID setting overrides it. */
    id: string
    app: DeviceApp
    /** What the CoAP resources serve (installDeviceResources, BoardCoap). */
    model: AppDeviceModel
    /** The room the sensors read; a test may set a value directly. */
    room: SimRoom
    /** sys.restart requests (a host board does not restart: it logs and counts them). */
    restarts: number
    /** Called whenever the LED changes (PUT /actuators/led, led.set, actuator.set), to notify observers. */
    onLedChange: () => void
    /** One drift step: a small random walk pulled back towards a comfortable room. */
    step(): void
    /** Reads the sensors into the model; true when a reading changed (then notify /sensors observers). */
    refresh(): Promise<boolean>
}

export interface SimDeviceOptions {
    /** Settings the board starts with (as if flashed), e.g. MQTT_URL; checked like any stored setting. */
    settings?: Record<string, unknown>
    /** 0 <= x < 1; Math.random by default. */
    random?: () => number
    log?: (line: string) => void
}

/** The board's uptime clock: ms since it was made, as ds.millis() counts since boot. */
export function uptimeClock(): Clock {
    const t0 = performance.now()
    return { now: () => Math.round(performance.now() - t0) }
}

/** A simulated board with hardware id `id`, its settings loaded and its sensors read once. */
export async function startSimDevice(id: string, opts: SimDeviceOptions = {}): Promise<SimDevice> {
    const random = opts.random ?? Math.random
    const log = opts.log ?? (() => {})
    const store = new MemoryStore()
    if (opts.settings) Object.assign(store.data, opts.settings)
    const config = new Config(store, log)
    await config.load()
    let ledOn = false
    const d: SimDevice = {
        id,
        app: undefined as unknown as DeviceApp,
        model: undefined as unknown as AppDeviceModel,
        room: { ...COMFORT },
        restarts: 0,
        onLedChange: () => {},
        step() {
            const r = () => random() - 0.5
            const room = d.room
            room.temperature += r() * 0.2 + (COMFORT.temperature - room.temperature) * 0.02
            room.humidity += r() * 0.6 + (COMFORT.humidity - room.humidity) * 0.02
            room.pressure += r() * 0.08 + (COMFORT.pressure - room.pressure) * 0.02
        },
        refresh: () => d.model.refresh(),
    }
    const sensors: SensorChannel[] = QUANTITIES.map((q) => ({ ...q, read: async () => d.room[q.key] }))
    const hw: BoardHardware = {
        board: "host-sim",
        model: "Host-side simulated board (drifting room)",
        tls: true,
        sensors,
        led: {
            set: async (on: boolean) => {
                const changed = on !== ledOn
                ledOn = on
                if (changed) d.onLedChange()
            },
            get: () => ledOn,
        },
    }
    d.app = new DeviceApp({
        hw,
        config,
        clock: uptimeClock(),
        log,
        hardwareId: id,
        restarter: {
            restartSoon: () => {
                d.restarts++
                log("sys.restart: a host-side board does not restart")
            },
        },
    })
    d.model = appDeviceModel(d.app, log)
    await d.model.refresh()
    return d
}
