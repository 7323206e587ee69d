import { classifyError } from '../classification/classify-error';
import type { ErrorClassification } from '../classification/failure-kind';
import { warnAboutEnvironment } from '../config/environment-check';
import { configuredLogger, configuredRandom } from '../config/resilience-settings';
import type { ResolvedRetryConfig } from '../config/resolve-config';
import type { AnyFunction } from '../internal/any-function';
import { isThenable } from '../internal/is-thenable';
import { followSignal } from '../internal/signal-fanout';
import type { ResilienceLogger } from '../observability/default-logger';
import { abortableSleep, isWaitRefusal, type WaitBounds, type WaitRefusal } from '../strategies/bounded-wait';
import type { CircuitTransition } from '../strategies/circuit-breaker/circuit-breaker';
import type { RetryDecision } from '../strategies/retry/retry-decision';
import { StageRejection, type AttemptFailure, type CallState } from '../strategies/stage';
import { type AttemptGuard, FinalOutcome, type GuardedCall, guardAttempt } from '../strategies/timeout/attempt-guard';
import { RetryTimeoutError } from '../strategies/timeout/timeout-errors';
import { upstreamFor } from '../upstreams/per-key-state';
import type { CallInfo } from '../observability/call-instrumentation';
import { CallEvents, startInstrumentation } from './call-events';
import { classifyFailure, headersOf } from './classify-failure';
import { notAttempted } from './not-attempted';
import { runBeforeAttempt, stagesFor, warnOfBreakerConflict, type CallStages } from './call-stages';
import { AttemptContext, runInRetryContext } from './retry-context';
import type { RetryPolicy } from './retry-policy';
import { warnIfIgnoredInstanceConfig } from './instance-config';
import { warnIfSecondRetryLayer } from './second-retry-layer';

/** No attempt has failed yet (an error may be any value, `undefined` included). */
export const NO_ERROR: unique symbol = Symbol('no error');

/** Before the retry stage has decided (never seen: it always decides). */
const UNDECIDED: RetryDecision = { retry: false, reason: 'not_retryable' };

/**
 * One call of a decorated method (or pipeline): the retry loop. It only runs the call's
 * stages in their order (engine/call-stages.ts), the attempt under its guard (the timeout
 * stage), and reports through `CallEvents`; what each strategy does lives in its stage.
 */
export class RetryCall implements CallState, GuardedCall {
  /** The call's configuration, resolved and checked by the policy (cached per method and config). */
  private readonly resolved: ResolvedRetryConfig;
  /** Where the call's reports go: tracer, logger, OpenTelemetry. */
  protected readonly events: CallEvents;
  readonly attemptTimeoutMs: number | undefined;
  private readonly totalTimeoutMs: number | undefined;
  private readonly deadlineMs: number | undefined;
  /** The attempt about to start, or that just ended. */
  attempt = 1;
  private warnedConfig = false;
  private failedWith: unknown = NO_ERROR;
  private labelText: string | undefined;
  private callStages: CallStages | undefined;
  /** The call's own signal, following the caller's (see signal-fanout); created when first needed. */
  private followed: { signal: AbortSignal; release(): void } | undefined;
  private bounds: WaitBounds | undefined;

  constructor(
    protected readonly policy: RetryPolicy,
    protected readonly fn: AnyFunction,
    protected readonly thisArg: unknown,
    protected readonly args: unknown[],
    readonly signal: AbortSignal | undefined,
  ) {
    this.resolved = policy.resolvedConfigFor(thisArg, args);
    warnAboutEnvironment(process.env, configuredLogger()); // what the library would ignore; once per process
    this.attemptTimeoutMs = this.resolved.attemptTimeoutMs;
    this.totalTimeoutMs = this.resolved.totalTimeoutMs;
    if (this.totalTimeoutMs !== undefined) this.deadlineMs = Date.now() + this.totalTimeoutMs;
    const instrument = startInstrumentation(this);
    this.events = new CallEvents(this, policy.currentTracer(thisArg), instrument, this.totalTimeoutMs, policy.onRetry);
  }

  // --- CallState: what the stages see ----------------------------------------------------

  /** The bounds of every wait of this call (its signal, deadline and maxRetryAfterMs). */
  waitBounds(): WaitBounds {
    return (this.bounds ??= {
      signal: this.callSignal(),
      deadlineMs: this.deadlineMs,
      maxUpstreamWaitMs: this.config().maxRetryAfterMs,
    });
  }

  lastError(): unknown {
    return this.failedWith === NO_ERROR ? undefined : this.failedWith;
  }

  circuitTransition(transition: CircuitTransition): void {
    this.events.circuitTransition(this.stages().key, transition);
  }

  budgetExhausted(): void {
    this.events.budgetExhausted(this.stages().key);
  }

  // --- the loop ----------------------------------------------------------------------------

  /** True when the first attempt may have to wait or be refused (so it cannot start synchronously). */
  hasGates(): boolean {
    const now = Date.now();
    for (const stage of this.stages().list) if (stage.holdsAttempts?.(now) === true) return true;
    return false;
  }

