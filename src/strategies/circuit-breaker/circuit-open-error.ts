import { BRANDS, hasBrand } from '../../internal/brands';

/**
 * The circuit of `key` is open (or half-open with its probes busy): the call failed at
 * once, without reaching the upstream. Safe to show; `retryAfterMs` says when a probe
 * will be let through.
 *
 * @example
 * ```ts
 * try {
 *   return await agent.complete(question); // @RetryOpenAI({ circuitBreaker: true })
 * } catch (error) {
 *   if (isCircuitOpenError(error)) return `Busy, try again in ${Math.ceil(error.retryAfterMs / 1000)} s`;
 *   throw error;
 * }
 * ```
 */
export class CircuitOpenError extends Error {
  readonly [BRANDS.circuitOpen] = true;
  constructor(
    /** The upstream key whose circuit is open. */
    readonly key: string,
    /** How long (ms) until the circuit lets a probe through. */
    readonly retryAfterMs: number,
    options?: { cause?: unknown },
  ) {
    super('The service is temporarily unavailable', options);
    this.name = 'CircuitOpenError';
  }
}

/**
 * True for a `CircuitOpenError`, also one from another copy of the library (checked by a
 * brand, not `instanceof`).
 *
 * @example
 * ```ts
 * if (isCircuitOpenError(error)) res.set('Retry-After', String(Math.ceil(error.retryAfterMs / 1000))).status(503).end();
 * ```
 */
export function isCircuitOpenError(error: unknown): error is CircuitOpenError {
  return hasBrand(error, BRANDS.circuitOpen);
}
