import { unitRandom } from '../../internal/unit-random';
import { computeBackoffDelay, type BackoffSettings } from './compute-backoff-delay';

/**
 * Extra wait added on top of a Retry-After value, as a fraction of it (drawn uniformly in
 * [0, fraction]), so that clients told the same value do not all return in the same instant.
 */
export const RETRY_AFTER_JITTER_FRACTION = 0.1;

/** What the retry stage reads of a call's configuration. */
export interface RetrySchedule extends BackoffSettings {
  readonly maxAttempts: number;
  readonly respectRetryAfter: boolean;
  readonly maxRetryAfterMs: number;
}

export type GiveUpReason =
  | 'not_retryable'
  | 'max_attempts'
  | 'retry_after_exceeds_max'
  | 'deadline'
  | 'retry_budget'
  | 'argument_not_replayable';

export type RetryDecision =
  | { retry: true; delayMs: number; source: 'backoff' | 'retry-after'; backoffMs: number }
  | { retry: false; reason: GiveUpReason };

export interface DecisionInput {
  /** The attempt that just failed (1-based). */
  attempt: number;
  config: RetrySchedule;
  retryable: boolean;
  /** What the server asked for (Retry-After and friends), if anything. */
  retryAfterMs: number | undefined;
  nowMs: number;
  /** Absolute end of `totalTimeoutMs`, if set. */
  deadlineMs: number | undefined;
  random: () => number;
  previousDelayMs: number | undefined;
}

/**
 * Whether and when to try again after a failed attempt. Pure: time and randomness come in.
 * A provider's Retry-After may lengthen the computed backoff but never shorten it, gets
 * up to 10% on top so clients told the same value do not return together, and is
 * never obeyed beyond `maxRetryAfterMs` (the call fails at once instead).
 */
export function decideRetry(input: DecisionInput): RetryDecision {
  const { attempt, config } = input;
  if (!input.retryable) return { retry: false, reason: 'not_retryable' };
  if (attempt >= config.maxAttempts) return { retry: false, reason: 'max_attempts' };

  const backoffMs = computeBackoffDelay(attempt, config, input.random, input.previousDelayMs);
  let delayMs = backoffMs;
  let source: 'backoff' | 'retry-after' = 'backoff';
  const retryAfterMs = config.respectRetryAfter && isDelay(input.retryAfterMs) ? input.retryAfterMs : undefined;
  if (retryAfterMs !== undefined) {
    if (retryAfterMs > config.maxRetryAfterMs) return { retry: false, reason: 'retry_after_exceeds_max' };
    if (retryAfterMs >= backoffMs) source = 'retry-after';
    // The spread never takes the wait past the cap.
    const base = Math.max(backoffMs, retryAfterMs);
    const spread = unitRandom(input.random) * RETRY_AFTER_JITTER_FRACTION * retryAfterMs;
    delayMs = base + Math.min(spread, Math.max(0, config.maxRetryAfterMs - base));
  }
  // Whole milliseconds: what timers can honour, and what logs and events report.
  delayMs = Math.round(delayMs);
  if (input.deadlineMs !== undefined && input.nowMs + delayMs > input.deadlineMs) {
    return { retry: false, reason: 'deadline' };
  }
  return { retry: true, delayMs, source, backoffMs };
}

/** A usable server-requested wait: not NaN, not negative (Infinity is above any cap). */
function isDelay(value: number | undefined): value is number {
  return typeof value === 'number' && value >= 0;
}
