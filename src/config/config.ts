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

/**
 * The connection settings. A change to one of them over config.set is not saved in place: it waits
 * under TRIAL_KEY, is tried after the next restart, and is kept only when the board connects with
 * it (commitTrial); otherwise the settings that worked are still in the store (docs/firmware.md).
 */
const TRIED = " MQTT_URL MQTT_USER MQTT_PASS MQTT_PREFIX "
/** Store keys: the connection settings waiting to be tried, and what happened to the last trial. */
export const TRIAL_KEY = "CONN_TRIAL"
export const TRIAL_FAILED_KEY = "CONN_FAILED"

export class Config {
    private values: Record<string, any> = {}
    /**
     * Called with the changed keys after a successful set() (one listener, the application's: a
     * field rather than a list and an onChange method, which the board would link).
     */
    changed: ((keys: string[]) => void) | undefined
    /** Changed connection settings waiting for the next restart (also under TRIAL_KEY). */
    private pending: Record<string, any> = {}
    /** The connection settings being tried in this run (loaded from TRIAL_KEY), else undefined. */
    trial: Record<string, any> | undefined
    /** Why the last trial of new connection settings failed, until one succeeds. */
    trialFailed: string | undefined

    constructor(
        private store: SettingsStore,
        private log: Logger
    ) {
        for (const d of SETTINGS) this.values[d.key] = d.default
    }

    /**
     * Reads every setting from the store. A bad or unreadable value is logged in plain words and
     * replaced by the default; load() itself never throws.
     */
    async load(): Promise<void> {
        for (const d of SETTINGS) {
            let problem: string | undefined = undefined
            let value = d.default
            try {
                const raw = await this.store.read(d.key)
                // (!= null: neither undefined nor null, one instruction instead of two tests)
                if (raw != null) {
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
        const store = this.store
        try {
            const t = await store.read(TRIAL_KEY)
            if (t) {
                // Taken out of the store before it is used, and a failure written in advance: a
                // restart or crash during the trial comes back on the settings that worked.
                await store.remove(TRIAL_KEY)
                await store.write(
                    TRIAL_FAILED_KEY,
                    "the new connection settings were not confirmed (restart during their trial); the previous ones are back"
                )
                // (checked by set() before they were stored)
                Object.assign(this.values, t)
                this.trial = t
            } else this.trialFailed = await store.read(TRIAL_FAILED_KEY)
        } catch (e) {
            this.log("config: cannot read the connection trial (" + (e as Error).message + ")")
        }
    }

    /** The trial's settings worked: they become the settings (in the store). Throws when the store does. */
    async commitTrial(): Promise<void> {
        // only called while a trial runs
        const t = this.trial as Record<string, any>
        this.trial = undefined
        for (const k of Object.keys(t)) await this.store.write(k, t[k])
        await this.store.remove(TRIAL_FAILED_KEY)
    }

    /**
     * The trial did not succeed within ms: logs and records why (reported in the status after the
     * restart the caller makes next).
     */
    async failTrial(ms: number): Promise<void> {
        const why =
            "new " +
            Object.keys(this.trial as Record<string, any>).join(", ") +
            " did not connect within " +
            ms / 1000 +
            " s; the previous settings are back"
        this.log("config: " + why)
        try {
            await this.store.write(TRIAL_FAILED_KEY, why)
        } catch (e) {
            // the failure marker written when the trial began says enough
        }
    }

    get(key: string): any {
        return this.values[key]
    }

    /** All settings; secrets are replaced by "(hidden)" unless they are empty. */
    snapshot(): Record<string, any> {
        const out: Record<string, any> = {}
        for (const d of SETTINGS) {
            let v = this.values[d.key]
            if (d.secret && v !== "") v = "(hidden)"
            out[d.key] = v
        }
        return out
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
            const d = findSetting(k)
            if (!d) return "unknown setting " + k
            const raw = changes[k]
            if (raw === null) {
                next[k] = null
                continue
            }
            const c = checkSetting(d, raw, true)
            if (c.error !== undefined) return k + " " + c.error
            next[k] = c.value
        }
        let restartNeeded = false
        const applied: Record<string, any> = {}
        for (const k of keys) {
            // every key was found in the first loop, which returns on an unknown one
            const d = findSetting(k) as SettingDef
            const v = next[k]
            let value = v
            if (v === null) value = d.default
            const tried = TRIED.indexOf(" " + k + " ") >= 0
            try {
                if (tried) {
                    this.pending[k] = value
                    await this.store.write(TRIAL_KEY, this.pending)
                    await this.store.remove(TRIAL_FAILED_KEY)
                } else if (v === null) await this.store.remove(k)
                else await this.store.write(k, v)
            } catch (e) {
                return "could not save " + k + ": " + (e as Error).message
            }
            if (value !== this.values[k] && d.restart) restartNeeded = true
            // a connection setting stays as it is until its trial after the restart
            if (!tried) this.values[k] = value
            let shown = value
            if (d.secret) shown = "(hidden)"
            applied[k] = shown
        }
        // (the listener is the application's own and does not throw)
        if (this.changed) this.changed(keys)
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
