import type { ErrorClassification } from '../classification/failure-kind';
import { isThenable } from '../internal/is-thenable';
import type { RetryPolicySpec } from './retry-policy-spec';
import type { ResilienceLogger } from '../observability/default-logger';
import { activeInstrumentation, type CallInfo, type CallInstrumentation } from '../observability/call-instrumentation';
import {
  errorTypeOf,
  FailureFacts,
  logBudgetExhausted,
  logCircuitTransition,
  logDeadline,
  logExhausted,
  logNotAttempted,
  logNotRetried,
  logRecovered,
  logRetry,
} from '../observability/retry-log';
import { emitTraceEvent, TRACE_EVENTS, type Tracer } from '../observability/tracer';
import type { CircuitTransition } from '../strategies/circuit-breaker/circuit-breaker';

/** What a call reports about itself, read when a report needs it. */
export interface CallEventsSource {
  /** The method's (or pipeline's) name in logs. */
  label(): string;
  /** What the call is about, added to the text of its lines (e.g. the agent and model), if anything. */
  detail(): string | undefined;
  /** The call's resolved `maxAttempts`. */
  maxAttempts(): number;
  /** The logger for this call (the instance's, the decorator's or the configured one). */
  logger(): ResilienceLogger;
}

/**
 * One call's reports, fanned out to the three sinks: the tracer (trace events), the winston
 * logger (the library's log lines) and OpenTelemetry (the call's span and metrics). The retry
 * loop says what happened; this decides what each sink hears. Every sink is optional and a
 * broken one never breaks the call.
 */
export class CallEvents {
  /** Attempts started so far (the span's attempt count). */
  private attemptsMade = 0;

  constructor(
    private readonly source: CallEventsSource,
    private readonly tracer: Tracer | undefined,
    /** The call's span and metrics, when an OpenTelemetry SDK is in use; ended once. */
    private instrument: CallInstrumentation | undefined,
    /** For the deadline log line. */
    private readonly totalTimeoutMs: number | undefined,
    /** The `onRetry` option: told before each retry's wait; what it throws (or rejects with) is ignored. */
    private readonly onRetry?: RetryPolicySpec['onRetry'],
  ) {}

  attemptStarted(attempt: number): void {
    this.attemptsMade = attempt;
    this.instrument?.attempt(attempt);
    if (this.tracer) {
      emitTraceEvent(this.tracer, TRACE_EVENTS.attemptStart, { attempt, max_attempts: this.source.maxAttempts() });
    }
  }

  /** The call succeeded at `attempt`; `details` adds to the success event (called only when traced). */
  succeeded(attempt: number, details: (() => Record<string, unknown> | undefined) | undefined): void {
    this.finish();
    if (this.tracer) emitTraceEvent(this.tracer, TRACE_EVENTS.success, { attempt, ...safely(details) });
    if (attempt > 1) logRecovered(this.source.logger(), this.source.label(), attempt, this.source.maxAttempts());
  }

  /** Attempt `attempt` failed and the call retries after `delayMs`. */
  retrying(
    attempt: number,
    error: unknown,
    classification: ErrorClassification,
    delay: { delayMs: number; source: 'backoff' | 'retry-after'; formula: () => string },
  ): void {
    const facts = this.facts(attempt, error, classification);
    this.traceFailure(facts);
    if (this.tracer) {
      emitTraceEvent(this.tracer, TRACE_EVENTS.backoffDelay, {
        attempt,
        delay_seconds: delay.delayMs / 1000,
        backoff_formula: delay.formula(),
        source: delay.source,
      });
    }
    logRetry(this.source.logger(), facts, delay.delayMs);
    this.instrument?.backoff(attempt, delay.delayMs, delay.source);
    if (this.onRetry !== undefined) this.tellOnRetry(this.onRetry, attempt, delay.delayMs, classification, error);
  }

  private tellOnRetry(
    onRetry: NonNullable<RetryPolicySpec['onRetry']>,
    attempt: number,
    delayMs: number,
    classification: ErrorClassification,
    error: unknown,
  ): void {
    try {
      const { kind, status } = classification;
      const result: unknown = onRetry(
        status === undefined ? { attempt, delayMs, kind, error } : { attempt, delayMs, kind, status, error },
      );
      if (isThenable(result)) result.then(undefined, () => undefined);
    } catch {
      // A hook must never break the call it reports on.
    }
  }

