// The firmware's name and version, reported in the status message, sys.info and discovery.
export const FIRMWARE_NAME = "devs-link"
/** package.json "version" (a Node test keeps them equal): what Node-side code reports. */
export const FIRMWARE_VERSION = "0.1.0"
/**
 * The version reported. On a board, devs/firmware.ts replaces it at start-up with the version the
 * DeviceScript compiler stamped into the image from package.json, which is what the runtime's
 * start banner prints (with a commit suffix on builds between releases): one source, package.json.
 */
export const version = { text: FIRMWARE_VERSION }
