// Topic layout (JSON-RPC requests on devices/ID/rx, replies on devices/ID/tx):
//   <prefix>/<id>/status     retained {"state":"online",...}; Last Will {"state":"offline"}
//   <prefix>/<id>/telemetry  {"ts":...,"temperature":21.53,...}
//   <prefix>/<id>/rx         JSON-RPC requests to the device
//   <prefix>/<id>/tx         JSON-RPC responses from the device

export interface DeviceTopics {
    status: string
    telemetry: string
    rx: string
    tx: string
}

export function deviceTopics(prefix: string, id: string): DeviceTopics {
    const base = prefix + "/" + id + "/"
    return { status: base + "status", telemetry: base + "telemetry", rx: base + "rx", tx: base + "tx" }
}
