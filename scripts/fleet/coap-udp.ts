// A minimal CoAP-over-UDP client (RFC 7252 §3) for load: confirmable GETs on one socket, matched to
// their responses by token. Enough to drive a gateway's UDP front without a process per request.
import { createSocket, Socket } from "node:dgram"

export interface CoapResult {
    /** "2.05", "4.04", ... or "timeout". */
    code: string
    payload: Buffer
}

export class CoapUdpClient {
    private sock: Socket
    private pending = new Map<string, (r: CoapResult) => void>()
    private mid = Math.floor(Math.random() * 0xffff)
    private tok = 0

    constructor(private port: number) {
        this.sock = createSocket("udp4")
        this.sock.on("message", (m: Buffer) => this.onMessage(m))
        this.sock.on("error", () => {})
    }

    /**
     * A confirmable GET, sent once: on loopback nothing is lost, so RFC 7252's retransmissions are left
     * out, and a response that has not come by `deadlineMs` resolves as "timeout", which the load
     * counts as a failed request. It ends as soon as the response comes.
     */
    get(path: string, deadlineMs: number): Promise<CoapResult> {
        const token = Buffer.alloc(4)
        token.writeUInt32BE(this.tok++ >>> 0)
        this.mid = (this.mid + 1) & 0xffff
        const parts: Buffer[] = [Buffer.from([0x40 | token.length, 0x01, this.mid >> 8, this.mid & 0xff]), token]
        let last = 0
        for (const seg of path.split("/").filter((s) => s !== "")) {
            const v = Buffer.from(seg)
            // Uri-Path (11); the delta is 11 for the first segment and 0 after; lengths over 12 use the 13 form
            const delta = 11 - last
            last = 11
            if (v.length < 13) parts.push(Buffer.from([(delta << 4) | v.length]))
            else parts.push(Buffer.from([(delta << 4) | 13, v.length - 13]))
            parts.push(v)
        }
        const key = token.toString("hex")
        return new Promise((resolve) => {
            const timer = setTimeout(() => {
                this.pending.delete(key)
                resolve({ code: "timeout", payload: Buffer.alloc(0) })
            }, deadlineMs)
            this.pending.set(key, (r) => {
                clearTimeout(timer)
                resolve(r)
            })
            this.sock.send(Buffer.concat(parts), this.port, "127.0.0.1")
        })
    }

    private onMessage(m: Buffer): void {
        if (m.length < 4) return
        const type = (m[0] >> 4) & 3
        const tkl = m[0] & 15
        const code = m[1]
        // an empty ACK only says a separate response follows (§5.2.2)
        if (code === 0) return
        const key = m.subarray(4, 4 + tkl).toString("hex")
        if (type === 0) {
            // a separate confirmable response: acknowledge it
            this.sock.send(Buffer.from([0x60, 0, m[2], m[3]]), this.port, "127.0.0.1")
        }
        const done = this.pending.get(key)
        if (!done) return
        this.pending.delete(key)
        const marker = m.indexOf(0xff, 4 + tkl)
        done({
            code: `${code >> 5}.${String(code & 31).padStart(2, "0")}`,
            payload: marker >= 0 ? m.subarray(marker + 1) : Buffer.alloc(0),
        })
    }

    close(): void {
        for (const done of this.pending.values()) done({ code: "closed", payload: Buffer.alloc(0) })
        this.pending.clear()
        this.sock.close()
    }
}
