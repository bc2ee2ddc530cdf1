// One sensor reading kept as a scaled integer, so its printed form has exactly the sensor's
// precision in both runtimes (see format.ts for why floats are never printed directly).

import { formatScaled, toScaled } from "./format"

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

export function readingText(r: Reading): string {
    return formatScaled(r.scaled, r.decimals)
}