  /**
   * The call ends with `error` after attempt `attempt`: `notRetriedReason` unset means its
   * attempts ran out; `attemptRan` false when it ends between attempts (no attempt of its own failed).
   */
  ended(
    attempt: number,
    error: unknown,
    classification: ErrorClassification,
    notRetriedReason: string | undefined,
    attemptRan = true,
  ): void {
    const facts = this.facts(attempt, error, classification);
    if (attemptRan) this.traceFailure(facts);
    this.finish({ kind: classification.kind, errorType: facts.errorType });
    const logger = this.source.logger();
    if (notRetriedReason === undefined) {
      if (this.tracer) {
        emitTraceEvent(this.tracer, TRACE_EVENTS.maxRetriesExceeded, {
          max_attempts: facts.maxAttempts,
          final_error_type: facts.errorType,
          kind: classification.kind,
        });
      }
      logExhausted(logger, facts);
      return;
    }
    if (this.tracer) {
      emitTraceEvent(this.tracer, TRACE_EVENTS.notRetryable, {
        attempt,
        kind: classification.kind,
        reason: notRetriedReason,
      });
    }
    if (notRetriedReason === 'deadline') logDeadline(logger, facts, this.totalTimeoutMs ?? 0);
    else logNotRetried(logger, facts, notRetriedReason);
  }

  /**
   * A bound of the call ended it before any attempt was made (`made` is 0): traced as not
   * retryable with `reason`, and said once at `warn` with `detail` (library text: the method
   * and numbers only).
   */
  notAttempted(
    made: number,
    error: unknown,
    classification: ErrorClassification,
    reason: string,
    detail: string,
    wait: string,
  ): void {
    this.finish({ kind: classification.kind, errorType: errorTypeOf(error) });
    if (this.tracer) {
      emitTraceEvent(this.tracer, TRACE_EVENTS.notRetryable, { attempt: made, kind: classification.kind, reason });
    }
    logNotAttempted(this.source.logger(), this.source.label(), detail, { kind: classification.kind, reason, wait });
  }

  /** The caller's abort, a full bulkhead or an open circuit stopped the call: ends its span (once). */
  stopped(kind: string, error: unknown): void {
    this.finish({ kind, errorType: errorTypeOf(error) });
  }

  /** The key's retry budget is empty: said once per episode (until it can pay again). */
  budgetExhausted(key: string): void {
    if (this.tracer) emitTraceEvent(this.tracer, TRACE_EVENTS.retryBudgetExhausted, { key });
    logBudgetExhausted(this.source.logger(), key);
  }

  /** The key's circuit changed state during this call. */
  circuitTransition(key: string, transition: CircuitTransition): void {
    const event =
      transition.to === 'open'
        ? TRACE_EVENTS.circuitOpened
        : transition.to === 'half_open'
          ? TRACE_EVENTS.circuitHalfOpen
          : TRACE_EVENTS.circuitClosed;
    const details = transition.to === 'open' ? { key, failures: transition.failures } : { key };
    if (this.tracer) emitTraceEvent(this.tracer, event, details);
    logCircuitTransition(this.source.logger(), key, transition);
  }

  /** Ends the call's span and records its outcome, once. */
  private finish(failure?: { kind: string; errorType: string }): void {
    const instrument = this.instrument;
    if (instrument === undefined) return;
    this.instrument = undefined;
    const retried = this.attemptsMade > 1;
    const outcome = failure
      ? retried
        ? 'failed_with_retry'
        : 'failed_without_retry'
      : retried
        ? 'successful_with_retry'
        : 'successful_without_retry';
    try {
      instrument.end(outcome, this.attemptsMade, failure);
    } catch {
      // Instrumentation must never break a call.
    }
  }

  private traceFailure(facts: FailureFacts): void {
    if (!this.tracer) return;
    const { kind, status } = facts.classification;
    emitTraceEvent(this.tracer, TRACE_EVENTS.attemptFailed, {
      attempt: facts.attempt,
      error_type: facts.errorType,
      kind,
      ...(status === undefined ? {} : { status }),
    });
  }

  private facts(attempt: number, error: unknown, classification: ErrorClassification): FailureFacts {
    return {
      method: this.source.label(),
      detail: this.source.detail(),
      attempt,
      maxAttempts: this.source.maxAttempts(),
      errorType: errorTypeOf(error),
      classification,
    };
  }
}

/** What a user's `successDetails` callback returns; nothing when it throws. */
function safely(details: (() => Record<string, unknown> | undefined) | undefined): Record<string, unknown> | undefined {
  if (details === undefined) return undefined;
  try {
    return details();
  } catch {
    return undefined;
  }
}

/**
 * The call's span and metrics when an instrumentation (OpenTelemetry) is in use, else
 * undefined; the call's info is read only then. A broken instrumentation never breaks the call.
 */
export function startInstrumentation(call: { callInfo(): CallInfo }): CallInstrumentation | undefined {
  const instrumentation = activeInstrumentation();
  if (instrumentation === undefined) return undefined;
  try {
    return instrumentation.startCall(call.callInfo());
  } catch {
    return undefined;
  }
}
