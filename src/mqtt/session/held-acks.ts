// Inbound QoS 1 flow control. MQTT 3.1.1 gives a receiver no window of its own: the only brake on
// a broker is the broker's in-flight window, which refills on PUBACK. A board cannot stop reading
// either (its runtime copies every received byte into the 64 KB heap whether anyone reads or not),
// so a burst of requests ran it out of memory. 4.3.2 lets the receiver send PUBACK once it has
// taken ownership of the message; holding PUBACKs until the application has caught up is
// therefore the brake. Mosquitto 2.0.11 sends up to a whole window (max_inflight_messages, 20)
// per in-order PUBACK, so they are released one at a time, and only once the link has been quiet
// for ACK_GAP_MS: the broker has answered the previous one (or had nothing left to send).
//
// The held ids are a plain array of runs of consecutive ids [first, count, first, count, ...],
// oldest first: a broker numbers its messages in order, so a burst of any size is one run, and
// the memory does not grow with it. Free functions rather than a class: a class costs the board
// a constructor and a prototype entry per method.

/** A held PUBACK goes out only when nothing was received and no PUBACK was released for this long. */
export const ACK_GAP_MS = 30
/** While PUBACKs are held and the application is busy, how often the session looks again. */
export const ACK_POLL_MS = 5

/** Holds the PUBACK of packet id `id` (appended to the last run when it continues it). */
export function holdAck(runs: number[], id: number): void {
    const k = runs.length
    if (k > 0 && runs[k - 2] + runs[k - 1] === id) runs[k - 1]++
    else runs.push(id, 1)
}

/** Removes and returns the oldest held id (the caller checks that runs is not empty). */
export function takeAck(runs: number[]): number {
    const id = runs[0]
    if (runs[1] > 1) {
        runs[0] = id + 1
        runs[1]--
        return id
    }
    // (no splice in DeviceScript)
    runs.shift()
    runs.shift()
    return id
}
