// npm run coap [-- --port 5683 --host ::]: serves the firmware's CoAP resources on UDP, backed by
// a simulated board running the firmware's application (src/host/sim-device.ts). Try:
//   coap-client-notls coap://127.0.0.1/.well-known/core
//   coap-client-notls -s 30 coap://127.0.0.1/sensors/temperature
//   coap-client-notls -A 110 coap://127.0.0.1/sensors
//   coap-client-notls -m put -e on coap://127.0.0.1/actuators/led
//   coap-client-notls -m post -t 50 -e '{"jsonrpc":"2.0","id":1,"method":"sys.info"}' coap://127.0.0.1/rpc
import { startCoapUdpServer, COAP_DEFAULT_PORT } from "../src/host/coap-udp"
import { startSimDevice } from "../src/host/sim-device"
import { installDeviceResources } from "../src/coap/server/device-resources"
import { checked, intArg, parseFlags, portArg, runTool, UsageError } from "./lib/cli-args"
import { validateDeviceId } from "./lib/broker-auth"

const USAGE = "usage: npm run coap [-- --port 5683 --host :: --step ms --id host-sim-0001]"

async function main(): Promise<void> {
    const { values } = parseFlags(process.argv.slice(2), {
        port: { type: "string" },
        host: { type: "string" },
        step: { type: "string" },
        id: { type: "string" },
    })
    const flag = (k: keyof typeof values) => values[k] as string | undefined
    const port =
        flag("port") !== undefined
            ? portArg("--port", flag("port"), COAP_DEFAULT_PORT)
            : portArg("COAP_PORT", process.env["COAP_PORT"], COAP_DEFAULT_PORT)
    const host = flag("host") ?? process.env["COAP_HOST"] ?? "::"
    if (host === "") throw new UsageError("--host must not be empty")
    const stepMs = intArg("--step", flag("step"), 2000, 10, 3_600_000)
    const device = await startSimDevice(checked("--id", flag("id") ?? "host-sim-0001", validateDeviceId), {
        log: (line) => console.log(line),
    })
    let ep
    try {
        ep = await startCoapUdpServer({ port, host })
    } catch (e) {
        console.error(`Could not listen on UDP ${host} port ${port}: ${(e as Error).message}`)
        console.error("Another CoAP server may be running; pick another port with --port N (0 = any free port).")
        process.exit(1)
    }
    const notify = installDeviceResources(ep.server, device.model, { sensorMaxAge: Math.max(1, Math.round((stepMs * 2) / 1000)) })
    device.onLedChange = notify.ledChanged
    setInterval(async () => {
        device.step()
        if (await device.refresh()) notify.sensorsChanged()
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

runTool("coap", USAGE, main)
