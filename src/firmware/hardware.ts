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

export interface BoardHardware {
    /** DeviceScript board id, e.g. "seeed_xiao_esp32c3", "pico_w", "sim". */
    board: string
    /** Human-readable board/sensor description, e.g. "Seeed Xiao ESP32C3 + SHT30". */
    model: string
    sensors: SensorChannel[]
    /** Present only on boards that have a usable LED. */
    led?: Led
    /** False on the Pico W: its runtime has no TLS, so mqtts:// is refused with a clear log line. */
    tls: boolean
}

/** Restarts the program; the reply to sys.restart must be on its way before this fires. */
export interface Restarter {
    restartSoon(delayMs: number): void
}
