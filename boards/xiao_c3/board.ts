// Seeed Studio XIAO ESP32C3 + Sensirion SHT30 (I2C address 0x44).
// Wiring: SHT30 SDA -> D4 (GPIO6), SCL -> D5 (GPIO7), VCC -> 3V3, GND -> GND.
// For an AHT20 instead (address 0x38, same pins): `const t = await startAHT20()` from
// @devicescript/drivers and `channels(2, [t.temperature, t.humidity])`; the driver's Jacdac sensor
// servers cost the image ~4.5 KB that boards/common/sht.ts does not.
// The XIAO has no user LED, so led.set/led.get are not offered on this board.
import { pins } from "@dsboard/seeed_xiao_esp32c3"
import { configureHardware } from "@devicescript/servers"
import { BoardHardware, SensorChannel } from "../../src/firmware/hardware"
import { channels } from "../common/channels"
import { startSht } from "../common/sht"

// no I2C scan at start-up: the runtime would start its own drivers for the chips it finds
configureHardware({ scanI2C: false, i2c: { pinSDA: pins.SDA_D4, pinSCL: pins.SCL_D5, kHz: 100 } })

export async function startBoard(): Promise<BoardHardware> {
    let sensors: SensorChannel[]
    try {
        sensors = channels(2, await startSht(0x44))
    } catch (e) {
        const why = "SHT30 not found at I2C 0x44 (SDA=D4, SCL=D5): " + (e as Error)?.message
        console.log(why)
        sensors = channels(2, [], why)
    }
    return { board: "seeed_xiao_esp32c3", model: "Seeed XIAO ESP32C3 + SHT30", tls: true, sensors: sensors }
}
