// RFC 7252 section 4.8 transmission parameters, as data. The message layer reads them from
// here (or from an override with the same shape); nothing else hard-codes these numbers.

/** RFC 7252 4.8: the tunable parameters, times in milliseconds. */
export interface TransmissionParams {
    /** ACK_TIMEOUT: the initial retransmission timeout of a CON. */
    ackTimeout: number
    /** ACK_RANDOM_FACTOR: the initial timeout is ackTimeout * [1, ackRandomFactor). */
    ackRandomFactor: number
    /** MAX_RETRANSMIT: retransmissions after the first transmission, then give up. */
    maxRetransmit: number
    /** NSTART: outstanding interactions per peer (this server never sends requests, kept for completeness). */
    nstart: number
    /** DEFAULT_LEISURE (8.2), for multicast responses; unused here. */
    defaultLeisure: number
    /** PROBING_RATE in bytes/second (4.7); unused by a server that only answers. */
    probingRate: number
    /** MAX_LATENCY (4.8.2): assumed worst one-way delay. */
    maxLatency: number
}

/** RFC 7252 4.8 default values. */
export const RFC7252_4_8: TransmissionParams = {
    ackTimeout: 2000,
    ackRandomFactor: 1.5,
    maxRetransmit: 4,
    nstart: 1,
    defaultLeisure: 5000,
    probingRate: 1,
    maxLatency: 100000,
}

/** RFC 7252 4.8.2: MAX_TRANSMIT_SPAN = ACK_TIMEOUT * (2^MAX_RETRANSMIT - 1) * ACK_RANDOM_FACTOR (45 s). */
export function maxTransmitSpan(p: TransmissionParams): number {
    return p.ackTimeout * (Math.pow(2, p.maxRetransmit) - 1) * p.ackRandomFactor
}

/** RFC 7252 4.8.2: MAX_TRANSMIT_WAIT = ACK_TIMEOUT * (2^(MAX_RETRANSMIT + 1) - 1) * ACK_RANDOM_FACTOR (93 s). */
export function maxTransmitWait(p: TransmissionParams): number {
    return p.ackTimeout * (Math.pow(2, p.maxRetransmit + 1) - 1) * p.ackRandomFactor
}

/** RFC 7252 4.8.2: PROCESSING_DELAY = ACK_TIMEOUT; MAX_RTT = 2 * MAX_LATENCY + PROCESSING_DELAY (202 s). */
export function maxRtt(p: TransmissionParams): number {
    return 2 * p.maxLatency + p.ackTimeout
}

/** RFC 7252 4.8.2: EXCHANGE_LIFETIME = MAX_TRANSMIT_SPAN + 2 * MAX_LATENCY + PROCESSING_DELAY (247 s). */
export function exchangeLifetime(p: TransmissionParams): number {
    return maxTransmitSpan(p) + 2 * p.maxLatency + p.ackTimeout
}

/** RFC 7252 4.8.2: NON_LIFETIME = MAX_TRANSMIT_SPAN + MAX_LATENCY (145 s). */
export function nonLifetime(p: TransmissionParams): number {
    return maxTransmitSpan(p) + p.maxLatency
}
