// The number formatters telemetry uses; one implementation for the whole project lives in
// src/util/decimal.ts (it used to be a second copy here that clamped numbers beyond 2^53).
export { formatFixed, formatInteger, formatNumber, formatScaled, roundHalfAway, toScaled } from "../util/decimal"
