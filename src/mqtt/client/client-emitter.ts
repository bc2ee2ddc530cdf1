// A tiny event emitter both runtimes accept (no Map, no rest args, no `this` in arrows).
// A listener that throws does not break the client: the exception is re-emitted as "error"
// (and swallowed if an "error" listener throws), because on the board an uncaught exception
// in the socket fiber would stop the whole program.

export type Listener = (a?: any, b?: any, c?: any) => void

/**
 * Also the base class of MqttClient (one class instead of a wrapper: fewer functions on the board).
 * E maps each event name to its listener's type (types only: nothing of it exists at run time).
 */
export class Emitter<E = Record<string, Listener>> {
    /** Per event, its listeners (protected: MqttClient adds off(), which the board never calls). */
    protected listeners: Record<string, Listener[]>

    constructor() {
        this.listeners = {}
    }

    on<K extends keyof E & string>(event: K, fn: E[K]): this {
        let l = this.listeners[event]
        if (!l) {
            l = []
            this.listeners[event] = l
        }
        l.push(fn as Listener)
        return this
    }

    emit(event: string, a?: any, b?: any, c?: any): void {
        const l = this.listeners[event]
        if (!l) return
        for (let i = 0; i < l.length; i++) {
            try {
                l[i](a, b, c)
            } catch (e) {
                if (event !== "error") this.emit("error", e)
            }
        }
    }
}
