// The board the application specs drive: an LED, a relay (a switch), a set point (a number from 0
// to 100 that fails on 66), a Wi-Fi signal that can be made unreadable, a restart counter and the
// board's millisecond clock, all as plain fields the test reads and sets. Portable (imports only
// src/), so the specs that use it also run in the DeviceScript VM (test/devs/app-firmware.ts).
import type { Clock } from "../../../src/io"
import { Config, MemoryStore } from "../../../src/config/config"
import { DeviceApp } from "../../../src/firmware/app"
import { Actuator, BoardHardware } from "../../../src/firmware/hardware"

/** The value the set point refuses with an error, to show how a failing actuator is reported. */
export const STUCK_LEVEL = 66

export class TestBoard implements Clock {
    /** The board's uptime in ms (ds.millis() on a real one); moves only when the test moves it. */
    millis: number
    ledOn: boolean
    relayOn: boolean
    level: number
    restarts: number
    rssiFails: boolean
    constructor() {
        this.millis = 1000
        this.ledOn = false
        this.relayOn = false
        this.level = 20
        this.restarts = 0
        this.rssiFails = false
    }
    now(): number {
        return this.millis
    }
    /** What the application sees; every handler reads and writes this board's fields. */
    hardware(): BoardHardware {
        // DeviceScript has no `this` inside an arrow function
        const self = this
        const relay: Actuator = {
            key: "relay",
            name: "Relay",
            kind: "switch",
            get: () => self.relayOn,
            set: async (v: boolean | number) => {
                self.relayOn = v as boolean
            },
        }
        const setPoint: Actuator = {
            key: "level",
            name: "Level",
            kind: "number",
            min: 0,
            max: 100,
            step: 0.5,
            unit: "%",
            get: () => self.level,
            set: async (v: boolean | number) => {
                if (v === STUCK_LEVEL) throw new Error("stuck")
                self.level = v as number
            },
        }
        return {
            board: "test_board",
            model: "Test board",
            tls: true,
            sensors: [],
            led: {
                set: async (on: boolean) => {
                    self.ledOn = on
                },
                get: () => self.ledOn,
            },
            actuators: [relay, setPoint],
            rssi: async () => {
                if (self.rssiFails) throw new Error("no wifi")
                return -61
            },
        }
    }
}

/** The application on this board with the settings in store, id "abc", not yet connected; logs go nowhere. */
export async function testApp(board: TestBoard, store: MemoryStore): Promise<DeviceApp> {
    const cfg = new Config(store, (l: string) => {})
    await cfg.load()
    return new DeviceApp({
        hw: board.hardware(),
        config: cfg,
        clock: board,
        log: (l: string) => {},
        hardwareId: "abc",
        restarter: {
            restartSoon: (ms: number) => {
                board.restarts++
            },
        },
    })
}
