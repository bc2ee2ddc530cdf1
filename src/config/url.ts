// Broker and head-end URLs: scheme://host[:port][/], the project's one URL parser (the firmware's
// MQTT_URL and COAP_URL settings, and the MQTT client's `url` option). Only what those need, no
// general URL parser. For settings, user info in the URL is refused on purpose: credentials live in
// their own settings (MQTT_USER/MQTT_PASS) so that the URL can be logged and shown by config.get.
// The MQTT client's `url` option follows MQTT.js instead: user[:pass]@ are credentials and a path
// is ignored (parseUrlWithCredentials).

export interface Endpoint {
    scheme: string
    host: string
    port: number
    tls: boolean
    /** Only with `credentials`: the user info, undefined when the URL has none. */
    username?: string
    password?: string
}

/** The schemes of MQTT_URL. */
export const MQTT_SCHEMES = ["mqtt", "mqtts"]

/**
 * Parses url for one of `schemes` (mqtt, mqtts, tcp, tls, ssl, coap+tcp, coaps+tcp); returns the
 * endpoint or a sentence saying what is wrong. Default ports: 1883, 8883 with TLS (MQTT 3.1.1 §5 /
 * IANA); 5683, 5684 for coaps+tcp (RFC 8323 §8.1). User info and a path are refused (the settings'
 * rule); parseUrlWithCredentials is the MQTT.js reading.
 */
export function parseUrl(url: string, schemes: string[]): Endpoint | string {
    const sep = url.indexOf("://")
    let scheme = ""
    if (sep > 0) scheme = url.slice(0, sep).toLowerCase()
    if (schemes.indexOf(scheme) < 0) return "must start with " + schemes.join(":// or ") + "://"
    let rest = url.slice(sep + 3)
    if (rest.endsWith("/")) rest = rest.slice(0, rest.length - 1)
    for (const c of "/?#") if (rest.indexOf(c) >= 0) return "must be scheme://host[:port] with no path"
    if (rest.indexOf("@") >= 0) return "must not contain user or password (use the user/password settings)"
    return endpointOf(scheme, rest)
}

/**
 * parseUrl as MQTT.js reads a URL: "user[:pass]@" is taken as credentials and anything from the
 * first "/" on is ignored. A separate function so that the boards, which never take credentials
 * from a URL, do not link it.
 */
export function parseUrlWithCredentials(url: string, schemes: string[]): Endpoint | string {
    const sep = url.indexOf("://")
    // a scheme parseUrl refuses: its sentence
    if (sep <= 0 || schemes.indexOf(url.slice(0, sep).toLowerCase()) < 0) return parseUrl(url, schemes)
    let rest = url.slice(sep + 3)
    const slash = rest.indexOf("/")
    if (slash >= 0) rest = rest.slice(0, slash)
    const at = rest.lastIndexOf("@")
    const r = endpointOf(url.slice(0, sep).toLowerCase(), rest.slice(at + 1))
    if (typeof r === "string" || at < 0) return r
    const ep = r as Endpoint
    const cred = rest.slice(0, at)
    const colon = cred.indexOf(":")
    ep.username = colon < 0 ? cred : cred.slice(0, colon)
    if (colon >= 0) ep.password = cred.slice(colon + 1)
    return ep
}

/** host[:port] or [ipv6][:port] of a URL whose scheme is known good. */
function endpointOf(scheme: string, rest: string): Endpoint | string {
    let host = rest
    let portText: string | undefined
    if (rest.startsWith("[")) {
        const close = rest.indexOf("]")
        if (close < 0) return "has an unclosed [ in the host"
        host = rest.slice(1, close)
        if (close + 1 < rest.length) {
            if (rest.charCodeAt(close + 1) !== 0x3a) return "has text after the host"
            portText = rest.slice(close + 2)
        }
    } else {
        const colon = rest.lastIndexOf(":")
        if (colon >= 0) {
            host = rest.slice(0, colon)
            portText = rest.slice(colon + 1)
            if (host.indexOf(":") >= 0) return "must put an IPv6 address in [ ]"
        }
    }
    if (portText === "") return "has an empty port"
    if (host.length === 0) return "has no host"
    for (let i = 0; i < host.length; i++) {
        const c = host.charCodeAt(i)
        if (c <= 0x20 || c === 0x7f) return "has a space or control character in the host"
    }
    const tls = " mqtts tls ssl coaps+tcp ".indexOf(" " + scheme + " ") >= 0
    let port = tls ? 8883 : 1883
    if (scheme.startsWith("coap")) port = tls ? 5684 : 5683
    if (portText !== undefined) {
        if (portText.length > 5) return "has an invalid port"
        port = 0
        for (let i = 0; i < portText.length; i++) {
            const c = portText.charCodeAt(i) - 48
            if (c < 0 || c > 9) return "has an invalid port"
            port = port * 10 + c
        }
        if (port < 1 || port > 65535) return "has a port outside 1..65535"
    }
    return { scheme: scheme, host: host, port: port, tls: tls }
}
