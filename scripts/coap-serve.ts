// npm run coap [-- --port 5683 --host ::]: serves the firmware's CoAP resources on UDP, backed by
// the simulated device (src/host/sim-device.ts). Try:
//   coap-client-notls coap://127.0.0.1/.well-known/core
//   coap-client-notls -s 30 coap://127.0.0.1/sensors/temperature
//   coap-client-notls -A 110 coap://127.0.0.1/sensors
//   coap-client-notls -m put -e on coap://127.0.0.1/actuators/led
//   coap-client-notls -m post -t 50 -e '{"jsonrpc":"2.0","id":1,"method":"sys.info"}' coap://127.0.0.1/rpc
import { startCoapUdpServer, COAP_DEFAULT_PORT } from "../src/host/coap-udp"
import { SimDevice } from "../src/host/sim-device"
import { installDeviceResources } from "../src/coap/device-resources"

function arg(name: string): string | undefined {
    const i = process.argv.indexOf("--" + name)
    return i >= 0 ? process.argv[i + 1] : undefined
}

async function main(): Promise<void> {
    const port = Number(arg("port") ?? process.env["COAP_PORT"] ?? COAP_DEFAULT_PORT)
    const host = arg("host") ?? process.env["COAP_HOST"] ?? "::"
    const stepMs = Number(arg("step") ?? 2000)
    const device = new SimDevice(arg("id") ?? "host-sim-0001")
    let ep
    try {
        ep = await startCoapUdpServer({ port, host })
    } catch (e) {
        console.error(`Could not listen on UDP ${host} port ${port}: ${(e as Error).message}`)
        console.error("Another CoAP server may be running; pick another port with --port N (0 = any free port).")
        process.exit(1)
    }
    const notify = installDeviceResources(ep.server, device, { sensorMaxAge: Math.max(1, Math.round((stepMs * 2) / 1000)) })
    device.onLedChange = notify.ledChanged
    setInterval(() => {
        device.step()
        notify.sensorsChanged()
    }, stepMs)
    console.log(`CoAP server (simulated device ${device.id}) on udp ${host} port ${ep.port}`)
    console.log(`  discovery: coap-client-notls coap://127.0.0.1:${ep.port}/.well-known/core`)
    console.log(`  observe:   coap-client-notls -s 20 coap://127.0.0.1:${ep.port}/sensors/temperature`)
    const stop = async () => {
        await ep.close()
        process.exit(0)
    }
    process.on("SIGINT", stop)
    process.on("SIGTERM", stop)
}

void main()
