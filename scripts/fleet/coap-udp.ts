// A minimal CoAP-over-UDP client (RFC 7252 §3) for load: confirmable GETs on one socket, matched to
// their responses by token. Enough to drive a gateway's UDP front without a process per request.
// Messages go through the project's own codec (src/coap/codec), the one the board and gateway use.
import { createSocket, Socket } from "node:dgram"
import { CoapMessage, CoapCode, CoapType, codeToString, newMessage, setUriPath } from "../../src/coap/codec/message"
import { decodeMessage, encodeMessage } from "../../src/coap/codec/codec"

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
        const req = newMessage(CoapType.CON, CoapCode.GET, this.mid, token)
        setUriPath(req, path)
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
            this.sock.send(encodeMessage(req), this.port, "127.0.0.1")
        })
    }

    private onMessage(datagram: Buffer): void {
        let m: CoapMessage
        try {
            m = decodeMessage(datagram)
        } catch {
            // not CoAP: whatever request it was meant to answer times out and counts as failed
            return
        }
        // an empty ACK only says a separate response follows (§5.2.2)
        if (m.code === CoapCode.Empty) return
        if (m.type === CoapType.CON) {
            // a separate confirmable response: acknowledge it
            this.sock.send(encodeMessage(newMessage(CoapType.ACK, CoapCode.Empty, m.messageId)), this.port, "127.0.0.1")
        }
        const key = m.token.toString("hex")
        const done = this.pending.get(key)
        if (!done) return
        this.pending.delete(key)
        done({ code: codeToString(m.code), payload: m.payload })
    }

    close(): void {
        for (const done of this.pending.values()) done({ code: "closed", payload: Buffer.alloc(0) })
        this.pending.clear()
        this.sock.close()
    }
}
