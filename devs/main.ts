import { PacketType } from "../src/mqtt/packets"
import { concatBytes } from "../src/util/bytes"
console.log("devs-link placeholder", PacketType.PUBLISH, concatBytes([Buffer.from("a")]).length)
