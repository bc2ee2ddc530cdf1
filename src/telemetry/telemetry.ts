// The telemetry document published on <prefix>/<id>/telemetry:
//   {"ts":123456,"temperature":21.53,"humidity":40.2,"pressure":1013.2}
// ts is milliseconds since the board booted (the runtime has no wall clock; see docs/firmware.md).
// Keys appear in the order the board lists its sensors; a sensor that failed to read is left out.

import { formatInteger, formatScaled } from "../util/decimal"
import { Reading } from "./reading"
import { jsonString } from "../util/json"

export function telemetryJson(ts: number, readings: Reading[]): string {
    let doc = '{"ts":' + formatInteger(ts)
    for (const r of readings) doc += "," + jsonString(r.key) + ":" + formatScaled(r.scaled, r.decimals)
    return doc + "}"
}
