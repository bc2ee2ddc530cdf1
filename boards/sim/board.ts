// The `sim` board: the DeviceScript simulator with a simulated room (src/sim/room.ts) behind real
// Jacdac sensor servers. The application reads them through ds.Temperature/Humidity/AirPressure
// clients exactly as it reads a physical sensor's driver, and since the servers run inside the
// VM they also answer under `devs run --test`, where no devtools simulator exists (a driver waiting for one would block forever).
import * as ds from "@devicescript/core"
import { SensorServer, startServer } from "@devicescript/server"
import { SimRoom, RoomReading } from "../../src/sim/room"
import { BoardHardware, Led } from "../../src/firmware/hardware"
import { dsRandom } from "../../devs/random"
import { channels } from "../common/channels"

const room = new SimRoom(dsRandom)
let current: RoomReading = room.read(0)

/** All three servers read the same room state, refreshed at most every 500 ms. */
let lastMs = -1000
function now(): RoomReading {
    const t = ds.millis()
    if (t - lastMs >= 500) {
        current = room.read(t)
        lastMs = t
    }
    return current
}

/**
 * A Jacdac sensor server over the room: `key` picks the quantity, lo..hi is its range. One class
 * for the three sensors: each class method costs the board image a function and a prototype entry.
 */
class SimSensor extends SensorServer {
    constructor(
        spec: ds.ServiceSpec,
        private key: string,
        private lo: number,
        private hi: number
    ) {
        super(spec)
    }
    async reading() {
        return (now() as any)[this.key] as number
    }
    async minReading() {
        return this.lo
    }
    async maxReading() {
        return this.hi
    }
}

/** A simulated LED: its state is printed so a watcher sees led.set work. */
class SimLed implements Led {
    private on = false
    async set(on: boolean): Promise<void> {
        this.on = on
        console.log("sim LED " + (on ? "on" : "off"))
    }
    get(): boolean {
        return this.on
    }
}

export async function startBoard(): Promise<BoardHardware> {
    const t = new ds.Temperature(startServer(new SimSensor(ds.Temperature.spec, "temperature", -40, 85)))
    const h = new ds.Humidity(startServer(new SimSensor(ds.Humidity.spec, "humidity", 0, 100)))
    const p = new ds.AirPressure(startServer(new SimSensor(ds.AirPressure.spec, "pressure", 300, 1100)))
    return {
        board: "sim",
        model: "DeviceScript simulator (simulated room)",
        tls: true,
        led: new SimLed(),
        sensors: channels(3, [t, h, p]),
    }
}
