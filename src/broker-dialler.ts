// The dial layer between an MQTT session and its transport when MQTT_URL lists several brokers
// (src/config/broker-list.ts): the session asks for a connection as it always does, with its
// own backoff between attempts, and each new connection goes to the next broker of the list,
// wrapping round. A session only dials again after its link failed (or on an explicit
// reconnect), so a dead node costs one failed attempt and the next one reaches a live node.
// The session itself knows nothing of the list: what it restores on the new node (its
// subscriptions, its outbox) it restores after any reconnect.

import { Stream, StreamConnector, StreamEvents, StreamTarget } from "./io"

export class BrokerDialler implements StreamConnector {
    private inner: StreamConnector
    private targets: StreamTarget[]
    private next: number
    /** The broker of the most recent connection attempt (undefined before the first). */
    current: StreamTarget | undefined

    /** targets: at least one; the first connection goes to targets[0]. */
    constructor(inner: StreamConnector, targets: StreamTarget[]) {
        this.inner = inner
        this.targets = targets
        this.next = 0
        this.current = undefined
    }

    /** Opens a stream to the next broker of the list; the session's own target is the list's first and is not used. */
    open(_target: StreamTarget, events: StreamEvents): Stream {
        const t = this.targets[this.next]
        this.next = (this.next + 1) % this.targets.length
        this.current = t
        return this.inner.open(t, events)
    }
}
