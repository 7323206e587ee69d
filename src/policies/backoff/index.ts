// Backoff: how long to wait before the next attempt. Pure functions, tested as data.
export { computeBackoffDelay, describeBackoffFormula, exponentialCeiling } from './compute-backoff-delay';
export type { BackoffSettings } from './compute-backoff-delay';
export { parseRetryAfterMs, parseRetryAfterValue } from './retry-after';
