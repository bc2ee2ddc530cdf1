// The retained status document on <prefix>/<id>/status. Home Assistant reads its "state" member
// (availability value_template), so "online"/"offline" are the only states.

import { jsonString } from "../util/json"
import { formatInteger } from "../util/decimal"
import { FIRMWARE_NAME, FIRMWARE_VERSION } from "./version"

/** The Last Will: published by the broker when the board vanishes (retained). */
export const OFFLINE_STATUS = "{\"state\":\"offline\"}"

/**
 * Published after each connect and then every minute, so it also carries the diagnostics Home
 * Assistant shows (uptime, reconnects, Wi-Fi signal where the runtime reports it: `rssi` undefined
 * leaves it out).
 */
export function onlineStatus(board: string, uptimeMs: number, reconnects: number, rssi: number): string {
    // FIRMWARE_NAME and FIRMWARE_VERSION are constants that need no escaping.
    return (
        "{\"state\":\"online\",\"firmware\":\"" + FIRMWARE_NAME + "\",\"version\":\"" + FIRMWARE_VERSION + "\",\"board\":" + jsonString(board) +
        ",\"uptime_ms\":" + formatInteger(uptimeMs) + ",\"reconnects\":" + formatInteger(reconnects) + (rssi === undefined ? "" : ",\"rssi\":" + formatInteger(rssi)) + "}"
    )
}
