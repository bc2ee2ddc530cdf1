// Espressif ESP32-S3-DevKitM-1 + Sensirion SHT30 (I2C address 0x44).
// Wiring: SHT30 SDA -> GPIO8, SCL -> GPIO9, VCC -> 3V3, GND -> GND.
// The on-board RGB LED (GPIO48, the runtime's status light) is offered as led.set/led.get.
import { pins } from "@dsboard/esp32s3_devkit_m"
import { configureHardware } from "@devicescript/servers"
import { startSHT30 } from "@devicescript/drivers"
import { BoardHardware, SensorChannel } from "../../src/firmware/hardware"
import { StatusLed, channels } from "../common/channels"

configureHardware({ i2c: { pinSDA: pins.P8, pinSCL: pins.P9, kHz: 100 } })

export async function startBoard(): Promise<BoardHardware> {
    let sensors: SensorChannel[]
    try {
        const sht = await startSHT30({ address: 0x44 })
        sensors = channels(2, [sht.temperature, sht.humidity])
    } catch (e) {
        const why = "SHT30 not found at I2C 0x44 (SDA=GPIO8, SCL=GPIO9): " + (e as Error)?.message
        console.log(why)
        sensors = channels(2, [], why)
    }
    return { board: "esp32s3_devkit_m", model: "ESP32-S3-DevKitM-1 + SHT30", tls: true, sensors: sensors, led: new StatusLed() }
}