  /** What the call's span is told when it starts (asked only when an instrumentation is in use). */
  callInfo(): CallInfo {
    const { policy, thisArg, args } = this;
    return {
      method: this.label(),
      key: policy.keyFor(thisArg, args),
      attributes: policy.spanAttributes?.(thisArg, args),
    };
  }

  /**
   * Attempts from `attempt` on. `error` is that attempt's failure if it already failed;
   * `running` is that attempt if it was started and is still running.
   */
  async retryFrom(
    attempt: number,
    error: unknown,
    running?: { ctx: AttemptContext; result: PromiseLike<unknown> },
  ): Promise<unknown> {
    try {
      for (; ; attempt++, error = NO_ERROR, running = undefined) {
        this.attempt = attempt;
        if (error === NO_ERROR) {
          let guard: AttemptGuard | undefined;
          let result: unknown;
          try {
            if (running === undefined) await this.beforeAttempt();
            const ctx = running?.ctx ?? this.startAttempt(attempt);
            result = running ? running.result : this.invoke(ctx);
            guard = this.guard(ctx);
            const value = guard && isThenable(result) ? await Promise.race([result, guard.stopped]) : await result;
            this.succeeded(attempt, value);
            return value;
          } catch (failure) {
            const stop = this.stopOutcome(failure);
            if (stop !== undefined) throw stop.error;
            error = failure;
          } finally {
            guard?.dispose();
            // An attempt abandoned by its guard still runs: it holds its bulkhead slot until it ends.
            this.attemptOver(guard?.fired && isThenable(result) ? result : undefined);
          }
        }
        await this.afterFailure(attempt, error);
      }
    } finally {
      this.releaseSignal();
    }
  }

  /**
   * When `failure` (thrown by an attempt or a stage) stops the call whatever the retry policy
   * says — a FinalOutcome, or the caller's abort (also when the method saw it before us) —
   * reports it and returns what the caller gets; undefined when the attempt merely failed.
   */
  protected stopOutcome(failure: unknown): { error: unknown } | undefined {
    let error: unknown;
    if (failure instanceof FinalOutcome) error = failure.error;
    else if (this.signal?.aborted) error = this.signal.reason;
    else return undefined;
    for (const stage of this.stages().list) stage.afterStopped?.(this);
    this.events.stopped(this.signal?.aborted ? 'aborted' : classifyError(error).kind, error);
    return { error };
  }

  /**
   * Before a fresh attempt: each stage in order may wait (within the call's bounds) or end
   * the call. Throws a FinalOutcome when one ends it (a refused wait, a full bulkhead, an
   * open circuit, the caller's abort).
   */
  protected async beforeAttempt(): Promise<void> {
    try {
      await runBeforeAttempt(this.stages().list, this);
    } catch (error) {
      if (isWaitRefusal(error)) throw this.refused(error);
      if (error instanceof StageRejection) {
        this.events.ended(this.attempt, error.error, error.classification, error.reason, true);
        throw new FinalOutcome(error.error);
      }
      // A full queue (BulkheadRejectedError) or the caller's abort while waiting: final.
      throw new FinalOutcome(error);
    }
  }

  /** Every stage hears that the attempt is over (`stillRunning`: abandoned by its guard, still running). */
  protected attemptOver(stillRunning: PromiseLike<unknown> | undefined): void {
    const stages = this.callStages?.list;
    if (stages === undefined) return;
    for (const stage of stages) stage.attemptOver?.(stillRunning);
  }

  /**
   * A failed attempt: each stage learns from it in order; the retry stage decides and the
   * budget may veto. Throws the error to give up, or waits the decided delay.
   */
  protected async afterFailure(attempt: number, error: unknown): Promise<void> {
    const classification = this.classified(error);
    if (this.failedWith === NO_ERROR)
      warnIfSecondRetryLayer(this.thisArg, this.label(), this.maxAttempts(), this.logger());
    this.failedWith = error;
    const stages = this.stages();
    const failure: AttemptFailure = { error, classification, headers: headersOf(error), decision: UNDECIDED };
    for (const stage of stages.list) stage.afterFailure?.(this, failure);
    const decision = failure.decision;
    if (!decision.retry) {
      const reason = decision.reason === 'not_retryable' ? classification.reason : decision.reason;
      this.events.ended(attempt, error, classification, decision.reason === 'max_attempts' ? undefined : reason, true);
      throw error;
    }
    this.events.retrying(attempt, error, classification, {
      delayMs: decision.delayMs,
      source: decision.source,
      formula: () => stages.retry.formula(attempt, decision.source, classification.retryAfterMs),
    });
    // Within the bounds already: the retry stage keeps it before the deadline and under the cap.
    await abortableSleep(decision.delayMs, this.callSignal());
  }

  succeeded(attempt: number, result: unknown): void {
    for (const stage of this.stages().list) stage.afterSuccess?.(this);
    const details = this.policy.successDetails;
    this.events.succeeded(attempt, details && (() => details(result)));
  }

