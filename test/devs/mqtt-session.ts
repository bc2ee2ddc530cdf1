// Runs the portable session specs in the DeviceScript simulator:
//   npx devs run --test -k -T 60000 test/devs/mqtt-session.ts
// (-k is required: without it the tests never run and the run still reports "test OK".)
import "../core/mqtt-session/parts.spec"
import "../core/mqtt-session/connect.spec"
import "../core/mqtt-session/qos.spec"
import "../core/mqtt-session/reconnect.spec"
import "../core/mqtt-session/keepalive.spec"
import "../core/mqtt-session/client.spec"
import "../core/mqtt-session/core.spec"
import "../core/mqtt-session/held-acks.spec"

import { yieldBetweenTests } from "./yield-between-tests"

yieldBetweenTests()
