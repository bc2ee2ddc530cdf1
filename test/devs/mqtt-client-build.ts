// Build check: `npx devs build -F allFunctions test/devs/mqtt-client-build.ts` compiles every
// function of the client (session, outbox, packet ids, backoff, options, emitter, client).
import { connect, MqttClient } from "../../src/mqtt/client"
import { Session } from "../../src/mqtt/session"
import { Backoff } from "../../src/mqtt/backoff"
import { Outbox } from "../../src/mqtt/outbox"
import { PacketIds } from "../../src/mqtt/packet-ids"
import { parseMqttUrl } from "../../src/mqtt/client-options"
import { clientErrorCode } from "../../src/mqtt/session-errors"
import { Emitter } from "../../src/mqtt/client-emitter"
const u = parseMqttUrl("mqtts://user:pw@example.com")
// (console.log takes at most 7 non-literal values in DeviceScript)
console.log("client", u.port, typeof connect, typeof MqttClient, typeof Session)
console.log("parts", typeof Backoff, typeof Outbox, typeof PacketIds, typeof Emitter, clientErrorCode(undefined))
