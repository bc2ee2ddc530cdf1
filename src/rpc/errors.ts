// JSON-RPC 2.0 error codes (JSON-RPC 2.0 specification §5.1) and the error a method throws to
// choose its own code.

export const PARSE_ERROR = -32700
export const INVALID_REQUEST = -32600
export const METHOD_NOT_FOUND = -32601
export const INVALID_PARAMS = -32602
export const INTERNAL_ERROR = -32603

/** Thrown by a method (or the dispatcher) to reply with this code; anything else becomes -32603. */
export class RpcError extends Error {
    constructor(
        public code: number,
        message: string,
        public data?: any
    ) {
        super(message)
        this.name = "RpcError"
    }
}

export function invalidParams(message: string): RpcError {
    return new RpcError(INVALID_PARAMS, "Invalid params", message)
}
