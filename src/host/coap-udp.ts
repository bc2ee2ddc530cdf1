// The CoAP endpoint over UDP on Node (node:dgram): the portable MessageLayer + CoapServer, with a
// real clock, Math.random, and one timer re-armed to the message layer's next deadline.

import dgram from "node:dgram"
import { performance } from "node:perf_hooks"
import { MessageLayer } from "../coap/transport/messagelayer"
import { CoapServer, ServerOptions } from "../coap/server/endpoint"
import type { TransmissionParams } from "../coap/transport/messagelayer-params"
import { CoapCode, CoapType, isRequestCode, newMessage } from "../coap/codec/message"
import { encodeMessage } from "../coap/codec/codec"

export const COAP_DEFAULT_PORT = 5683
/** The UDP receive buffer CoAP sockets on the host ask for: room for ~5,000 small datagrams. */
export const UDP_RECV_BUFFER = 4 * 1024 * 1024

export interface CoapUdpOptions {
    /** UDP port; 5683 by default, 0 picks a free one. */
    port?: number
    /** Address to bind; "::" (all, dual stack) by default, "127.0.0.1" for loopback tests. */
    host?: string
    /** ms before an empty ACK turns a slow answer into a separate response (default 1000). */
    separateAfter?: number
    /** Duplicate cache caps (MessageLayerOptions): 65,536 pairs / 16 MiB of answers by default. */
    dedupCapacity?: number
    /** SO_RCVBUF in bytes (default 4 MiB, the kernel may cap it at net.core.rmem_max). */
    recvBufferSize?: number
    maxBlockSzx?: number
    params?: TransmissionParams
    server?: Omit<ServerOptions, "clock">
    /** Test hook: return true to drop an outgoing datagram (loss on the server's side). */
    dropOutgoing?: (bytes: Buffer, peer: string) => boolean
    /** Test hook: sees every datagram in and out (after loss). */
    tap?: (direction: "in" | "out", bytes: Buffer, peer: string) => void
}

export interface CoapUdpServer {
    /** The bound port. */
    port: number
    server: CoapServer
    messageLayer: MessageLayer
    close(): Promise<void>
}

interface Address {
    address: string
    port: number
}

/** Starts the endpoint; resolves once the socket is bound. */
export async function startCoapUdpServer(opts: CoapUdpOptions = {}): Promise<CoapUdpServer> {
    const host = opts.host ?? "::"
    // the default receive buffer (rmem_default, 208 KiB on Linux) holds only ~256 small
    // datagrams: a burst of requests beyond that was dropped by the kernel before we saw it
    const socket = dgram.createSocket({
        type: host.includes(":") ? "udp6" : "udp4",
        ipv6Only: false,
        recvBufferSize: opts.recvBufferSize ?? UDP_RECV_BUFFER,
    })
    const peers = new Map<string, Address>()
    const clock = { now: () => performance.now() }
    let timer: NodeJS.Timeout | undefined
    let closed = false
    const faultsLogged = new Set<string>()
    const reportFault = (e: unknown) => {
        const what = e instanceof Error ? e.name + ": " + e.message : String(e)
        if (faultsLogged.has(what) || faultsLogged.size >= 100) return
        faultsLogged.add(what)
        console.error(`coap-udp: one datagram dropped after an internal error (${what}); later ones of this kind are not logged`)
    }

    const ml = new MessageLayer({
        clock,
        random: { next: () => Math.random() },
        send: (bytes, peer) => {
            if (closed) return
            if (opts.dropOutgoing && opts.dropOutgoing(bytes, peer)) return
            const a = peers.get(peer)
            if (!a) return
            opts.tap?.("out", bytes, peer)
            socket.send(bytes, a.port, a.address)
        },
        separateAfter: opts.separateAfter,
        dedupCapacity: opts.dedupCapacity,
        maxBlockSzx: opts.maxBlockSzx,
        params: opts.params,
    })
    const server = new CoapServer(ml, { clock, ...(opts.server ?? {}) })
    ml.attach(server)

    const arm = () => {
        if (closed) return
        if (timer) clearTimeout(timer)
        timer = undefined
        const d = ml.nextDeadline()
        if (d < 0) return
        timer = setTimeout(
            () => {
                timer = undefined
                try {
                    ml.tick(clock.now())
                } catch (e) {
                    reportFault(e)
                }
                arm()
            },
            Math.max(0, Math.ceil(d - clock.now()))
        )
    }
    ml.onWakeup = arm

    socket.on("message", (msg, rinfo) => {
        const key = rinfo.family === "IPv6" ? `[${rinfo.address}]:${rinfo.port}` : `${rinfo.address}:${rinfo.port}`
        if (!peers.has(key)) {
            // bounded: forget the oldest peer addresses (they are only needed to answer)
            if (peers.size >= 4096) peers.delete(peers.keys().next().value as string)
            peers.set(key, { address: rinfo.address, port: rinfo.port })
        }
        opts.tap?.("in", msg, key)
        // one datagram's boundary: a fault answers a CON request 5.00, the endpoint keeps serving
        try {
            ml.receive(msg, key)
        } catch (e) {
            reportFault(e)
            const r = internalErrorFor(msg)
            if (r && !closed) socket.send(r, rinfo.port, rinfo.address)
        }
    })
    // ICMP errors surface as socket errors on some platforms; the endpoint keeps serving
    socket.on("error", () => {})

    await new Promise<void>((resolve, reject) => {
        socket.once("error", reject)
        socket.bind(opts.port ?? COAP_DEFAULT_PORT, host, () => {
            socket.off("error", reject)
            resolve()
        })
    })

    return {
        port: socket.address().port,
        server,
        messageLayer: ml,
        close: () =>
            new Promise<void>((resolve) => {
                closed = true
                if (timer) clearTimeout(timer)
                socket.close(() => resolve())
            }),
    }
}

/**
 * RFC 7252 5.9.3.1: the 5.00 that answers a datagram whose handling failed, when the datagram is
 * a CON request (by its header: version 1, type CON, a request code, a token length of at most 8):
 * an ACK with its Message ID and token. Undefined for anything else (nothing to answer).
 */
export function internalErrorFor(datagram: Buffer): Buffer | undefined {
    if (datagram.length < 4) return undefined
    const version = datagram[0] >> 6
    const type = (datagram[0] >> 4) & 3
    const tkl = datagram[0] & 15
    if (version !== 1 || type !== CoapType.CON || tkl > 8 || datagram.length < 4 + tkl || !isRequestCode(datagram[1])) return undefined
    const m = newMessage(CoapType.ACK, CoapCode.InternalServerError, datagram.readUInt16BE(2), Buffer.from(datagram.subarray(4, 4 + tkl)))
    return encodeMessage(m)
}
