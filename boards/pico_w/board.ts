// Raspberry Pi Pico W + Sensirion SHTC3 (I2C address 0x70).
// Wiring: SHTC3 SDA -> GP4 (pin 6), SCL -> GP5 (pin 7), VCC -> 3V3(OUT) (pin 36), GND -> GND.
// The Pico W runtime has NO TLS: mqtts:// is refused at start-up with a log line (tls: false).
// The on-board LED (driven through the WiFi chip; the runtime's status light) is led.set/led.get.
// Why not a BME680 (pressure too): docs/firmware.md, "Boards".
import { pins } from "@dsboard/pico_w"
import { configureHardware } from "@devicescript/servers"
import { BoardHardware, SensorChannel } from "../../src/firmware/hardware"
import { StatusLed, channels } from "../common/channels"
import { SHTC3_ADDRESS, startSht } from "../common/sht"

// no I2C scan at start-up: the runtime would start its own drivers for the chips it finds
configureHardware({ scanI2C: false, i2c: { pinSDA: pins.GP4, pinSCL: pins.GP5, kHz: 100 } })

export async function startBoard(): Promise<BoardHardware> {
    let sensors: SensorChannel[]
    try {
        sensors = channels(2, await startSht(SHTC3_ADDRESS))
    } catch (e) {
        const why = "SHTC3 not found at I2C 0x70 (SDA=GP4, SCL=GP5): " + (e as Error)?.message
        console.log(why)
        sensors = channels(2, [], why)
    }
    return { board: "pico_w", model: "Raspberry Pi Pico W + SHTC3", tls: false, sensors: sensors, led: new StatusLed() }
}
