// Loaded into each gateway process the fleet starts (node --import): every stall of its event loop
// goes to stderr as one line, "loop-stall <Date.now()> <ms>", which ./gateway-process reads.
import { watchLoopDelay } from "./loop-delay"

watchLoopDelay((s) => process.stderr.write(`loop-stall ${s.at} ${s.ms}\n`))
