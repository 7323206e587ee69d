// Limiters as the adaptive limiter's suites build them.
import {
  AdaptiveRateLimiter,
  type AdaptiveRateLimiterOptions,
} from '../../../src/strategies/rate-limit/adaptive-rate-limiter';

/** targetUtilization 1 keeps the arithmetic readable: 12000 per minute = 200/s = one per 5 ms. */
export const exact = (options: AdaptiveRateLimiterOptions = {}) =>
  new AdaptiveRateLimiter({ targetUtilization: 1, ...options });

/** The waits `count` callers get, all arriving at `nowMs`. */
export const acquireMany = (limiter: AdaptiveRateLimiter, nowMs: number, count: number) =>
  Array.from({ length: count }, () => limiter.acquire(nowMs));

/** A limiter that has learned 200/s at t=0 (burst 10); idle for a second, its bucket is full again. */
export function learned200(options: AdaptiveRateLimiterOptions = {}): AdaptiveRateLimiter {
  const limiter = exact(options);
  limiter.observe({ limitRequests: 12_000 }, 0);
  return limiter;
}
