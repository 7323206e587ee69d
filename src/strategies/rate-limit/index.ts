// Rate limit: what keeps calls to one key under its upstream's limits — the 429 cooldown,
// request pacing (the adaptive limiter, from `x-ratelimit-*` headers), the cold-start gate —
// and the stage that waits for each in turn before an attempt.
export { parseDurationMs, readRateLimitHeaders } from './rate-limit-headers';
export type { RateLimitInfo } from './rate-limit-headers';
export { KeyCooldown, MAX_COOLDOWN_MS } from './cooldown';
export { AdaptiveRateLimiter } from './adaptive-rate-limiter';
export type { AdaptiveRateLimiterOptions, AdaptiveRateLimiterSnapshot } from './adaptive-rate-limiter';
export { KeyPacing } from './request-pacing';
export { ColdStartGate, COLD_START_MAX_WAIT_MS } from './cold-start';
export { UpstreamThrottledError, isUpstreamThrottledError } from './upstream-throttled-error';
export type { UpstreamThrottledReason } from './upstream-throttled-error';
export { RateLimitStage } from './rate-limit-stage';
export type { RateLimitedKey } from './rate-limit-stage';
