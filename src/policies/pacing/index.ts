// Pacing: building blocks that keep calls to one upstream key under its rate limit and
// concurrency, for the retry engine to wire in. Pure state with an injected clock; only
// `schedule`, `Bulkhead.acquire` and `abortableSleep` wait.
export { parseDurationMs, readRateLimitHeaders } from './rate-limit-headers';
export type { RateLimitInfo } from './rate-limit-headers';
export { KeyCooldowns } from './cooldown';
export type { KeyCooldownsOptions, Random } from './cooldown';
export { AdaptiveRateLimiter } from './adaptive-rate-limiter';
export type { AdaptiveRateLimiterOptions, AdaptiveRateLimiterSnapshot } from './adaptive-rate-limiter';
export { Bulkhead } from './bulkhead';
export type { BulkheadOptions, BulkheadRelease, BulkheadStats } from './bulkhead';
export { BulkheadRejectedError, isBulkheadRejectedError } from './bulkhead-rejected-error';
export {
  BULKHEAD_OPTION_NAMES,
  DEFAULT_BULKHEAD_QUEUE_LIMIT,
  validateBulkheadOptions,
} from './validate-pacing-options';
export type { BulkheadValidation, ResolvedBulkheadOptions } from './validate-pacing-options';
export { abortableSleep } from './sleep';
export type { Sleep } from './sleep';
