import { describe, test, expect, beforeEach } from "@devicescript/test"
import { pause } from "../../../src/util/pause"
import { Config, MemoryStore, SetResult } from "../../../src/config/config"
import { SETTINGS, MAX_KEY_LENGTH, findSetting } from "../../../src/config/schema"
import { checkSetting, shownValue } from "../../../src/config/validate"
import { Endpoint, parseUrl } from "../../../src/config/url"

function cbDef() {
    return findSetting("COAP_BINDING")
}

function broker(url: string): string {
    const r = parseUrl(url, ["mqtt", "mqtts"])
    if (typeof r === "string") return "error: " + r
    const e = r as Endpoint
    return e.host + "|" + e.port + "|" + (e.tls ? "tls" : "tcp")
}

describe("settings schema", () => {
    beforeEach(async () => {
        await pause()
    })
    test("every key fits DeviceScript's 13-character limit and its default is valid", () => {
        for (const d of SETTINGS) {
            expect(d.key.length <= MAX_KEY_LENGTH).toBe(true)
            const c = checkSetting(d, d.default)
            expect(c.error).toBe(undefined)
        }
    })
    test("the table (JSON text parsed at start-up) has every setting with its type, default, range and flags", () => {
        const rows: string[] = []
        for (const d of SETTINGS) {
            const f = d.format === undefined ? "" : d.format
            const v = d.values === undefined ? "" : d.values.join("/")
            rows.push(
                d.key +
                    " " +
                    d.type +
                    " " +
                    d.default +
                    " " +
                    d.min +
                    " " +
                    d.max +
                    " " +
                    f +
                    " " +
                    (d.secret ? "s" : "") +
                    (d.restart ? "r" : "") +
                    " " +
                    v
            )
        }
        expect(rows.join("\n")).toBe(
            [
                "MQTT_URL string mqtt://localhost:1883 undefined 200 u r ",
                "MQTT_USER string  undefined 64 p r ",
                "MQTT_PASS string  undefined 128  sr ",
                "MQTT_PREFIX string devices 1 64 t r ",
                "KEEPALIVE_S integer 60 5 65535  r ",
                "TELEMETRY_MS integer 30000 1000 86400000   ",
                "CHANGE_THRESH number 0.5 0 10000   ",
                "DEVICE_ID string  undefined 32 i r ",
                "HA_DISCOVERY boolean true undefined undefined  r ",
                "DEVICE_NAME string  undefined 64 p r ",
                "HA_PREFIX string homeassistant 1 64 t r ",
                "COAP_BINDING enum mqtt undefined undefined  r mqtt/tcp/off",
                "COAP_URL string  undefined 200 c r ",
            ].join("\n")
        )
        expect(typeof findSetting("HA_DISCOVERY").default).toBe("boolean")
        expect(typeof findSetting("CHANGE_THRESH").default).toBe("number")
        // the formats' checks: control characters in the user name, none for the (secret) password
        expect(checkSetting(findSetting("MQTT_USER"), "a\tb").error).toBe("must not contain control characters")
        expect(checkSetting(findSetting("MQTT_PASS"), "a\tb").value).toBe("a\tb")
        expect(checkSetting(findSetting("HA_PREFIX"), "$SYS").error).toBe("must not start with $ (reserved for the broker)")
        expect(checkSetting(findSetting("HA_PREFIX"), "ha\n").error).toBe("must not contain control characters")
        expect(checkSetting(findSetting("COAP_URL"), "coap+tcp://a\tb").error).toBe("has a space or control character in the host")
        expect(checkSetting(findSetting("MQTT_URL"), "").error).toBe("is empty (syntax: scheme://host[:port] separated by commas)")
    })
    test("MQTT_URL takes a list of brokers; a bad list is refused by config.set and stays out of the trial", async () => {
        const url = findSetting("MQTT_URL")
        expect(checkSetting(url, "mqtt://10.0.0.1:1883, mqtt://10.0.0.2:1883").error).toBe(undefined)
        expect(checkSetting(url, "mqtt://a,,mqtt://b").error).toBe(
            "entry 2 of 3 is empty (syntax: scheme://host[:port] separated by commas)"
        )
        expect(checkSetting(url, "mqtt://a:1883,mqtt://a").error).toBe("entry 2 of 2 repeats a:1883")
        expect(checkSetting(url, "mqtt://a,ftp://b").error).toBe("entry 2 of 2 must start with mqtt:// or mqtts://")
        expect(checkSetting(url, "mqtt://a;mqtt://b").error).toBe("holds two URLs: separate brokers with commas")
        // COAP_URL stays one URL
        expect(checkSetting(findSetting("COAP_URL"), "coap+tcp://a,coap+tcp://b").error).toBe("must be scheme://host[:port] with no path")
        const store = new MemoryStore()
        const cfg = new Config(store, (l: string) => {})
        await cfg.load()
        expect(await cfg.set({ MQTT_URL: "mqtt://a:1883,mqtt://a:1883" })).toBe("MQTT_URL entry 2 of 2 repeats a:1883")
        expect(store.data["CONN_TRIAL"]).toBe(undefined)
        await cfg.set({ MQTT_URL: "mqtt://a:1883,mqtt://b:1883" })
        expect(store.data["CONN_TRIAL"]["MQTT_URL"]).toBe("mqtt://a:1883,mqtt://b:1883")
    })
    test("broker URLs", () => {
        expect(broker("mqtt://broker.local")).toBe("broker.local|1883|tcp")
        expect(broker("mqtts://broker.example.com")).toBe("broker.example.com|8883|tls")
        expect(broker("mqtt://10.0.0.2:1884/")).toBe("10.0.0.2|1884|tcp")
        expect(broker("MQTTS://h:443")).toBe("h|443|tls")
        expect(broker("mqtt://[::1]:1883")).toBe("::1|1883|tcp")
        expect(broker("http://h")).toBe("error: must start with mqtt:// or mqtts://")
        expect(broker("broker.local")).toBe("error: must start with mqtt:// or mqtts://")
        expect(broker("mqtt://user:pw@h")).toBe("error: must not contain user or password (use the user/password settings)")
        expect(broker("mqtt://h:0")).toBe("error: has a port outside 1..65535")
        expect(broker("mqtt://h:65536")).toBe("error: has a port outside 1..65535")
        expect(broker("mqtt://h:12x")).toBe("error: has an invalid port")
        expect(broker("mqtt://h:")).toBe("error: has an empty port")
        expect(broker("mqtt://")).toBe("error: has no host")
        expect(broker("mqtt://h/path")).toBe("error: must be scheme://host[:port] with no path")
        expect(broker("mqtt://a b")).toBe("error: has a space or control character in the host")
        expect(broker("mqtt://[::1")).toBe("error: has an unclosed [ in the host")
        expect(broker("mqtt://[::1]x")).toBe("error: has text after the host")
        expect(broker("mqtt://[::1]:")).toBe("error: has an empty port")
        expect(broker("mqtt://::1")).toBe("error: must put an IPv6 address in [ ]")
        expect(broker("mqtt://h:123456")).toBe("error: has an invalid port")
        expect(broker("tcp://h")).toBe("error: must start with mqtt:// or mqtts://")
        const coap = parseUrl("coaps+tcp://gw", ["coap+tcp", "coaps+tcp"]) as Endpoint
        expect(coap.port).toBe(5684)
        expect(coap.tls).toBe(true)
        expect((parseUrl("coap+tcp://gw", ["coap+tcp"]) as Endpoint).port).toBe(5683)
    })
    test("values are coerced from .env spellings or rejected with a reason", () => {
        const ka = findSetting("KEEPALIVE_S")
        // a number must be a JSON number (.env's KEEPALIVE_S=90 is one); "90" in quotes is text
        expect(checkSetting(ka, "90").error).toBe("must be a number")
        expect(checkSetting(ka, 90).value).toBe(90)
        expect(checkSetting(ka, 2).error).toBe("must be at least 5")
        expect(checkSetting(ka, 70000).error).toBe("must be at most 65535")
        expect(checkSetting(ka, 1.5).error).toBe("must be a whole number")
        expect(checkSetting(ka, "abc").error).toBe("must be a number")
        expect(checkSetting(ka, true).error).toBe("must be a number")
        const th = findSetting("CHANGE_THRESH")
        expect(checkSetting(th, 0.25).value).toBe(0.25)
        expect(checkSetting(th, -1).error).toBe("must be at least 0")
        const ha = findSetting("HA_DISCOVERY")
        expect(checkSetting(ha, "off").value).toBe(false)
        expect(checkSetting(ha, 1).value).toBe(true)
        expect(checkSetting(ha, "maybe").error).toBe("must be true or false")
        expect(checkSetting(ha, " YES ").value).toBe(true)
        expect(checkSetting(ha, "0").value).toBe(false)
        expect(checkSetting(ha, 0).value).toBe(false)
        expect(checkSetting(ha, false).value).toBe(false)
        expect(checkSetting(ha, 2).error).toBe("must be true or false")
        expect(checkSetting(ha, "on yes").error).toBe("must be true or false")
        expect(checkSetting(ha, {}).error).toBe("must be true or false")
        expect(checkSetting(ha, null).error).toBe("is missing")
        expect(checkSetting(ka, -7).error).toBe("must be at least 5")
        expect(checkSetting(ka, "1e3").error).toBe("must be a number")
        expect(checkSetting(ka, "1.2.3").error).toBe("must be a number")
        expect(checkSetting(th, "2.5").error).toBe("must be a number")
        expect(checkSetting(th, 1 / 0).error).toBe("must be a finite number")
        // config.set (strict): every value must already have its JSON type
        const tm = findSetting("TELEMETRY_MS")
        expect(checkSetting(tm, "5000", true).error).toBe("must be a number")
        expect(checkSetting(tm, 5000, true).value).toBe(5000)
        expect(checkSetting(ha, "true", true).error).toBe("must be a boolean")
        expect(checkSetting(ha, 1, true).error).toBe("must be a boolean")
        expect(checkSetting(ha, true, true).value).toBe(true)
        expect(checkSetting(findSetting("DEVICE_ID"), 1234, true).error).toBe("must be a string")
        expect(checkSetting(cbDef(), "off", true).value).toBe("off")
        // a URL with user info is never shown: it may carry a password
        expect(shownValue(findSetting("MQTT_URL"), "mqtt://user:s3cret@h")).toBe("(a URL with credentials, hidden)")
        expect(shownValue(findSetting("MQTT_URL"), "mqtt://h:1883")).toBe('"mqtt://h:1883"')
        let long = "mqtt://h"
        while (long.length < 201) long += "h"
        expect(checkSetting(findSetting("MQTT_URL"), long).error).toBe("must be at most 200 characters")
        expect(checkSetting(cbDef(), true).error).toBe("must be one of mqtt, tcp, off")
        expect(shownValue(ha, true)).toBe("true")
        expect(shownValue(ka, 60)).toBe("60")
        expect(shownValue(findSetting("DEVICE_ID"), "k")).toBe('"k"')
        expect(shownValue(findSetting("MQTT_PASS"), "x")).toBe("(hidden)")
        expect(shownValue(findSetting("DEVICE_ID"), [1])).toBe("(object)")
        const id = findSetting("DEVICE_ID")
        expect(checkSetting(id, 1234).value).toBe("1234")
        expect(checkSetting(id, "kitchen-1").value).toBe("kitchen-1")
        expect(checkSetting(id, "a/b").error).toBe("may contain only letters, digits, _ and -")
        expect(checkSetting(id, "Zz_09-aA").value).toBe("Zz_09-aA")
        expect(checkSetting(id, "").value).toBe("")
        for (const bad of ["café", "a b", "a.b", ":", "@", "[", "`", "{", "\u0000"])
            expect(checkSetting(id, bad).error).toBe("may contain only letters, digits, _ and -")
        const pre = findSetting("MQTT_PREFIX")
        expect(checkSetting(pre, "home/sensors").value).toBe("home/sensors")
        expect(checkSetting(pre, "a/#").error).toBe("must not contain the wildcards + or #")
        expect(checkSetting(pre, "/a").error).toBe("must not start or end with /")
        expect(checkSetting(pre, "").error).toBe("must be at least 1 characters")
        const cb = findSetting("COAP_BINDING")
        expect(checkSetting(cb, "tcp").value).toBe("tcp")
        expect(checkSetting(cb, "udp").error).toBe("must be one of mqtt, tcp, off")
        const cu = findSetting("COAP_URL")
        expect(checkSetting(cu, "").value).toBe("")
        expect(checkSetting(cu, "coap+tcp://gw:5683").value).toBe("coap+tcp://gw:5683")
        expect(checkSetting(cu, "coap://gw").error).toBe("must start with coap+tcp:// or coaps+tcp://")
        expect(checkSetting(id, { a: 1 }).error).toBe("must be text")
    })
})

