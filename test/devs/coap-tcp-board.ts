// A board in the simulator serving the firmware's CoAP resources over the coap+tcp binding,
// for test/e2e/coap-gateway.spec.ts (which passes HEADEND_PORT via simEnv).
// Runs until the test stops the VM.
import * as ds from "@devicescript/core"
import { DeviceModel, SensorReading } from "../../src/coap/server/device-resources"
import { CoapEndpoint } from "../../devs/coap-binding"
import { startCoapOverTcp } from "../../devs/coap-over-tcp"
import { simEnvNumber, simEnvString } from "../../devs/sim-env"

let temp = 2150
let led = false

class Model implements DeviceModel {
    info(): Record<string, any> {
        return { id: "simboard1", board: "sim", fw: "test" }
    }
    readSensors(): SensorReading[] {
        return [
            { name: "temperature", unit: "Cel", value: temp / 100, decimals: 2 },
            { name: "humidity", unit: "%RH", value: 40.5, decimals: 1 },
        ]
    }
    getLed(): boolean {
        return led
    }
    setLed(on: boolean): void {
        led = on
    }
    getConfig(): string {
        return "{}"
    }
    setConfig(json: string): string {
        return "read-only in this test"
    }
    async rpc(requestJson: string): Promise<string> {
        return '{"jsonrpc":"2.0","id":1,"result":"pong"}'
    }
}

async function main() {
    // simEnv is filled by the wrapper's top level, which runs to its end once this fiber yields
    await ds.sleep(0)
    const log = (s: string) => console.log(s)
    const id = simEnvString("BOARD_ID", "simboard1")
    const ep: CoapEndpoint = startCoapOverTcp("coap+tcp://127.0.0.1:" + simEnvNumber("HEADEND_PORT", 5683), id, new Model(), {}, log)
    // readings drift so observers get notifications
    setInterval(() => {
        temp += 7
        ep.sensorsChanged()
    }, 400)
    console.log("board: started")
}
main.start()
