/**
 * Brand keys of the library's own error classes. `Symbol.for` keys survive duplicate
 * installs and the CJS/ESM split, and let the classifier recognise these errors without
 * importing the layers that define them.
 */
export const BRANDS = Object.freeze({
  attemptTimeout: Symbol.for('llm-resilience.AttemptTimeoutError'),
  retryTimeout: Symbol.for('llm-resilience.RetryTimeoutError'),
  tokenProvider: Symbol.for('llm-resilience.TokenProviderError'),
  circuitOpen: Symbol.for('llm-resilience.CircuitOpenError'),
  upstreamThrottled: Symbol.for('llm-resilience.UpstreamThrottledError'),
});

export function hasBrand(value: unknown, brand: symbol): boolean {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;
}
