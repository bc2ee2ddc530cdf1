// Turning driver clients into the application's SensorChannels, and keeping the firmware alive when
// a sensor is missing: a driver that cannot find its chip throws at start-up, which would otherwise
// panic the program before it ever connects. A missing sensor becomes a channel whose reads fail,
// so the board still comes online and its log says what is wrong.
import * as ds from "@devicescript/core"
import { setStatusLight } from "@devicescript/runtime"
import { Led, SensorChannel } from "../../src/firmware/hardware"
import { readClient } from "./read"

export function temperatureChannel(client: ds.Temperature, decimals: number): SensorChannel {
    return { key: "temperature", unit: "°C", decimals: decimals, deviceClass: "temperature", name: "Temperature", read: readClient(client) }
}

export function humidityChannel(client: ds.Humidity, decimals: number): SensorChannel {
    return { key: "humidity", unit: "%", decimals: decimals, deviceClass: "humidity", name: "Humidity", read: readClient(client) }
}

export function pressureChannel(client: ds.AirPressure, decimals: number): SensorChannel {
    return { key: "pressure", unit: "hPa", decimals: decimals, deviceClass: "pressure", name: "Pressure", read: readClient(client) }
}

/** A channel for a sensor that failed to start: every read fails with the start-up error. */
export function missingChannel(key: string, unit: string, why: string): SensorChannel {
    return {
        key: key,
        unit: unit,
        decimals: 1,
        deviceClass: key,
        name: key,
        read: async () => {
            throw new Error(why)
        },
    }
}

/** The board's status LED (the runtime's control service), used as the user LED. */
export class StatusLed implements Led {
    private on = false
    async set(on: boolean): Promise<void> {
        await setStatusLight(on ? 0x404040 : 0)
        this.on = on
    }
    get(): boolean {
        return this.on
    }
}
