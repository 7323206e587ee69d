import type { WaitBounds, WaitKind, WaitRefusal } from '../strategies/bounded-wait';
import {
  UpstreamThrottledError,
  type UpstreamThrottledReason,
} from '../strategies/rate-limit/upstream-throttled-error';
import { RetryTimeoutError } from '../strategies/timeout/timeout-errors';

/** What a call waited for, in the log line of a wait cut at its deadline. */
const WAITED_FOR: Record<WaitKind, string> = {
  cooldown: "the upstream's cooldown",
  pacing: 'its pacing slot',
  cold_start: 'the first attempt of a cold key',
  bulkhead: 'a bulkhead slot',
  probe: 'the half-open probe claim',
};

function throttledReason(kind: WaitKind): UpstreamThrottledReason {
  return kind === 'pacing' || kind === 'cold_start' ? kind : 'cooldown';
}

/**
 * How a call ends when a bound refused (or cut) a wait before any attempt was made: an
 * `UpstreamThrottledError` for a known wait, or a `RetryTimeoutError` for a wait of unknown
 * length cut at the deadline; with the `retry_not_retryable` reason and the log line's detail.
 */
export function notAttempted(
  label: string,
  refusal: WaitRefusal,
  bounds: WaitBounds,
  totalTimeoutMs: number | undefined,
): { error: UpstreamThrottledError | RetryTimeoutError; reason: string; detail: string } {
  const reason = refusal.bound === 'cap' ? 'retry_after_exceeds_max' : 'deadline';
  if (refusal.waitMs === undefined) {
    return {
      error: new RetryTimeoutError(label, totalTimeoutMs!),
      reason,
      detail: `${label} was not attempted: its total timeout of ${totalTimeoutMs} ms ended while it waited for ${WAITED_FOR[refusal.kind]}`,
    };
  }
  const bound =
    refusal.bound === 'cap'
      ? { maxRetryAfterMs: bounds.maxUpstreamWaitMs }
      : { deadlineLeftMs: Math.max(0, bounds.deadlineMs! - Date.now()) };
  const error = new UpstreamThrottledError(label, throttledReason(refusal.kind), refusal.waitMs, bound);
  return { error, reason, detail: error.message };
}