  /** What a failed attempt was (an echo of the call's arguments is no request id). */
  protected classified(error: unknown): ErrorClassification {
    return classifyFailure(error, this.policy.shouldRetry, this.args);
  }

  /** A synchronous method threw: rethrown as is (a synchronous caller cannot wait), reported once. */
  failedSynchronously(error: unknown): void {
    this.events.ended(1, error, this.classified(error), 'synchronous', true);
  }

  startAttempt(attempt: number): AttemptContext {
    const ctx = new AttemptContext(attempt, this.policy, this.thisArg, this.args);
    this.events.attemptStarted(attempt);
    return ctx;
  }

  invoke(ctx: AttemptContext): unknown {
    return runInRetryContext(ctx, this.fn, this.thisArg, this.args);
  }

  /**
   * The timeout stage around one attempt (see attempt-guard): its timeout (the call's, or a
   * half-open probe's `probeTimeoutMs`), the call's deadline and the caller's signal; without
   * the timers when `withTimers` is false (a stream the caller already reads).
   */
  protected guard(ctx: AttemptContext, withTimers = true): AttemptGuard | undefined {
    if (!withTimers) return guardAttempt(ctx, this, this.callSignal(), undefined, undefined);
    const attemptTimeoutMs = this.attemptTimeoutMs ?? this.callStages?.breaker?.probeTimeoutMs();
    return guardAttempt(ctx, this, this.callSignal(), attemptTimeoutMs, this.deadlineMs);
  }

  /**
   * A wait before the attempt was refused or cut by the call's bounds: the call ends with the
   * last attempt's error, or, when no attempt was made, with an UpstreamThrottledError or a
   * RetryTimeoutError (engine/not-attempted.ts). No request is sent.
   */
  private refused(refusal: WaitRefusal): FinalOutcome {
    const made = this.attempt - 1;
    const error = this.failedWith;
    if (error === NO_ERROR) {
      const ending = notAttempted(this.label(), refusal, this.waitBounds(), this.totalTimeoutMs);
      this.events.notAttempted(
        made,
        ending.error,
        classifyError(ending.error),
        ending.reason,
        ending.detail,
        refusal.kind,
      );
      return new FinalOutcome(ending.error);
    }
    if (refusal.bound === 'deadline') return this.endAtDeadline(made, false);
    this.events.ended(made, error, this.classified(error), 'retry_after_exceeds_max', false);
    return new FinalOutcome(error);
  }

  /**
   * The call's deadline has come: report it, and end with the last error (or a timeout).
   * `attempt` is the last attempt made (0 when none was); `running` says whether it is still
   * running (cut by the deadline: a failed attempt) or had already ended.
   */
  endAtDeadline(attempt: number, running = true): FinalOutcome {
    const timeout = new RetryTimeoutError(this.label(), this.totalTimeoutMs!);
    this.events.ended(attempt, timeout, { kind: 'timeout', retryable: false, reason: 'deadline' }, 'deadline', running);
    return new FinalOutcome(this.failedWith === NO_ERROR ? timeout : this.failedWith);
  }

  // --- what the call knows of itself -------------------------------------------------------

  label(): string {
    return (this.labelText ??= this.policy.label(this.thisArg));
  }

  /** The call's `labelDetail` (e.g. the agent and model), for the text of its log lines. */
  detail(): string | undefined {
    let detail: unknown;
    try {
      detail = this.policy.labelDetail?.(this.thisArg, this.args);
    } catch {
      // A detail that cannot be told is left out.
    }
    return typeof detail === 'string' && detail !== '' ? detail.slice(0, 120) : undefined;
  }

  maxAttempts(): number {
    return this.config().maxAttempts;
  }

  logger(): ResilienceLogger {
    return this.policy.currentLogger(this.thisArg) ?? configuredLogger();
  }

  protected config(): ResolvedRetryConfig {
    if (!this.warnedConfig) {
      this.warnedConfig = true;
      warnIfIgnoredInstanceConfig(this.thisArg, this.label(), this.logger());
    }
    return this.resolved;
  }

  /** The arguments a retry sends again (the replay guard checks them); none for a stream. */
  protected replayedArgs(): readonly unknown[] | undefined {
    return this.args;
  }

  /** The call's stages on its key, built when first needed (with the config). */
  protected stages(): CallStages {
    if (this.callStages === undefined) {
      const upstream = upstreamFor(this.policy.keyFor(this.thisArg, this.args));
      const stages = stagesFor(upstream, this.config(), configuredRandom(), this.deadlineMs, this.replayedArgs());
      if (stages.breakerConflict) warnOfBreakerConflict(upstream, this.label(), this.logger());
      this.callStages = stages;
    }
    return this.callStages;
  }

  /** The call's own signal, aborting with the caller's; one listener per caller signal for all calls. */
  private callSignal(): AbortSignal | undefined {
    if (this.signal === undefined) return undefined;
    return (this.followed ??= followSignal(this.signal)).signal;
  }

  protected releaseSignal(): void {
    this.followed?.release();
  }
}
