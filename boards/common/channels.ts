// Turning driver clients into the application's SensorChannels, and keeping the firmware alive when
// a sensor is missing: a driver that cannot find its chip throws at start-up, which would otherwise
// panic the program before it ever connects. A missing sensor becomes a channel whose reads fail,
// so the board still comes online and its log says what is wrong.
import * as ds from "@devicescript/core"
import { Led, SensorChannel } from "../../src/firmware/hardware"
import { SensorClient, readClient } from "./read"

/**
 * The quantities the boards measure, in this order, with the fraction digits their sensors
 * resolve (SHT30, BME680, the simulated room). JSON text: objects written in TypeScript are built
 * by bytecode on the board, strings are stored outside its 64 KB function budget.
 */
export const QUANTITIES =
    "[" +
    '{"key":"temperature","unit":"°C","decimals":2,"deviceClass":"temperature","name":"Temperature"},' +
    '{"key":"humidity","unit":"%","decimals":1,"deviceClass":"humidity","name":"Humidity"},' +
    '{"key":"pressure","unit":"hPa","decimals":1,"deviceClass":"pressure","name":"Pressure"}' +
    "]"

/**
 * Channels for the first n quantities (temperature, humidity, pressure), read from `clients`.
 * With `why` (the driver did not start), channels whose every read fails with it instead; they
 * are named by their key and show 1 decimal.
 */
export function channels(n: number, clients: SensorClient[], why?: string): SensorChannel[] {
    const all = JSON.parse(QUANTITIES) as SensorChannel[]
    const out: SensorChannel[] = []
    for (let i = 0; i < n; i++) {
        const c = all[i]
        if (why) {
            c.decimals = 1
            c.name = c.key
            c.read = async () => {
                throw new Error(why)
            }
        } else c.read = readClient(clients[i])
        out.push(c)
    }
    return out
}

/**
 * The device's own control service, made on first use as @devicescript/runtime's currentControl()
 * does (that package's setStatusLight would also link its graphics and SPI modules).
 */
let control: ds.Control = undefined

/** The board's status LED (the runtime's control service), used as the user LED. */
export class StatusLed implements Led {
    private on = false
    async set(on: boolean): Promise<void> {
        if (!control) control = new ds.Control("control[int:0]")
        let level = 0
        if (on) level = 0x40
        await control.setStatusLight(level, level, level, 0)
        this.on = on
    }
    get(): boolean {
        return this.on
    }
}
