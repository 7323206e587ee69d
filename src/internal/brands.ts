/**
 * Brand keys of the library's own error classes. `Symbol.for` keys survive duplicate
 * installs and the CJS/ESM split, and let the classifier recognise these errors without
 * importing the layers that define them.
 *
 * Each key is typed `unique symbol` so that the emitted declarations (`readonly [BRANDS.x]: true`
 * in the error classes) are valid computed property names on every TypeScript version: with a
 * plain `symbol` type, TypeScript 5.0-5.7 report TS1166 in a consumer's `skipLibCheck: false` build.
 */
const ATTEMPT_TIMEOUT: unique symbol = Symbol.for('llm-resilience.AttemptTimeoutError');
const RETRY_TIMEOUT: unique symbol = Symbol.for('llm-resilience.RetryTimeoutError');
const TOKEN_PROVIDER: unique symbol = Symbol.for('llm-resilience.TokenProviderError');
const CIRCUIT_OPEN: unique symbol = Symbol.for('llm-resilience.CircuitOpenError');
const UPSTREAM_THROTTLED: unique symbol = Symbol.for('llm-resilience.UpstreamThrottledError');
const STREAM_TIMEOUT: unique symbol = Symbol.for('llm-resilience.StreamTimeoutError');
const STREAM_EVENT: unique symbol = Symbol.for('llm-resilience.StreamEventError');
const STREAM_INTERRUPTED: unique symbol = Symbol.for('llm-resilience.StreamInterruptedError');

export const BRANDS = Object.freeze({
  attemptTimeout: ATTEMPT_TIMEOUT,
  retryTimeout: RETRY_TIMEOUT,
  tokenProvider: TOKEN_PROVIDER,
  circuitOpen: CIRCUIT_OPEN,
  upstreamThrottled: UPSTREAM_THROTTLED,
  streamTimeout: STREAM_TIMEOUT,
  streamEvent: STREAM_EVENT,
  streamInterrupted: STREAM_INTERRUPTED,
} as const);

export function hasBrand(value: unknown, brand: symbol): boolean {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;
}
