// Values a host-side test harness hands to a simulator run (test/helpers/simulator.ts, wrapWithEnv).
// The generated wrapper entry imports the entry under test first and fills this object afterwards,
// so read it lazily: inside test bodies or after an await, never at module top level.
// On a real board this stays empty; firmware settings come from readSetting() instead.
export const simEnv: Record<string, any> = {}

export function simEnvNumber(key: string, fallback: number): number {
    const v = simEnv[key]
    return typeof v === "number" ? v : fallback
}

export function simEnvString(key: string, fallback: string): string {
    const v = simEnv[key]
    return typeof v === "string" ? v : fallback
}