describe("config load and set", () => {
    beforeEach(async () => {
        await pause()
    })
    test("bad stored values are logged and replaced by defaults, secrets never logged", async () => {
        const store = new MemoryStore()
        store.data["MQTT_URL"] = "ftp://x"
        store.data["TELEMETRY_MS"] = 5000
        store.data["KEEPALIVE_S"] = "1"
        store.data["MQTT_PASS"] = 42
        store.data["COAP_URL"] = "coap+tcp://u:s3cret@h"
        const lines: string[] = []
        const cfg = new Config(store, (l: string) => {
            lines.push(l)
        })
        await cfg.load()
        expect(cfg.get("MQTT_URL")).toBe("mqtt://localhost:1883")
        expect(cfg.get("TELEMETRY_MS")).toBe(5000)
        expect(cfg.get("KEEPALIVE_S")).toBe(60)
        expect(cfg.get("MQTT_PASS")).toBe("42")
        expect(lines.length).toBe(3)
        expect(lines[0]).toBe('config: MQTT_URL="ftp://x" must start with mqtt:// or mqtts://; using default "mqtt://localhost:1883"')
        expect(lines[1]).toBe('config: KEEPALIVE_S="1" must be a number; using default 60')
        expect(lines[2]).toBe(
            'config: COAP_URL=(a URL with credentials, hidden) must not contain user or password (use the user/password settings); using default ""'
        )
        expect(cfg.snapshot()["MQTT_PASS"]).toBe("(hidden)")
    })
    test("a throwing store gives defaults, not a crash", async () => {
        const lines: string[] = []
        const broken = {
            read: async (k: string): Promise<any> => {
                throw new Error("flash error")
            },
            write: async (k: string, v: any): Promise<void> => {},
            remove: async (k: string): Promise<void> => {},
        }
        const cfg = new Config(broken, (l: string) => {
            lines.push(l)
        })
        await cfg.load()
        expect(cfg.get("MQTT_PREFIX")).toBe("devices")
        // every setting, and the connection trial
        expect(lines.length).toBe(SETTINGS.length + 1)
        expect(lines[0]).toBe('config: cannot read MQTT_URL (flash error); using default "mqtt://localhost:1883"')
    })
    test("set validates everything first, persists, and survives a reload", async () => {
        const store = new MemoryStore()
        const cfg = new Config(store, (l: string) => {})
        await cfg.load()
        let changed = ""
        cfg.changed = (keys: string[]) => {
            changed = keys.join(",")
        }
        expect(await cfg.set({ TELEMETRY_MS: 2000, KEEPALIVE_S: 1 })).toBe("KEEPALIVE_S must be at least 5")
        expect(cfg.get("TELEMETRY_MS")).toBe(30000)
        expect(store.data["TELEMETRY_MS"]).toBe(undefined)
        expect(await cfg.set({ NOPE: 1 })).toBe("unknown setting NOPE")
        expect(await cfg.set({})).toBe("no settings given")
        expect(await cfg.set({ TELEMETRY_MS: "2000" })).toBe("TELEMETRY_MS must be a number")
        const r = (await cfg.set({ TELEMETRY_MS: 2000, DEVICE_ID: "kitchen" })) as SetResult
        expect(r.applied["TELEMETRY_MS"]).toBe(2000)
        expect(r.restartNeeded).toBe(true)
        expect(changed).toBe("TELEMETRY_MS,DEVICE_ID")
        const r2 = (await cfg.set({ CHANGE_THRESH: 1 })) as SetResult
        expect(r2.restartNeeded).toBe(false)
        const again = new Config(store, (l: string) => {})
        await again.load()
        expect(again.get("TELEMETRY_MS")).toBe(2000)
        expect(again.get("DEVICE_ID")).toBe("kitchen")
        const r3 = (await again.set({ DEVICE_ID: null })) as SetResult
        expect(r3.applied["DEVICE_ID"]).toBe("")
        expect(store.data["DEVICE_ID"]).toBe(undefined)
    })
    test("connection settings are tried after the restart and kept only once they worked", async () => {
        const store = new MemoryStore()
        const boot = async (): Promise<Config> => {
            const c = new Config(store, (l: string) => {})
            await c.load()
            return c
        }
        const cfg = await boot()
        const r = (await cfg.set({ MQTT_URL: "mqtt://new:1883", TELEMETRY_MS: 2000 })) as SetResult
        expect(r.restartNeeded).toBe(true)
        expect(r.applied["MQTT_URL"]).toBe("mqtt://new:1883")
        // not in effect, not in place: waiting for its trial
        expect(cfg.get("MQTT_URL")).toBe("mqtt://localhost:1883")
        expect(store.data["MQTT_URL"]).toBe(undefined)
        expect(store.data["TELEMETRY_MS"]).toBe(2000)
        // the next boot tries it
        const trying = await boot()
        expect(trying.get("MQTT_URL")).toBe("mqtt://new:1883")
        expect(trying.trial !== undefined).toBe(true)
        // a restart in the middle of the trial: back on the settings that worked, and told why
        const after = await boot()
        expect(after.get("MQTT_URL")).toBe("mqtt://localhost:1883")
        expect(after.trial).toBe(undefined)
        expect(after.trialFailed.indexOf("restart") >= 0).toBe(true)
        // a trial that runs out of time
        await after.set({ MQTT_URL: "mqtt://new2:1883" })
        const second = await boot()
        expect(second.get("MQTT_URL")).toBe("mqtt://new2:1883")
        await second.failTrial(60000)
        const back = await boot()
        expect(back.get("MQTT_URL")).toBe("mqtt://localhost:1883")
        expect(back.trialFailed).toBe("new MQTT_URL did not connect within 60 s; the previous settings are back")
        // a trial that works is kept, secrets included
        await back.set({ MQTT_URL: "mqtt://new3:1883", MQTT_PASS: "pw" })
        const third = await boot()
        await third.commitTrial()
        const kept = await boot()
        expect(kept.get("MQTT_URL")).toBe("mqtt://new3:1883")
        expect(kept.get("MQTT_PASS")).toBe("pw")
        expect(kept.trial).toBe(undefined)
        expect(kept.trialFailed).toBe(undefined)
    })
})
