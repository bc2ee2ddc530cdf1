// The retained status document on <prefix>/<id>/status. Home Assistant reads its "state" member
// (availability value_template), so "online"/"offline" are the only states.

import { jsonString } from "../util/json"
import { formatInteger } from "../util/decimal"
import { FIRMWARE_NAME, FIRMWARE_VERSION } from "./version"

/** The Last Will: published by the broker when the board vanishes (retained). */
export const OFFLINE_STATUS = "{\"state\":\"offline\"}"

export function onlineStatus(board: string, uptimeMs: number): string {
    // FIRMWARE_NAME and FIRMWARE_VERSION are constants that need no escaping.
    return "{\"state\":\"online\",\"firmware\":\"" + FIRMWARE_NAME + "\",\"version\":\"" + FIRMWARE_VERSION + "\",\"board\":" + jsonString(board) + ",\"uptime_ms\":" + formatInteger(uptimeMs) + "}"
}
