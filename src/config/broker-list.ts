// A list of brokers in one MQTT_URL: the nodes of one clustered broker, tried in turn.
// Syntax: URLs separated by commas, spaces around a comma allowed, e.g.
//   mqtt://10.0.0.1:1883,mqtt://10.0.0.2:1883,mqtt://10.0.0.3:1883
// A comma cannot occur in a host name, a port or a scheme, so it needs no escaping. Each entry is
// parsed by src/config/url.ts like a single URL; a list of one is a plain MQTT_URL. The one place
// that parses the list, for the Node client (src/host/mqtt.ts) and anything that reads MQTT_URL.

import { Endpoint, parseUrl, parseUrlWithCredentials } from "./url"

/**
 * Parses text as a comma-separated list of broker URLs of `schemes`. Returns the endpoints in
 * the order given, or a sentence that starts with `name` (the setting or option, default
 * MQTT_URL) and says which entry is wrong and why. Refused: an empty entry, an entry parseUrl
 * refuses, the same host and port twice, and (with `credentials`) entries whose user or password
 * differ: one session logs in to whichever node it reaches with the same credentials.
 */
export function parseBrokerList(text: string, schemes: string[], credentials?: boolean, name?: string): Endpoint[] | string {
    const label = name ?? "MQTT_URL"
    const parts = text.split(",")
    const out: Endpoint[] = []
    for (let i = 0; i < parts.length; i++) {
        const entry = parts[i].trim()
        const which = parts.length > 1 ? label + " entry " + (i + 1) + " of " + parts.length : label
        if (entry === "") return which + " is empty (syntax: scheme://host[:port] separated by commas)"
        const shown = which + " (" + withoutUserInfo(entry) + ") "
        if (entry.indexOf("://") !== entry.lastIndexOf("://")) return shown + "holds two URLs: separate brokers with commas"
        const r = credentials ? parseUrlWithCredentials(entry, schemes) : parseUrl(entry, schemes)
        if (typeof r === "string") return shown + r
        const ep = r as Endpoint
        for (const prev of out) {
            if (prev.host === ep.host && prev.port === ep.port) return shown + "repeats " + ep.host + ":" + ep.port
            if (prev.username !== ep.username || prev.password !== ep.password)
                return shown + "has other credentials than entry 1: one list, one user and password"
        }
        out.push(ep)
    }
    return out
}

/** The entry as an error may show it: user and password replaced by *** (errors get logged). */
function withoutUserInfo(entry: string): string {
    const sep = entry.indexOf("://")
    const at = entry.lastIndexOf("@")
    return sep >= 0 && at > sep ? entry.slice(0, sep + 3) + "***" + entry.slice(at) : entry
}
