// A board in the simulator serving CoAP over its MQTT session (COAP_BINDING=mqtt), for
// test/e2e/coap-gateway.spec.ts (BROKER_PORT, BOARD_ID via simEnv). Runs until stopped.
import * as ds from "@devicescript/core"
import { DeviceModel, SensorReading } from "../../src/coap/server/device-resources"
import { CoapEndpoint } from "../../devs/coap-binding"
import { startCoapOverMqtt } from "../../devs/coap-over-mqtt"
import { simEnvNumber, simEnvString } from "../../devs/sim-env"
import { MqttClient } from "../../src/mqtt/client/client"
import { dsNetConnector } from "../../devs/net-stream"
import { dsClock } from "../../devs/clock"
import { dsRandom } from "../../devs/random"
import { dsCompletions } from "../../devs/completion"

let temp = 2150
let led = false

class Model implements DeviceModel {
    info(): Record<string, any> {
        return { id: "simboard2", board: "sim", fw: "test" }
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
    const id = simEnvString("BOARD_ID", "simboard2")
    const status = "devices/" + id + "/status"
    const client = new MqttClient(
        {
            host: "127.0.0.1",
            port: simEnvNumber("BROKER_PORT", 1883),
            proto: "tcp",
            clientId: "devs-" + id,
            keepalive: 10,
            reconnectPeriod: 200,
            reconnectPeriodMax: 2000,
            will: { topic: status, payload: '{"state":"offline"}', qos: 1, retain: true },
        },
        { connector: dsNetConnector, clock: dsClock, random: dsRandom, completions: dsCompletions }
    )
    const ep: CoapEndpoint = startCoapOverMqtt(client, "devices", id, new Model(), {}, log)
    client.on("connect", () => {
        client.publishNoWait(status, '{"state":"online"}', { qos: 1, retain: true }, (e: Error) => {})
        log("mqtt: connected")
    })
    client.start()
    setInterval(() => {
        temp += 7
        ep.sensorsChanged()
    }, 400)
    console.log("board: started")
}
main.start()
