// The `sim` board: the DeviceScript simulator with a simulated room (src/sim/room.ts) read
// directly, as the real boards read their I2C sensors (boards/common/sht.ts): no Jacdac sensor
// server and client per quantity (@devicescript/server, runtime and spi, 2.7 KB of the image).
// Nothing here waits for devtools, so it also runs under `devs run --test`.
import * as ds from "@devicescript/core"
import { SimRoom, RoomReading } from "../../src/sim/room"
import { BoardHardware, SensorChannel } from "../../src/firmware/hardware"
import { dsRandom } from "../../devs/random"
import { QUANTITIES } from "../common/channels"

const room = new SimRoom(dsRandom)
let current: RoomReading = undefined
let lastMs = 0

/** The room's state, refreshed at most every 500 ms and shared by the three sensors. */
function now(): RoomReading {
    const t = ds.millis()
    if (!current || t - lastMs >= 500) {
        current = room.read(t)
        lastMs = t
    }
    return current
}

export async function startBoard(): Promise<BoardHardware> {
    const sensors = JSON.parse(QUANTITIES) as SensorChannel[]
    sensors.forEach((c) => {
        c.read = async () => (now() as any)[c.key] as number
    })
    // A simulated LED: its state is printed so a watcher sees led.set work.
    let on = false
    return {
        board: "sim",
        model: "DeviceScript simulator (simulated room)",
        tls: true,
        led: {
            set: async (v: boolean) => {
                on = v
                console.log("sim LED " + (on ? "on" : "off"))
            },
            get: () => on,
        },
        sensors: sensors,
    }
}
