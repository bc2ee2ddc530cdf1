// SettingsStore over @devicescript/settings (flash on a board, the simulated flash in devtools).
// .env.defaults/.env.local values land in the same store when the firmware is deployed.
// Values are written as this project's JSON text (src/util/json.ts), not with writeSetting: that
// serializes with the runtime's JSON.stringify, which writes "é" as "\u00c3\u00a9" (its UTF-8 bytes
// as characters), so a name with an accent came back as "Ã©". readSetting parses UTF-8 text fine.
import { readSetting, deleteSetting, settings } from "@devicescript/settings"
import { SettingsStore } from "../src/config/config"
import { toJson } from "../src/util/json"

export class DsSettingsStore implements SettingsStore {
    async read(key: string): Promise<any> {
        return await readSetting<any>(key, undefined)
    }
    async write(key: string, value: any): Promise<void> {
        await settings.set(key, Buffer.from(toJson(value)))
    }
    async remove(key: string): Promise<void> {
        await deleteSetting(key)
    }
}
