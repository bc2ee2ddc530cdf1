// Example: a relay module on a GPIO pin as a Home Assistant switch (docs/extending.md).
// Wiring: relay IN -> GPIO 5 (Pico W: GP5 is I2C SCL, so the example uses GP15 there), VCC -> 5V
// or 3V3 as the module needs, GND -> GND. High = on; for an active-low module swap 1 and 0.
import * as ds from "@devicescript/core"
import { GPIOMode } from "@devicescript/core"
import "@devicescript/gpio"
import { BoardHardware } from "../../src/firmware/hardware"

export async function addUserParts(hw: BoardHardware): Promise<void> {
    const pin = ds.gpio(hw.board === "pico_w" ? 15 : 5)
    pin.setMode(GPIOMode.Output)
    let on = false
    pin.write(0)
    hw.actuators.push({
        key: "relay",
        name: "Relay",
        kind: "switch",
        deviceClass: "outlet",
        get: () => on,
        set: async (v: boolean | number) => {
            pin.write(v ? 1 : 0)
            on = !!v
        },
    })
}
