// Prints what a simulated board sees: its id, two settings, and a heartbeat (used by the harness's test).
import * as ds from "@devicescript/core"
import { readSetting } from "@devicescript/settings"

console.log("probe id=" + ds.deviceIdentifier("self"))
const text = await readSetting<string>("PROBE_TEXT", "unset")
const num = await readSetting<number>("PROBE_NUM", -1)
console.log("probe text=" + text + " num=" + num + " type=" + typeof num)
setInterval(() => console.log("probe tick " + ds.millis()), 200)
