// Reported in the status message and sys.info; bump with each release of the firmware.
export const FIRMWARE_NAME = "devs-link"
export const FIRMWARE_VERSION = "0.1.0"
