import type { AttemptFailure, CallState, Stage } from '../stage';
import { describeBackoffFormula } from './compute-backoff-delay';
import { decideRetry, RETRY_AFTER_JITTER_FRACTION, type RetrySchedule } from './retry-decision';

/**
 * The retry stage: after a failed attempt, decides whether and when to try again
 * (`decideRetry`: attempts left, the error retryable, a Retry-After within `maxRetryAfterMs`,
 * the wait before the deadline). The loop waits the decided delay; a later stage (the retry
 * budget) may still turn the retry into giving up.
 */
export class RetryStage implements Stage {
  /** The last backoff drawn (decorrelated jitter grows from it). */
  private previousDelayMs: number | undefined;

  constructor(
    private readonly schedule: RetrySchedule,
    private readonly random: () => number,
    /** The call's deadline (epoch ms), if it has one. */
    private readonly deadlineMs: number | undefined,
  ) {}

  afterFailure(call: CallState, failure: AttemptFailure): void {
    const { retryable, retryAfterMs } = failure.classification;
    const decision = decideRetry({
      attempt: call.attempt,
      config: this.schedule,
      retryable,
      retryAfterMs,
      nowMs: Date.now(),
      deadlineMs: this.deadlineMs,
      random: this.random,
      previousDelayMs: this.previousDelayMs,
    });
    if (decision.retry) this.previousDelayMs = decision.backoffMs;
    failure.decision = decision;
  }

  /**
   * How the delay after `attempt` was set, for the `retry_backoff_delay` event: the backoff
   * formula, or the server's Retry-After when that set it (plus its spread).
   */
  formula(attempt: number, source: 'backoff' | 'retry-after', retryAfterMs: number | undefined): string {
    if (source === 'retry-after' && retryAfterMs !== undefined) {
      return `Retry-After ${(retryAfterMs / 1000).toFixed(2)} s + up to ${RETRY_AFTER_JITTER_FRACTION * 100}% spread`;
    }
    return describeBackoffFormula(attempt, this.schedule);
  }
}
