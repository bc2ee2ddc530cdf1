// Raspberry Pi Pico W + Bosch BME680 (I2C address 0x77; 0x76 when SDO is tied low).
// Wiring: BME680 SDA -> GP4 (pin 6), SCL -> GP5 (pin 7), VCC -> 3V3(OUT) (pin 36), GND -> GND.
// The Pico W runtime has NO TLS: mqtts:// is refused at start-up with a log line (tls: false).
// The on-board LED (driven through the WiFi chip; the runtime's status light) is led.set/led.get.
import { pins } from "@dsboard/pico_w"
import { configureHardware } from "@devicescript/servers"
import { startBME680 } from "@devicescript/drivers"
import { BoardHardware, SensorChannel } from "../../src/firmware/hardware"
import { StatusLed, channels } from "../common/channels"

configureHardware({ i2c: { pinSDA: pins.GP4, pinSCL: pins.GP5, kHz: 100 } })

export async function startBoard(): Promise<BoardHardware> {
    let sensors: SensorChannel[]
    try {
        const bme = await startBME680({ address: 0x77 })
        sensors = channels(3, [bme.temperature, bme.humidity, bme.pressure])
    } catch (e) {
        const why = "BME680 not found at I2C 0x77 (SDA=GP4, SCL=GP5): " + (e as Error)?.message
        console.log(why)
        sensors = channels(3, [], why)
    }
    return { board: "pico_w", model: "Raspberry Pi Pico W + BME680", tls: false, sensors: sensors, led: new StatusLed() }
}
