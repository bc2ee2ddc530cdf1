// 4.7 Topic names and topic filters.
// Matching runs once per incoming message per subscription, so it walks both strings with
// indices and allocates nothing (no split("/")).

import { fail } from "./errors"
import { utf8Bytes } from "./utf8"

const SLASH = 0x2f
const PLUS = 0x2b
const HASH = 0x23
const DOLLAR = 0x24

/** The string-level part of a topic name check (the byte-level part is utf8Bytes). */
export function checkTopicNameChars(topic: string): void {
    // 4.7.3-1: at least one character
    if (topic.length === 0) fail("MQTT-4.7.3-1", "empty topic name")
    // 3.3.2-2 (and 4.7.1-1): no wildcards in a topic name
    if (topic.indexOf("+") >= 0 || topic.indexOf("#") >= 0) fail("MQTT-3.3.2-2", "wildcard in topic name")
}

// The last topic name checked and its bytes: a device publishes to a few topics over and over,
// and both the session (validate on publish) and the encoder ask.
let lastTopic: string | undefined = undefined
let lastTopicBytes: Buffer | undefined = undefined

/** The UTF-8 bytes of a valid topic name (PUBLISH, will): non-empty, no wildcards, 1.5.3, <= 65535 bytes. */
export function topicNameBytes(topic: string): Buffer {
    if (topic === lastTopic && lastTopicBytes !== undefined) return lastTopicBytes
    checkTopicNameChars(topic)
    const b = utf8Bytes(topic)
    // 4.7.3-3: at most 65535 bytes
    if (b.length > 65535) fail("MQTT-4.7.3-3", "topic name longer than 65535 bytes")
    lastTopic = topic
    lastTopicBytes = b
    return b
}

/** Throws MqttProtocolError unless topic is a valid topic name: topicNameBytes itself (one function less on the board). */
export const validateTopicName: (topic: string) => void = topicNameBytes

/**
 * The string-level part of a topic filter check: wildcard placement (4.7.1). The wildcards are
 * found natively (indexOf), so a long filter is not walked per character in bytecode. (A filter
 * breaking both rules reports the '#' one.)
 */
export function checkTopicFilterChars(filter: string): void {
    if (filter.length === 0) fail("MQTT-4.7.3-1", "empty topic filter")
    // With a '/' added at both ends, each wildcard must fill a level: "/+/", and one final "/#/".
    const p = "/" + filter + "/"
    // 4.7.1-2: '#' is the whole last level
    if (p.indexOf("#") !== (p.endsWith("/#/") ? p.length - 2 : -1)) fail("MQTT-4.7.1-2", "'#' not alone in the last level")
    // 4.7.1-3: '+' occupies a whole level
    for (let i = p.indexOf("+"); i >= 0; i = p.indexOf("+", i + 1))
        if (p.charCodeAt(i - 1) !== SLASH || p.charCodeAt(i + 1) !== SLASH) fail("MQTT-4.7.1-3", "'+' not alone in its level")
}

/** A topic filter as SUBSCRIBE/UNSUBSCRIBE carry it. */
export function validateTopicFilter(filter: string): void {
    checkTopicFilterChars(filter)
    if (utf8Bytes(filter).length > 65535) fail("MQTT-4.7.3-3", "topic filter longer than 65535 bytes")
}

/**
 * True when the topic name matches the (valid) filter (4.7.1, 4.7.2).
 * "a/#" also matches "a" (4.7.1.2); "+" matches an empty level; a filter starting with a
 * wildcard does not match a topic starting with '$' (4.7.2-1).
 */
export function topicMatchesFilter(topic: string, filter: string): boolean {
    const tlen = topic.length
    const flen = filter.length
    if (tlen === 0 || flen === 0) return false
    const f0 = filter.charCodeAt(0)
    if ((f0 === PLUS || f0 === HASH) && topic.charCodeAt(0) === DOLLAR) return false
    let ti = 0
    let fi = 0
    while (true) {
        // at the start of a level in both strings
        const fc = filter.charCodeAt(fi)
        if (fc === HASH) return true
        if (fc === PLUS) {
            // skip the topic's level natively (a long level must not loop in bytecode)
            const k = topic.indexOf("/", ti)
            ti = k < 0 ? tlen : k
            fi++
        } else {
            while (fi < flen) {
                const c = filter.charCodeAt(fi)
                if (c === SLASH) break
                // past the topic's end charCodeAt gives NaN (Node) or 0 (DeviceScript), never a
                // filter character (a valid filter has no U+0000), so no separate length check
                if (topic.charCodeAt(ti) !== c) return false
                ti++
                fi++
            }
        }
        // the filter level ended; the topic level must end here too
        if (ti < tlen && topic.charCodeAt(ti) !== SLASH) return false
        if (fi >= flen) return ti >= tlen
        // filter is at '/': if the topic ended, only a trailing "/#" still matches ("a/#" matches "a")
        if (ti >= tlen) return fi + 2 === flen && filter.charCodeAt(fi + 1) === HASH
        ti++
        fi++
    }
}
