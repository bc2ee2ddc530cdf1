// Runs the portable CoAP codec specs in the DeviceScript simulator's test mode:
//   npx devs run --test -k -T 60000 test/devs/coap-codec.ts
// -k is required: without it describe-based tests never run and the run still "passes".
// Importing the spec files is enough to register them; @devicescript/test autoruns them.
import "../core/coap/codec.spec"
import "../core/coap/options.spec"
import "../core/coap/cbor.spec"
import "../core/coap/linkformat.spec"
import "../core/coap/decimal.spec"
import "../core/coap/senml.spec"
import "../core/coap/garbage.spec"
import { yieldBetweenTests } from "./yield-between-tests"

yieldBetweenTests()
