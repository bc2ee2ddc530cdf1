// The retained status document on <prefix>/<id>/status. Home Assistant reads its "state" member
// (availability value_template), so "online"/"offline" are the only states.

import { jsonString } from "../util/json"
import { formatInteger } from "../util/decimal"
import { FIRMWARE_NAME, version } from "./version"

/** The Last Will: published by the broker when the board vanishes (retained). */
export const OFFLINE_STATUS = '{"state":"offline"}'

/** How every online status starts (the board recognises its own status by it). */
export const ONLINE_PREFIX = '{"state":"online"'

/**
 * Published after each connect and then every minute, so it also carries the diagnostics Home
 * Assistant shows (uptime, reconnects, Wi-Fi signal where the runtime reports it: `rssi` undefined
 * leaves it out). settingsError: why the last change of connection settings was not kept
 * (Config.trialFailed), if any.
 */
export function onlineStatus(
    board: string,
    uptimeMs: number,
    reconnects: number,
    rssi: number | undefined,
    settingsError: string | undefined
): string {
    // FIRMWARE_NAME and the version (package.json's, digits, letters, . and -) need no escaping.
    // The optional members appended by if (a ?: costs a copy through a temporary).
    let doc =
        ONLINE_PREFIX +
        ',"firmware":"' +
        FIRMWARE_NAME +
        '","version":"' +
        version.text +
        '","board":' +
        jsonString(board) +
        ',"uptime_ms":' +
        formatInteger(uptimeMs) +
        ',"reconnects":' +
        formatInteger(reconnects)
    if (rssi !== undefined) doc += ',"rssi":' + formatInteger(rssi)
    if (settingsError) doc += ',"settings_error":' + jsonString(settingsError)
    return doc + "}"
}
