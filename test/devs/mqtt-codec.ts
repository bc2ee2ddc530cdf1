// Runs the portable MQTT codec specs in the DeviceScript simulator:
//   npx devs run --test -k -T 60000 test/devs/mqtt-codec.ts
// (-k is required: without it the tests never run and the run still reports "test OK".)
import "../core/mqtt/codec.spec"
import "../core/mqtt/malformed.spec"
import "../core/mqtt/topics.spec"
import "../core/mqtt/frames.spec"
import { yieldBetweenTests } from "./yield-between-tests"

yieldBetweenTests()
