// Example: air pressure from a Bosch BME680 on the board's I2C bus (docs/extending.md). The boards'
// entries already configure I2C (boards/<board>/board.ts); the BME680 sits beside their SHT30/SHTC3
// at 0x77 (SDO high; 0x76 with SDO low). A BME680 that is not found does not stop the firmware:
// the sensor's reads fail with the reason, and telemetry leaves the quantity out.
import { startBME680 } from "@devicescript/drivers"
import { readClient } from "../../boards/common/read"
import { BoardHardware } from "../../src/firmware/hardware"

export async function addUserParts(hw: BoardHardware): Promise<void> {
    let read: () => Promise<number>
    try {
        read = readClient((await startBME680({ address: 0x77 })).pressure)
    } catch (e) {
        const why = "BME680 not found at I2C 0x77: " + (e as Error)?.message
        console.log(why)
        read = async () => {
            throw new Error(why)
        }
    }
    hw.sensors.push({ key: "pressure", name: "Pressure", unit: "hPa", deviceClass: "pressure", decimals: 1, read: read })
}
