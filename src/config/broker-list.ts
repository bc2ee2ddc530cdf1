// A list of brokers in one MQTT_URL: the nodes of one clustered broker, tried in turn.
// Syntax: URLs separated by commas, spaces around a comma allowed, e.g.
//   mqtt://10.0.0.1:1883,mqtt://10.0.0.2:1883,mqtt://10.0.0.3:1883
// A comma cannot occur in a host name, a port or a scheme, so it needs no escaping. Each entry is
// parsed by src/config/url.ts like a single URL; a list of one is a plain MQTT_URL. The one place
// that parses the list: the board's MQTT_URL setting (src/config/schema.ts, src/firmware/app.ts),
// the Node client (src/host/mqtt.ts) and anything else that reads MQTT_URL. The board links it, so
// it stays small: no class, one function, and errors that name the entry by its number rather
// than echo it (an echo would have to hide user:pass@ first).

import { Endpoint, parseUrl } from "./url"

/**
 * Parses text as a comma-separated list of broker URLs of `schemes`. Returns the endpoints in the
 * order given, or a sentence for the caller to put the setting's or option's name in front of:
 * one URL gets the single URL's sentence unchanged, a list's says which entry is wrong and why
 * ("entry 2 of 3 is empty ..."). Refused: an empty entry, two URLs without a comma between them,
 * an entry `parse` refuses, and the same host and port twice.
 * parse: how one entry is read; parseUrl (the settings' rule: no user info) unless given. The Node
 * client's url passes parseUrlWithCredentials and then checks otherCredentials (the boards link
 * neither: their credentials are settings of their own).
 */
export function parseBrokerList(
    text: string,
    schemes: string[],
    parse?: (url: string, schemes: string[]) => Endpoint | string
): Endpoint[] | string {
    const parts = text.split(",")
    const n = parts.length
    const out: Endpoint[] = []
    for (let i = 0; i < n; i++) {
        const entry = parts[i].trim()
        let which = ""
        if (n > 1) which = "entry " + (i + 1) + " of " + n + " "
        if (entry === "") return which + "is empty (syntax: scheme://host[:port] separated by commas)"
        if (entry.indexOf("://") !== entry.lastIndexOf("://")) return which + "holds two URLs: separate brokers with commas"
        const r = (parse || parseUrl)(entry, schemes)
        if (typeof r === "string") return which + r
        const ep = r as Endpoint
        for (const prev of out) if (prev.host === ep.host && prev.port === ep.port) return which + "repeats " + ep.host + ":" + ep.port
        out.push(ep)
    }
    return out
}

/**
 * For lists parsed with credentials: a sentence when an entry's user or password differs from the
 * first entry's (one session logs in to whichever node it reaches, with the same credentials), else
 * undefined.
 */
export function otherCredentials(list: Endpoint[]): string | undefined {
    for (let i = 1; i < list.length; i++)
        if (list[i].username !== list[0].username || list[i].password !== list[0].password)
            return "entry " + (i + 1) + " of " + list.length + " has other credentials than entry 1: one list, one user and password"
    return undefined
}
