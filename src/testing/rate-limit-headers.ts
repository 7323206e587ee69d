import type { RateLimitOptions, TokenBucketState } from './token-bucket';

/**
 * Formats a duration the way OpenAI's `x-ratelimit-reset-*` headers do (Go's
 * `time.Duration` notation): `0s`, `20ms`, `1s`, `1.5s`, `6m0s`, `1h2m3s`.
 * Input is milliseconds; fractions are rounded up (a client must not come back early).
 */
export function formatResetDuration(ms: number): string {
  const total = Number.isFinite(ms) && ms > 0 ? Math.ceil(ms) : 0;
  if (total === 0) return '0s';
  if (total < 1000) return `${total}ms`;
  const hours = Math.floor(total / 3_600_000);
  const minutes = Math.floor((total % 3_600_000) / 60_000);
  const secondsMs = total % 60_000;
  // `12.340` -> `12.34`, `6.000` -> `6`: Go prints the shortest exact form.
  const seconds = (secondsMs / 1000).toFixed(3).replace(/\.?0+$/, '');
  let out = '';
  if (hours > 0) out += `${hours}h`;
  if (hours > 0 || minutes > 0) out += `${minutes}m`;
  return `${out}${seconds}s`;
}

/**
 * OpenAI's request rate-limit headers for a bucket state: the limit per minute, the
 * whole tokens left, and the time until the bucket is full again.
 */
export function rateLimitHeaders(limit: RateLimitOptions, state: TokenBucketState): Record<string, string> {
  return {
    'x-ratelimit-limit-requests': String(Math.max(1, Math.round(limit.rps * 60))),
    'x-ratelimit-remaining-requests': String(Math.floor(state.remaining + 1e-9)),
    'x-ratelimit-reset-requests': formatResetDuration(state.msUntilFull),
  };
}
