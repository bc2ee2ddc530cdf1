// Broker and head-end URLs: scheme://host[:port][/]. Only what the firmware needs, no general
// URL parser. User info in the URL is refused on purpose: credentials live in their own
// settings (MQTT_USER/MQTT_PASS) so that the URL can be logged and shown by config.get.

export interface Endpoint {
    scheme: string
    host: string
    port: number
    tls: boolean
}

/** Default port and TLS per scheme (MQTT 3.1.1 §5 / IANA; RFC 8323 §8.1 for coap+tcp). */
const SCHEMES: Record<string, Endpoint> = {
    mqtt: { scheme: "mqtt", host: "", port: 1883, tls: false },
    mqtts: { scheme: "mqtts", host: "", port: 8883, tls: true },
    "coap+tcp": { scheme: "coap+tcp", host: "", port: 5683, tls: false },
    "coaps+tcp": { scheme: "coaps+tcp", host: "", port: 5684, tls: true },
}

function allDigits(s: string): boolean {
    if (s.length === 0) return false
    for (let i = 0; i < s.length; i++) {
        const c = s.charCodeAt(i)
        if (c < 48 || c > 57) return false
    }
    return true
}

/** Parses url for one of `schemes`; returns the endpoint or a sentence saying what is wrong. */
export function parseUrl(url: string, schemes: string[]): Endpoint | string {
    const sep = url.indexOf("://")
    const expected = schemes.map(s => s + "://").join(" or ")
    if (sep <= 0) return "must start with " + expected
    const scheme = url.slice(0, sep).toLowerCase()
    if (schemes.indexOf(scheme) < 0) return "must start with " + expected
    const base = SCHEMES[scheme]
    let rest = url.slice(sep + 3)
    if (rest.endsWith("/")) rest = rest.slice(0, rest.length - 1)
    if (rest.indexOf("/") >= 0 || rest.indexOf("?") >= 0 || rest.indexOf("#") >= 0) return "must be scheme://host[:port] with no path"
    if (rest.indexOf("@") >= 0) return "must not contain user or password (use the user/password settings)"
    let host = rest
    let portText = ""
    if (rest.startsWith("[")) {
        const close = rest.indexOf("]")
        if (close < 0) return "has an unclosed [ in the host"
        host = rest.slice(1, close)
        const after = rest.slice(close + 1)
        if (after.length > 0) {
            if (!after.startsWith(":")) return "has text after the host"
            portText = after.slice(1)
            if (portText.length === 0) return "has an empty port"
        }
    } else {
        const colon = rest.lastIndexOf(":")
        if (colon >= 0) {
            host = rest.slice(0, colon)
            portText = rest.slice(colon + 1)
            if (portText.length === 0) return "has an empty port"
            if (host.indexOf(":") >= 0) return "must put an IPv6 address in [ ]"
        }
    }
    if (host.length === 0) return "has no host"
    for (let i = 0; i < host.length; i++) {
        const c = host.charCodeAt(i)
        if (c <= 0x20 || c === 0x7f) return "has a space or control character in the host"
    }
    let port = base.port
    if (portText.length > 0) {
        if (!allDigits(portText) || portText.length > 5) return "has an invalid port"
        port = parseInt(portText)
        if (port < 1 || port > 65535) return "has a port outside 1..65535"
    }
    return { scheme: scheme, host: host, port: port, tls: base.tls }
}
