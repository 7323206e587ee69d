import type { AttemptFailure, CallState, Stage } from '../stage';
import { describeBackoffFormula } from './compute-backoff-delay';
import { decideRetry, type RetrySchedule } from './retry-decision';

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

  /** How the backoff after `attempt` was computed, for the debug log line. */
  formula(attempt: number): string {
    return describeBackoffFormula(attempt, this.schedule);
  }
}
