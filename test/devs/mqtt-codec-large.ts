// Large-packet specs in the simulator, alone because of the 64 KB heap:
//   npx devs run --test -k -T 60000 test/devs/mqtt-codec-large.ts
import "../core/mqtt/large.spec"
import { yieldBetweenTests } from "./yield-between-tests"

yieldBetweenTests()
