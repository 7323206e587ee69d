/**
 * Every default of llm-resilience lives in this file (the README's defaults table mirrors it).
 */

import type { CircuitBreakerOptions } from '../strategies/circuit-breaker/circuit-breaker-options';
import type { RetryBudgetOptions } from '../strategies/retry-budget/retry-budget-options';

import { JITTER_MODES, type JitterMode } from '../strategies/retry/compute-backoff-delay';

// The jitter modes live with the backoff (policies sit below config); named here with the other defaults.
export { JITTER_MODES };
export type { JitterMode };

/**
 * The `bulkhead` option as a user writes it.
 *
 * @example
 * ```ts
 * @RetryNetwork({ key: 'search-api', bulkhead: { maxConcurrency: 8, queueLimit: 50 } })
 * ```
 */
export interface BulkheadSettings {
  /** Calls allowed to run at once per key (integer >= 1). */
  maxConcurrency: number;
  /**
   * Calls allowed to wait for a slot (integer >= 0); one more is rejected at once.
   * @default 100
   */
  queueLimit?: number;
}

/**
 * Built-in values of every `RetryConfig` field: the last layer, below decorator options,
 * per-agent configs, `configureResilience({ defaults })` and the environment.
 *
 * @example
 * ```ts
 * RETRY_DEFAULTS.maxAttempts; // 3
 * new RetryConfig().maxDelayMs === RETRY_DEFAULTS.maxDelayMs; // true
 * ```
 */
export const RETRY_DEFAULTS = Object.freeze({
  /** All attempts, the first included: 3 means one call and two retries. */
  maxAttempts: 3,
  /** The first backoff (ms), before jitter. */
  baseDelayMs: 1000,
  /** Cap of every backoff (ms). */
  maxDelayMs: 30_000,
  /** Growth of the backoff per attempt. */
  exponentialBase: 2,
  /** Full jitter: uniform in [0, backoff] (AWS Architecture Blog, "Exponential Backoff and Jitter"). */
  jitter: 'full' as JitterMode,
  /** Server-requested waits (Retry-After) are obeyed, up to `maxRetryAfterMs`. */
  respectRetryAfter: true,
  /** A server asking for a longer wait than this is not obeyed: the call fails at once. */
  maxRetryAfterMs: 60_000,
  /** No per-attempt timeout. */
  attemptTimeoutMs: undefined as number | undefined,
  /** No deadline for the whole call. */
  totalTimeoutMs: undefined as number | undefined,
  /** Off unless set (`true` for the defaults in `CIRCUIT_BREAKER_DEFAULTS`, or an object). */
  circuitBreaker: undefined as CircuitBreakerOptions | boolean | undefined,
  /** Unset means ON with `RETRY_BUDGET_DEFAULTS`; `false` turns it off. */
  retryBudget: undefined as RetryBudgetOptions | boolean | undefined,
  /** Off unless set to `{ maxConcurrency, queueLimit? }` (queueLimit default 100). */
  bulkhead: undefined as BulkheadSettings | false | undefined,
  /** The upstream key: `ClassName.method`, plus the instance's client (base URL, deployment, key hash). */
  key: undefined as string | undefined,
  /** Streams: no timeout for the first content item (the attempt timeout still applies). */
  firstItemTimeoutMs: undefined as number | undefined,
  /** Streams: no timeout between items once committed. */
  idleTimeoutMs: undefined as number | undefined,
  /**
   * Streams: the first content item commits (`@RetryOpenAI`, `@RetryAzure`, `provider: 'openai' | 'azure'`),
   * else the first item.
   */
  streamCommit: undefined as ((item: unknown) => boolean) | undefined,
});

// The retry stage's own constant, listed here with every other default.
export { RETRY_AFTER_JITTER_FRACTION } from '../strategies/retry/retry-decision';

/**
 * Environment variables read by `RetryConfig.fromEnv()`, by field (an unset or empty variable
 * keeps the default; a bad value throws a `RetryConfigError` naming the variable).
 *
 * @example
 * ```bash
 * LLM_RETRY_MAX_ATTEMPTS=5 LLM_RETRY_CIRCUIT_BREAKER='{"failureThreshold":3}' node server.js
 * ```
 */
export const RETRY_ENV_VARS = Object.freeze({
  /** `maxAttempts`: an integer. */
  maxAttempts: 'LLM_RETRY_MAX_ATTEMPTS',
  /** `baseDelayMs`: a number (ms). */
  baseDelayMs: 'LLM_RETRY_BASE_DELAY_MS',
  /** `maxDelayMs`: a number (ms). */
  maxDelayMs: 'LLM_RETRY_MAX_DELAY_MS',
  /** `exponentialBase`: a number. */
  exponentialBase: 'LLM_RETRY_EXPONENTIAL_BASE',
  /** `jitter`: `full`, `equal`, `decorrelated` or `none` (any case). */
  jitter: 'LLM_RETRY_JITTER',
  /** `respectRetryAfter`: `true`, `false`, `1`, `0`, `yes` or `no`. */
  respectRetryAfter: 'LLM_RETRY_RESPECT_RETRY_AFTER',
  /** `maxRetryAfterMs`: a number (ms). */
  maxRetryAfterMs: 'LLM_RETRY_MAX_RETRY_AFTER_MS',
  /** `attemptTimeoutMs`: a number (ms). */
  attemptTimeoutMs: 'LLM_RETRY_ATTEMPT_TIMEOUT_MS',
  /** `totalTimeoutMs`: a number (ms). */
  totalTimeoutMs: 'LLM_RETRY_TOTAL_TIMEOUT_MS',
  /** `circuitBreaker`: `true` or `false` (also `1`/`0`, `yes`/`no`), or the options as JSON. */
  circuitBreaker: 'LLM_RETRY_CIRCUIT_BREAKER',
  /** `retryBudget`: `true` or `false` (also `1`/`0`, `yes`/`no`), or the options as JSON. */
  retryBudget: 'LLM_RETRY_RETRY_BUDGET',
  /** `bulkhead`: `false` (also `0`, `no`), or the options as JSON. */
  bulkhead: 'LLM_RETRY_BULKHEAD',
  /** `key`: the upstream key of every call that does not set one. */
  key: 'LLM_RETRY_KEY',
  /** `firstItemTimeoutMs`: a number (ms). */
  firstItemTimeoutMs: 'LLM_RETRY_FIRST_ITEM_TIMEOUT_MS',
  /** `idleTimeoutMs`: a number (ms). */
  idleTimeoutMs: 'LLM_RETRY_IDLE_TIMEOUT_MS',
  // `streamCommit` is a function: it has no variable.
});

/** The variable of a `RetryConfig` field, or undefined for one the environment cannot set (`streamCommit`). */
export function envVarOf(field: string): string | undefined {
  return Object.prototype.hasOwnProperty.call(RETRY_ENV_VARS, field)
    ? RETRY_ENV_VARS[field as keyof typeof RETRY_ENV_VARS]
    : undefined;
}

// The default logger's level and its variable live with the logger (observability sits below config).
export { DEFAULT_LOG_LEVEL, LOG_LEVEL_ENV_VAR } from '../observability/default-logger';

/** Azure OpenAI API version used when an AgentConfig names none (the latest GA data-plane version). */
export const DEFAULT_AZURE_API_VERSION = '2024-10-21';

/** Where an AgentConfig without `apiKey` finds its key, read when a client is created. */
export const API_KEY_ENV_VARS = Object.freeze({
  openai: 'OPENAI_API_KEY',
  azure_openai: 'AZURE_OPENAI_API_KEY',
});
