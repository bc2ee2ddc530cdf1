// Your own sensors and actuators: the one file to edit (docs/extending.md). Every board's firmware
// calls addUserParts() once at start-up, before it connects. Push a SensorChannel onto hw.sensors
// and it is in telemetry, Home Assistant, CoAP /sensors/<key> and sensors.read; push an Actuator
// onto hw.actuators and it is a Home Assistant switch/light/number/button with command and state
// topics, CoAP /actuators/<key>, and actuator.set / actuator.get. `hw.board` says which board runs.
// Worked examples: user/examples/bme680-pressure.ts, user/examples/relay.ts. To use one, replace
// this file's body with its addUserParts, or write `export { addUserParts } from "./examples/relay"`.
import { BoardHardware } from "../src/firmware/hardware"

export async function addUserParts(hw: BoardHardware): Promise<void> {}
