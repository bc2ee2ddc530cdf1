// Random for the portable core on DeviceScript. Math.random is the VM's PRNG; good enough for
// reconnect jitter and client ids, not for secrets.
import { Random } from "../src/io"

export const dsRandom: Random = {
    next: () => Math.random(),
}
