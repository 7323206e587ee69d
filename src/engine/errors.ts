import { BRANDS, hasBrand } from '../internal/brands';

const TIMEOUT_BRAND = BRANDS.retryTimeout;
const ATTEMPT_TIMEOUT_BRAND = BRANDS.attemptTimeout;

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

/** Which wait would have outlasted the call's bounds. */
export type UpstreamThrottledReason = 'cooldown' | 'pacing' | 'cold_start';

const THROTTLED_WHAT: Record<UpstreamThrottledReason, string> = {
  cooldown: 'the upstream asked to wait',
  pacing: "pacing to the upstream's rate limit would wait",
  cold_start: "the key's cold start would wait",
};

/**
 * The call was not attempted: before its first attempt, the upstream's cooldown (a 429
 * with Retry-After, seen by this or another call or replica), the key's pacing or its cold
 * start asked for a wait longer than the call's `maxRetryAfterMs` or past its
 * `totalTimeoutMs` deadline. No request reached the upstream. Safe to show: the message
 * names the method and the wait only. A call that already had a failed attempt rejects with
 * that attempt's error instead.
 *
 * @example
 * ```ts
 * try {
 *   return await agent.complete(question);
 * } catch (error) {
 *   if (isUpstreamThrottledError(error)) return `Busy, try again in ${Math.ceil(error.retryAfterMs / 1000)} s`;
 *   throw error;
 * }
 * ```
 */
export class UpstreamThrottledError extends Error {
  readonly [BRANDS.upstreamThrottled] = true;
  /** Always `'rate_limit'`: what `classifyError` calls it too (not retryable). */
  readonly kind = 'rate_limit' as const;
  constructor(
    /** The decorated method's (or pipeline's) name in logs. */
    readonly method: string,
    /** Which wait: the key's 429 cooldown, its request pacing, or its cold start. */
    readonly reason: UpstreamThrottledReason,
    /** How long (ms) the wait would have been: when the upstream may be asked again. */
    readonly retryAfterMs: number,
    /** What bounded it, for the message: `maxRetryAfterMs` or the deadline left. */
    bound: { maxRetryAfterMs: number } | { deadlineLeftMs: number },
  ) {
    const limit =
      'maxRetryAfterMs' in bound
        ? `beyond maxRetryAfterMs (${formatDuration(bound.maxRetryAfterMs)})`
        : `beyond its deadline (${formatDuration(bound.deadlineLeftMs)} left of totalTimeoutMs)`;
    super(`${method} was not attempted: ${THROTTLED_WHAT[reason]} ${formatDuration(retryAfterMs)}, ${limit}`);
    this.name = 'UpstreamThrottledError';
  }
}

/**
 * True for an `UpstreamThrottledError`, also one from another copy of the library (checked
 * by a brand, not `instanceof`).
 *
 * @example
 * ```ts
 * if (isUpstreamThrottledError(error)) res.set('Retry-After', String(Math.ceil(error.retryAfterMs / 1000))).status(503).end();
 * ```
 */
export function isUpstreamThrottledError(error: unknown): error is UpstreamThrottledError {
  return hasBrand(error, BRANDS.upstreamThrottled);
}

/** `850 ms`, `12 s`, `3592 s`: whole seconds from one second on. */
function formatDuration(ms: number): string {
  const value = Math.max(0, ms);
  return value < 1000 ? `${Math.round(value)} ms` : `${Math.round(value / 1000)} s`;
}
