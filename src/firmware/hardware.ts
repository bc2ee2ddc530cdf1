// What a board gives the application. Each board's start-up (boards/<id>/) builds one of these;
// the application never sees pins, buses or drivers.

/** One measured quantity. */
export interface SensorChannel {
    /** Telemetry key, also the Home Assistant object id suffix: "temperature", "humidity", "pressure". */
    key: string
    /** Unit as Home Assistant expects it for the device class: "°C", "%", "hPa". */
    unit: string
    /** Fraction digits the sensor really resolves (SHT30 temperature: 2). */
    decimals: number
    /** Home Assistant sensor device_class ("temperature", "humidity", "pressure"). */
    deviceClass: string
    /** Human-readable name for dashboards. */
    name: string
    /** Current value in `unit`; throws or returns undefined/NaN when the sensor cannot be read. */
    read(): Promise<number>
}

/** An on/off indicator the user can drive over RPC. */
export interface Led {
    set(on: boolean): Promise<void>
    get(): boolean
}

/**
 * Something the user drives (docs/extending.md): a relay, a light, a set point, a button. It is a
 * Home Assistant entity with a command topic (<prefix>/<id>/set/<key>) and a retained state topic
 * (<prefix>/<id>/state/<key>), the CoAP resource /actuators/<key>, and actuator.set / actuator.get.
 */
export interface Actuator {
    /** Topic level, CoAP path segment and Home Assistant object id suffix: a-z, 0-9, _. */
    key: string
    /** Human-readable name for dashboards. */
    name: string
    /** Home Assistant component: "switch", "light" (on/off), "number" or "button". */
    kind: string
    /** Current state: true/false (switch, light) or a number (number); absent for a button. */
    get?: () => boolean | number
    /** switch/light: true/false; number: a value in min..max; button: true (a press). Throws on failure. */
    set: (value: boolean | number) => Promise<void>
    /** number: range, step and unit. */
    min?: number
    max?: number
    step?: number
    unit?: string
    /** Home Assistant device_class (switch: "outlet"/"switch"; button: "restart", "identify"...). */
    deviceClass?: string
    /** Home Assistant entity_category: "config" or "diagnostic"; absent for a primary control. */
    category?: string
}

export interface BoardHardware {
    /** DeviceScript board id, e.g. "seeed_xiao_esp32c3", "pico_w", "sim". */
    board: string
    /** Human-readable board/sensor description, e.g. "Seeed Xiao ESP32C3 + SHT30". */
    model: string
    sensors: SensorChannel[]
    /** Present only on boards that have a usable LED. */
    led?: Led
    /** The board's and the user's actuators (user/parts.ts adds to it). */
    actuators?: Actuator[]
    /** Wi-Fi signal strength in dBm, where the runtime reports it (not in the simulator). */
    rssi?: () => Promise<number>
    /** False on the Pico W: its runtime has no TLS, so mqtts:// is refused with a clear log line. */
    tls: boolean
}

/** Restarts the program; the reply to sys.restart must be on its way before this fires. */
export interface Restarter {
    restartSoon(delayMs: number): void
}
