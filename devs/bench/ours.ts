// Placeholder until the client lands on the mqtt branch (then: devs/mqtt.ts connectMqtt).
import { BenchConfig } from "./common"

export async function benchOurs(cfg: BenchConfig): Promise<void> {
    console.log("BENCH ours error run: client not available yet " + cfg.n0)
}
