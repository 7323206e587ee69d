import { BRANDS, hasBrand } from '../../internal/brands';

const TIMEOUT_BRAND: typeof BRANDS.retryTimeout = BRANDS.retryTimeout;
const ATTEMPT_TIMEOUT_BRAND: typeof BRANDS.attemptTimeout = BRANDS.attemptTimeout;

/**
 * The call ran out of its `totalTimeoutMs` before any attempt had failed (the first
 * attempt was still running at the deadline), so there is no provider error to rethrow.
 *
 * @example
 * ```ts
 * try {
 *   await agent.complete(question); // @RetryOpenAI({ totalTimeoutMs: 30_000 })
 * } catch (error) {
 *   if (isRetryTimeoutError(error)) console.warn(`${error.method} gave up after ${error.totalTimeoutMs} ms`);
 *   else throw error;
 * }
 * ```
 */
export class RetryTimeoutError extends Error {
  /** @internal Brand checked by `isRetryTimeoutError`. */
  readonly [TIMEOUT_BRAND] = true;
  constructor(
    /** The decorated method's name in logs (`name` option, default `ClassName.method`). */
    readonly method: string,
    /** The deadline that expired (ms): the call's `totalTimeoutMs`. */
    readonly totalTimeoutMs: number,
  ) {
    super(`${method} did not complete within its total timeout of ${totalTimeoutMs} ms`);
    this.name = 'RetryTimeoutError';
  }
}

/**
 * One attempt ran longer than `attemptTimeoutMs` and was abandoned (a retryable timeout).
 * Callers see it when it is the error of the last attempt made; the attempt's `signal`
 * (from `getRetryContext()`) is aborted with it as the reason.
 *
 * @example
 * ```ts
 * try {
 *   await agent.complete(question); // @RetryOpenAI({ attemptTimeoutMs: 20_000 })
 * } catch (error) {
 *   if (isAttemptTimeoutError(error)) console.warn(`every attempt took over ${error.attemptTimeoutMs} ms`);
 *   else throw error;
 * }
 * ```
 */
export class AttemptTimeoutError extends Error {
  /** @internal Brand checked by `isAttemptTimeoutError`. */
  readonly [ATTEMPT_TIMEOUT_BRAND] = true;
  constructor(
    /** The decorated method's name in logs (`name` option, default `ClassName.method`). */
    readonly method: string,
    /** The per-attempt timeout that expired (ms): the call's `attemptTimeoutMs`. */
    readonly attemptTimeoutMs: number,
  ) {
    super(`${method}: attempt exceeded its timeout of ${attemptTimeoutMs} ms`);
    this.name = 'AttemptTimeoutError';
  }
}

/**
 * True for a `RetryTimeoutError`, also one from another copy of the library (checked by a
 * brand, not `instanceof`).
 *
 * @example
 * ```ts
 * if (isRetryTimeoutError(error)) res.status(504).send('Timed out');
 * ```
 */
export function isRetryTimeoutError(error: unknown): error is RetryTimeoutError {
  return hasBrand(error, TIMEOUT_BRAND);
}

/**
 * True for an `AttemptTimeoutError`, also one from another copy of the library (checked by a
 * brand, not `instanceof`).
 *
 * @example
 * ```ts
 * if (isAttemptTimeoutError(error)) metrics.increment('llm.attempt_timeout');
 * ```
 */
export function isAttemptTimeoutError(error: unknown): error is AttemptTimeoutError {
  return hasBrand(error, ATTEMPT_TIMEOUT_BRAND);
}
