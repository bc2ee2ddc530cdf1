// An MQTT broker inside this Node process (npm aedes), for `npm start` when no broker is
// configured: a newcomer sees the board work with nothing installed beyond `npm install`.
// Tests use real Mosquitto instead (test/helpers/mosquitto.ts).
import { Aedes } from "aedes"
import { createServer, type AddressInfo, type Server } from "node:net"

export interface LocalBroker {
    host: string
    port: number
    url: string
    close(): Promise<void>
}

/** Listens on host:port (port 0 picks a free one). */
export async function startLocalBroker(port = 1883, host = "127.0.0.1"): Promise<LocalBroker> {
    const aedes = await Aedes.createBroker()
    const server: Server = createServer(aedes.handle)
    await new Promise<void>((resolve, reject) => {
        server.once("error", reject)
        server.listen(port, host, () => resolve())
    })
    const actual = (server.address() as AddressInfo).port
    return {
        host,
        port: actual,
        url: `mqtt://${host}:${actual}`,
        close: () =>
            new Promise<void>((resolve) => {
                server.close(() => aedes.close(() => resolve()))
            }),
    }
}
