// Espressif ESP32-S3-DevKitM-1 + Sensirion SHT30 (I2C address 0x44).
// Wiring: SHT30 SDA -> GPIO8, SCL -> GPIO9, VCC -> 3V3, GND -> GND.
// The on-board RGB LED (GPIO48, the runtime's status light) is offered as led.set/led.get.
import { pins } from "@dsboard/esp32s3_devkit_m"
import { configureHardware } from "@devicescript/servers"
import { BoardHardware, SensorChannel } from "../../src/firmware/hardware"
import { StatusLed, channels } from "../common/channels"
import { startSht } from "../common/sht"

// no I2C scan at start-up: the runtime would start its own drivers for the chips it finds
configureHardware({ scanI2C: false, i2c: { pinSDA: pins.P8, pinSCL: pins.P9, kHz: 100 } })

export async function startBoard(): Promise<BoardHardware> {
    let sensors: SensorChannel[]
    try {
        sensors = channels(2, await startSht(0x44))
    } catch (e) {
        const why = "SHT30 not found at I2C 0x44 (SDA=GPIO8, SCL=GPIO9): " + (e as Error)?.message
        console.log(why)
        sensors = channels(2, [], why)
    }
    return { board: "esp32s3_devkit_m", model: "ESP32-S3-DevKitM-1 + SHT30", tls: true, sensors: sensors, led: new StatusLed() }
}
