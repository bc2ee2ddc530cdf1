// Sensirion SHT30 (0x44/0x45) and SHTC3 (0x70) read over the runtime's I2C transaction, with the
// commands, timing and conversions of @devicescript/drivers' startSHT30/startSHTC3. The drivers
// package would also put each quantity behind a Jacdac sensor server and client (~4.5 KB of the
// board image, the packages server, drivers, i2c, gpio and spi); the firmware only reads values.
import * as ds from "@devicescript/core"
import { SensorClient } from "./read"

/** The runtime's I2C call, which @devicescript/i2c wraps in a class. */
type I2cRuntime = typeof ds & { _i2cTransaction(addr: number, write: Buffer, read?: Buffer): Promise<number> }

/** The SHTC3's address; any other address is an SHT30's. */
export const SHTC3_ADDRESS = 0x70

/** One I2C transaction: write `command` (16 bits, none when negative), then read `numRead` bytes. */
async function transfer(addr: number, command: number, numRead: number): Promise<Buffer> {
    let write = Buffer.alloc(0)
    if (command >= 0) write = Buffer.from([command >> 8, command & 0xff])
    let read: Buffer | undefined
    if (numRead) read = Buffer.alloc(numRead)
    const rc = await (ds as I2cRuntime)._i2cTransaction(addr, write, read)
    if (rc !== 0) throw new Error("I2C error " + rc + " dev=" + addr + " command=" + command)
    return read
}

/** The CRC-8 (polynomial 0x31, init 0xff) of the first two bytes, which the third must equal. */
function crcOk(b: Buffer): boolean {
    let crc = 0xff
    for (let i = 0; i < 2; i++) {
        crc ^= b[i]
        for (let j = 0; j < 8; j++) crc = (crc & 0x80 ? (crc << 1) ^ 0x31 : crc << 1) & 0xff
    }
    return crc === b[2]
}

/**
 * Checks that the sensor at `addr` answers (its id or status word, CRC checked) and returns its
 * temperature (°C) and humidity (%) clients. Both share one measurement at most every 500 ms.
 * Throws when the sensor does not answer (in the simulator: "I2C not supported").
 */
export async function startSht(addr: number): Promise<SensorClient[]> {
    const c3 = addr === SHTC3_ADDRESS
    let word: Buffer
    try {
        // SHTC3: wake up (200 us), read the id, sleep again; SHT30: read the status word
        if (c3) {
            await transfer(addr, 0x3517, 0)
            await ds.sleep(1)
        }
        await transfer(addr, c3 ? 0xefc8 : 0xf32d, 0)
        word = await transfer(addr, -1, 3)
    } catch (e) {
        throw new Error("I2C device not found or malfunctioning: " + (e as Error).message)
    }
    if (!crcOk(word)) throw new Error("SHT CRC error")
    if (c3) await transfer(addr, 0xb098, 0)

    let values: number[] = undefined
    let measuredAt = 0
    let busy = false
    const measure = async (i: number): Promise<number> => {
        while (busy) await ds.sleep(5)
        if (!values || ds.millis() - measuredAt >= 500) {
            busy = true
            try {
                if (c3) {
                    await transfer(addr, 0x3517, 0)
                    await ds.sleep(1)
                }
                // single shot, no clock stretching (SHTC3 normal mode, SHT30 high repeatability)
                await transfer(addr, c3 ? 0x7866 : 0x2400, 0)
                await ds.delay(20) // datasheets: 12.1 ms (SHTC3), 15.5 ms (SHT30)
                const d = await transfer(addr, -1, 6)
                values = [(175 / 0x10000) * ((d[0] << 8) | d[1]) - 45, (100 / 0x10000) * ((d[3] << 8) | d[4])]
                if (c3) await transfer(addr, 0xb098, 0)
                measuredAt = ds.millis()
            } finally {
                busy = false
            }
        }
        return values[i]
    }
    return [{ reading: { read: async () => await measure(0) } }, { reading: { read: async () => await measure(1) } }]
}
