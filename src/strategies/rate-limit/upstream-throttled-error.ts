import { BRANDS, hasBrand } from '../../internal/brands';

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
  /** @internal Brand checked by `isUpstreamThrottledError`. */
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
