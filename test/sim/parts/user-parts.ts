// A user's parts file as docs/extending.md describes it, for the end-to-end test
// (test/e2e/user-parts.spec.ts): a simulated CO2 sensor and a simulated fan on a switch.
import { BoardHardware } from "../../../src/firmware/hardware"

let fan = false

export async function addUserParts(hw: BoardHardware): Promise<void> {
    // the room's CO2 rises while the fan is off
    hw.sensors.push({
        key: "co2",
        name: "CO2",
        unit: "ppm",
        deviceClass: "carbon_dioxide",
        decimals: 0,
        read: async () => (fan ? 450 : 800),
    })
    hw.actuators.push({
        key: "fan",
        name: "Fan",
        kind: "switch",
        get: () => fan,
        set: async (v: boolean | number) => {
            fan = !!v
            console.log("sim fan " + (fan ? "on" : "off"))
        },
    })
}
