// One sensor reading kept as a scaled integer, so its printed form has exactly the sensor's
// precision in both runtimes (see src/util/decimal.ts for why floats are never printed directly).

import { toScaled } from "../util/decimal"

export interface Reading {
    /** Telemetry key and Home Assistant quantity: "temperature", "humidity", "pressure", ... */
    key: string
    /** value = scaled / 10^decimals */
    scaled: number
    decimals: number
}

export function makeReading(key: string, value: number, decimals: number): Reading {
    return { key: key, scaled: toScaled(value, decimals), decimals: decimals }
}
