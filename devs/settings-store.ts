// SettingsStore over @devicescript/settings (flash on a board, the simulated flash in devtools).
// .env.defaults/.env.local values land in the same store when the firmware is deployed.
import { readSetting, writeSetting, deleteSetting } from "@devicescript/settings"
import { SettingsStore } from "../src/config/config"

export class DsSettingsStore implements SettingsStore {
    async read(key: string): Promise<any> {
        return await readSetting<any>(key, undefined)
    }
    async write(key: string, value: any): Promise<void> {
        await writeSetting(key, value)
    }
    async remove(key: string): Promise<void> {
        await deleteSetting(key)
    }
}
