// Build check: `npx devs build -F allFunctions test/devs/mqtt-codec-build.ts` compiles every codec function.
import { encodePacket, decodeFrame, FrameAssembler, topicMatchesFilter, PacketType } from "../../src/mqtt/codec"
const f = encodePacket({ type: PacketType.PINGREQ })
const a = new FrameAssembler(1024)
a.push(f)
console.log("codec", decodeFrame(f).type, a.next().type, topicMatchesFilter("a/b", "a/+"))
