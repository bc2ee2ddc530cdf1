// Topic layout (JSON-RPC requests on devices/ID/rx, replies on devices/ID/tx):
//   <prefix>/<id>/status     retained {"state":"online",...}; Last Will {"state":"offline"}
//   <prefix>/<id>/telemetry  {"ts":...,"temperature":21.53,...}
//   <prefix>/<id>/rx         JSON-RPC requests to the device
//   <prefix>/<id>/tx         JSON-RPC responses from the device
//   <prefix>/<id>/set/<key>  commands to an actuator (Home Assistant's command_topic)
//   <prefix>/<id>/state/<key> retained state of an actuator (Home Assistant's state_topic)

export interface DeviceTopics {
    status: string
    telemetry: string
    rx: string
    tx: string
    /** Command topics are this + <key>; the board subscribes to this + "+". */
    set: string
    /** State topics are this + <key>. */
    state: string
}

export function deviceTopics(prefix: string, id: string): DeviceTopics {
    const base = prefix + "/" + id + "/"
    return {
        status: base + "status",
        telemetry: base + "telemetry",
        rx: base + "rx",
        tx: base + "tx",
        set: base + "set/",
        state: base + "state/",
    }
}
