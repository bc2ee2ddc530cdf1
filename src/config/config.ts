// The device's settings: loaded and validated once at boot, changed by config.set, persisted in
// the platform's settings store (flash on the board) so a change survives a restart.

import { SettingDef, SETTINGS, findSetting } from "./schema"
import { checkSetting, shownValue } from "./validate"

/** Where settings live. DeviceScript: @devicescript/settings (flash); Node tests: a Record. */
export interface SettingsStore {
    /** The stored value, or undefined when the key was never set. */
    read(key: string): Promise<any>
    write(key: string, value: any): Promise<void>
    remove(key: string): Promise<void>
}

export type Logger = (line: string) => void

export interface SetResult {
    /** The values now in effect, keyed by setting (secrets shown as "(hidden)"). */
    applied: Record<string, any>
    /** True when at least one changed setting takes effect only after sys.restart. */
    restartNeeded: boolean
}

export class Config {
    private values: Record<string, any> = {}
    private listeners: ((keys: string[]) => void)[] = []
    private defs: SettingDef[]

    constructor(private store: SettingsStore, private log: Logger, defs?: SettingDef[]) {
        this.defs = defs || SETTINGS
        for (const d of this.defs) this.values[d.key] = d.default
    }

    /**
     * Reads every setting from the store. A bad or unreadable value is logged in plain words and
     * replaced by the default; load() itself never throws.
     */
    async load(): Promise<void> {
        for (const d of this.defs) {
            let problem: string | undefined = undefined
            let value = d.default
            try {
                const raw = await this.store.read(d.key)
                if (raw !== undefined && raw !== null) {
                    const c = checkSetting(d, raw) // never throws
                    if (c.error !== undefined) problem = d.key + "=" + shownValue(d, raw) + " " + c.error
                    else value = c.value
                }
            } catch (e) {
                problem = "cannot read " + d.key + " (" + (e as Error).message + ")"
            }
            if (problem) this.log("config: " + problem + "; using default " + shownValue(d, d.default))
            this.values[d.key] = value
        }
    }

    get(key: string): any {
        return this.values[key]
    }

    /** All settings; secrets are replaced by "(hidden)" unless they are empty. */
    snapshot(): Record<string, any> {
        const out: Record<string, any> = {}
        for (const d of this.defs) {
            const v = this.values[d.key]
            out[d.key] = d.secret && v !== "" ? "(hidden)" : v
        }
        return out
    }

    /** Called with the changed keys after a successful set(). */
    onChange(fn: (keys: string[]) => void): void {
        this.listeners.push(fn)
    }

    /**
     * Validates ALL changes first, then persists them; nothing is applied when one is invalid.
     * A null value resets that setting to its default (removes it from the store).
     * Returns the result, or a sentence naming the first problem.
     */
    async set(changes: Record<string, any>): Promise<SetResult | string> {
        const keys = Object.keys(changes)
        if (keys.length === 0) return "no settings given"
        const next: Record<string, any> = {}
        for (const k of keys) {
            const d = findSetting(k, this.defs)
            if (!d) return "unknown setting " + k
            const raw = changes[k]
            if (raw === null) {
                next[k] = null
                continue
            }
            const c = checkSetting(d, raw)
            if (c.error !== undefined) return k + " " + c.error
            next[k] = c.value
        }
        let restartNeeded = false
        const applied: Record<string, any> = {}
        for (const k of keys) {
            // every key was found in the first loop, which returns on an unknown one
            const d = findSetting(k, this.defs) as SettingDef
            const v = next[k]
            try {
                if (v === null) await this.store.remove(k)
                else await this.store.write(k, v)
            } catch (e) {
                return "could not save " + k + ": " + (e as Error).message
            }
            const value = v === null ? d.default : v
            if (value !== this.values[k] && d.restart) restartNeeded = true
            this.values[k] = value
            applied[k] = d.secret ? "(hidden)" : value
        }
        for (const fn of this.listeners) {
            try {
                fn(keys)
            } catch (e) {
                this.log("config: change listener failed: " + (e as Error).message)
            }
        }
        return { applied: applied, restartNeeded: restartNeeded }
    }
}

/** An in-memory store (Node tests, and the fallback when the platform has none). */
export class MemoryStore implements SettingsStore {
    data: Record<string, any> = {}
    async read(key: string): Promise<any> {
        return this.data[key]
    }
    async write(key: string, value: any): Promise<void> {
        this.data[key] = value
    }
    async remove(key: string): Promise<void> {
        delete this.data[key]
    }
}
