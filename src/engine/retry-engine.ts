import { unitRandom } from '../internal/unit-random';
import { configuredLogger, configuredRandom } from '../config/resilience-settings';
import type { ResolvedRetryConfig } from '../config/resolve-config';
import { isRetryConfig } from '../config/retry-config';
import { findCallerSignal } from '../internal/caller-signal';
import { isAsyncIterable, isThenable } from '../internal/is-thenable';
import type { ResilienceLogger } from '../observability/default-logger';
import { CallEvents } from './call-events';
import { AttemptGuard, FinalOutcome, guardAttempt } from './attempt-guard';
import { describeBackoffFormula } from '../policies/backoff/compute-backoff-delay';
import { classifyError } from '../classification/classify-error';
import type { ErrorClassification } from '../classification/failure-kind';
import {
  CircuitOpenError,
  isAttemptTimeoutError,
  RetryTimeoutError,
  UpstreamThrottledError,
  type UpstreamThrottledReason,
} from './errors';
import { followSignal } from '../internal/signal-fanout';
import { abortableSleep } from '../policies/pacing/sleep';
import { isWaitRefusal, refuseWait, WaitBounds, WaitKind, WaitRefusal } from '../strategies/bounded-wait';
import { MAX_COOLDOWN_MS, upstreamFor } from '../upstreams/per-key-state';
// Mirrors what other replicas share into the per-key state (subscribes on configure).
import '../upstreams/replica-sync';
import { UpstreamSession } from '../upstreams/call-session';
import { decideRetry } from './retry-decision';
import { AttemptContext, runFirstAttempt, runInRetryContext } from './retry-context';
import { RetryPolicy } from './retry-policy';
import { activeInstrumentation, type CallInstrumentation } from '../observability/instrumentation';
import type { AnyFunction } from '../internal/any-function';

type Method = AnyFunction;

/** The most arguments a call can have and still take the lean path (no arguments array). */
export const LEAN_MAX_ARGS = 3;

/**
 * Runs one call of a decorated method with `argc` <= 3 arguments. A call with no tracer,
 * timeout or signal takes the lean path: its first attempt runs bare, and the engine's
 * state (arguments array included) is built only if that attempt fails.
 */
export function executeLean(
  policy: RetryPolicy,
  fn: Method,
  thisArg: unknown,
  argc: number,
  a: unknown,
  b: unknown,
  c: unknown,
): unknown {
  const upstream = policy.leanFirstAttempt(thisArg, argc, a, b, c);
  if (upstream !== undefined) {
    // A synchronous throw propagates as is: a synchronous caller cannot wait for a retry.
    const result = runFirstAttempt(policy, fn, thisArg, argc, a, b, c);
    if (!isThenable(result)) return result;
    // A success refunds the key's retry budget, if it has one that is not full.
    return result.then(upstream.needsRefund() ? upstream.refundFirstAttempt : undefined, (error: unknown) =>
      retryAfterLeanFailure(policy, fn, thisArg, argc, a, b, c, error),
    );
  }
  return executeWithRetry(policy, fn, thisArg, argumentList(argc, a, b, c));
}

/**
 * The attempts after a lean first attempt (`executeLean`, or a caller's own copy of its success
 * path) that failed with `error`: the engine's state is built now, the arguments array included.
 */
export function retryAfterLeanFailure(
  policy: RetryPolicy,
  fn: Method,
  thisArg: unknown,
  argc: number,
  a: unknown,
  b: unknown,
  c: unknown,
  error: unknown,
): Promise<unknown> {
  return new RetryCall(policy, fn, thisArg, argumentList(argc, a, b, c), undefined).retryFrom(1, error);
}

/** Runs one call of a decorated method under supervision (any number of arguments). */
export function executeWithRetry(policy: RetryPolicy, fn: Method, thisArg: unknown, args: unknown[]): unknown {
  const signal = findCallerSignal(args);
  if (signal?.aborted) return Promise.reject(signal.reason);
  const call = new RetryCall(policy, fn, thisArg, args, signal);
  // A breaker or a cooldown may hold the first attempt back: then it starts asynchronously.
  if (call.hasGates()) return call.retryFrom(1, NO_ERROR);
  const ctx = call.startAttempt(1);
  let result: unknown;
  try {
    result = call.invoke(ctx);
  } catch (error) {
    // A synchronous throw propagates as is: a synchronous caller cannot wait for a retry.
    call.failedSynchronously(error);
    throw error;
  }
  if (isThenable(result)) return call.retryFrom(1, NO_ERROR, { ctx, result });
  call.succeeded(1, result);
  return result;
}

function argumentList(argc: number, a: unknown, b: unknown, c: unknown): unknown[] {
  return argc === 0 ? [] : argc === 1 ? [a] : argc === 2 ? [a, b] : [a, b, c];
}

/** Runs an async-generator method: retried only until its first item reaches the caller. */
export function executeStreamWithRetry(
  policy: RetryPolicy,
  fn: Method,
  thisArg: unknown,
  args: unknown[],
): AsyncGenerator {
  return new RetryCall(policy, fn, thisArg, args, findCallerSignal(args)).stream();
}

const NO_ERROR: unique symbol = Symbol('no error');

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

class RetryCall {
  /** The call's configuration, resolved and checked by the policy (cached per method and config). */
  private readonly resolved: ResolvedRetryConfig;
  /** Where the call's reports go: tracer, logger, OpenTelemetry. */
  private readonly events: CallEvents;
  private readonly attemptTimeoutMs: number | undefined;
  private readonly totalTimeoutMs: number | undefined;
  private deadlineMs: number | undefined;
  private warnedConfig = false;
  private lastError: unknown = NO_ERROR;
  private previousDelayMs: number | undefined;
  private labelText: string | undefined;
  private upstreamSession: UpstreamSession | undefined;
  /** The call's own signal, following the caller's (see signal-fanout); created when first needed. */
  private followed: { signal: AbortSignal; release(): void } | undefined;
  private bounds: WaitBounds | undefined;

  constructor(
    private readonly policy: RetryPolicy,
    private readonly fn: Method,
    private readonly thisArg: unknown,
    private readonly args: unknown[],
    readonly signal: AbortSignal | undefined,
  ) {
    this.resolved = policy.resolvedConfigFor(thisArg, args);
    this.attemptTimeoutMs = this.resolved.attemptTimeoutMs;
    this.totalTimeoutMs = this.resolved.totalTimeoutMs;
    if (this.totalTimeoutMs !== undefined) this.deadlineMs = Date.now() + this.totalTimeoutMs;
    let instrument: CallInstrumentation | undefined;
    const instrumentation = activeInstrumentation();
    if (instrumentation !== undefined) {
      try {
        instrument = instrumentation.startCall({
          method: this.label(),
          key: policy.keyFor(thisArg, args),
          attributes: policy.spanAttributes?.(thisArg, args),
        });
      } catch {
        // Instrumentation must never break a call.
      }
    }
    this.events = new CallEvents(this, policy.currentTracer(thisArg), instrument, this.totalTimeoutMs);
  }

  /** Ends the span of a call stopped by the caller or by a full bulkhead. */
  private finishStopped(error: unknown): void {
    this.events.stopped(this.signal?.aborted ? 'aborted' : classifyError(error).kind, error);
  }

  /** True when the first attempt may have to wait for a cooldown or be refused by the breaker. */
  hasGates(): boolean {
    return this.session().hasGates(Date.now());
  }

  maxAttempts(): number {
    return this.config().maxAttempts;
  }

  invoke(ctx: AttemptContext): unknown {
    return runInRetryContext(ctx, this.fn, this.thisArg, this.args);
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
        if (error === NO_ERROR) {
          let guard: AttemptGuard | undefined;
          let result: unknown;
          try {
            if (running === undefined) await this.beforeAttempt(attempt);
            const ctx = running?.ctx ?? this.startAttempt(attempt);
            result = running ? running.result : this.invoke(ctx);
            guard = this.guard(ctx);
            const value = guard && isThenable(result) ? await Promise.race([result, guard.stopped]) : await result;
            this.succeeded(attempt, value);
            return value;
          } catch (failure) {
            if (failure instanceof FinalOutcome) {
              this.session().record('ignored');
              this.finishStopped(failure.error);
              throw failure.error;
            }
            // The method saw the caller's abort before we did: the caller still gets its reason.
            if (this.signal?.aborted) {
              this.session().record('ignored');
              this.finishStopped(this.signal.reason);
              throw this.signal.reason;
            }
            error = failure;
          } finally {
            guard?.dispose();
            // An attempt abandoned by its guard still runs: it holds its bulkhead slot until it ends.
            this.upstreamSession?.leaveBulkhead(guard?.fired && isThenable(result) ? result : undefined);
          }
        }
        await this.afterFailure(attempt, error);
      }
    } finally {
      this.releaseSignal();
    }
  }

  /** An async-generator method: retried only while no item has reached the caller. */
  async *stream(): AsyncGenerator<unknown, unknown, undefined> {
    if (this.signal?.aborted) throw this.signal.reason;
    try {
      return yield* this.streamAttempts();
    } finally {
      this.releaseSignal();
    }
  }

  private async *streamAttempts(): AsyncGenerator<unknown, unknown, undefined> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.beforeAttempt(attempt);
      } catch (failure) {
        const error = failure instanceof FinalOutcome ? failure.error : failure;
        this.finishStopped(error);
        throw error;
      }
      const ctx = this.startAttempt(attempt);
      let guard = this.guard(ctx);
      let iterator: AsyncIterator<unknown> | undefined;
      let delivered = false;
      let finished = false;
      let next: Promise<IteratorResult<unknown>> | undefined;
      try {
        const iterable = this.invoke(ctx);
        if (!isAsyncIterable(iterable)) throw new TypeError(`${this.label()} did not return an async iterable`);
        iterator = iterable[Symbol.asyncIterator]();
        for (;;) {
          next = runInRetryContext(ctx, iterator.next, iterator, []) as Promise<IteratorResult<unknown>>;
          const step = guard ? await Promise.race([next, guard.stopped]) : await next;
          if (step.done) {
            finished = true;
            this.succeeded(attempt, step.value);
            return step.value;
          }
          if (!delivered) {
            // From now on the stream is the caller's: no more attempt timeout or deadline,
            // but the caller's own abort still stops it.
            delivered = true;
            guard?.dispose();
            guard = this.guard(ctx, false);
          }
          yield step.value;
        }
      } catch (failure) {
        finished = true;
        if (failure instanceof FinalOutcome || this.signal?.aborted) {
          this.session().record('ignored');
          this.finishStopped(failure instanceof FinalOutcome ? failure.error : this.signal!.reason);
        }
        if (failure instanceof FinalOutcome) throw failure.error;
        if (this.signal?.aborted) throw this.signal.reason;
        if (delivered) {
          this.streamBroke(attempt, failure);
          throw failure;
        }
        await this.afterFailure(attempt, failure);
      } finally {
        guard?.dispose();
        this.upstreamSession?.leaveBulkhead(guard?.fired && next !== undefined ? next : undefined);
        // The caller stopped early (break/return): close the method's own iterator too.
        if (!finished) await iterator?.return?.();
      }
    }
  }

  label(): string {
    return (this.labelText ??= this.policy.label(this.thisArg));
  }

  private config(): ResolvedRetryConfig {
    if (!this.warnedConfig) {
      this.warnedConfig = true;
      warnIfIgnoredInstanceConfig(this.thisArg, this.label(), this.logger());
    }
    return this.resolved;
  }

  /** This call's dealings with its upstream's shared state (created with the config). */
  private session(): UpstreamSession {
    if (this.upstreamSession === undefined) {
      const session = new UpstreamSession(
        upstreamFor(this.policy.keyFor(this.thisArg, this.args)),
        this.config(),
        (transition) => this.events.circuitTransition(this.session().key, transition),
      );
      // The first options given for a key win: say so (once per key) when a caller asks for others.
      if (session.breakerConflict && !session.upstream.reportedConflicts.has('circuitBreaker')) {
        session.upstream.reportedConflicts.add('circuitBreaker');
        this.logger().warn(
          `${this.label()}: the circuit breaker of ${session.key} was created with other options; the first ones stay in force`,
          { method: this.label(), key: session.key },
        );
      }
      this.upstreamSession = session;
    }
    return this.upstreamSession;
  }

  /**
   * Before a fresh attempt: wait out the key's cooldown (a 429 with Retry-After seen by any
   * call), the cold start and the pacing, queue for the bulkhead, then ask the breaker; every
   * wait within the call's bounds. Throws a FinalOutcome when a bound, a full bulkhead or
   * an open circuit ends the call here.
   */
  private async beforeAttempt(attempt: number): Promise<void> {
    const session = this.session();
    const bounds = this.waitBounds();
    try {
      const now = Date.now();
      const left = session.upstream.cooldownLeft(now);
      if (left > 0) {
        const refusal = refuseWait('cooldown', left, bounds, true, now);
        if (refusal !== undefined) throw refusal;
        await abortableSleep(this.spreadWithin(left, bounds, now), bounds.signal);
      }
      await session.pace(bounds);
      await session.enterBulkhead(bounds);
    } catch (error) {
      if (isWaitRefusal(error)) throw this.refused(attempt, error);
      // A full queue (BulkheadRejectedError) or the caller's abort while waiting: final.
      throw new FinalOutcome(error);
    }
    let refusedFor = session.acquire(this.attemptTimeoutMs);
    // Half-open with a shared state store: one probe for all replicas, not one per replica.
    if (refusedFor === undefined && session.needsSharedProbe()) {
      try {
        refusedFor = await session.claimSharedProbe(bounds);
      } catch (error) {
        throw isWaitRefusal(error) ? this.refused(attempt, error) : new FinalOutcome(error);
      }
    }
    if (refusedFor === undefined) return;
    session.leaveBulkhead();
    const open = new CircuitOpenError(
      session.key,
      refusedFor,
      this.lastError === NO_ERROR ? undefined : { cause: this.lastError },
    );
    this.attemptFailed(
      attempt,
      open,
      { kind: 'circuit_open', retryable: false, reason: 'circuit open' },
      'circuit_open',
    );
    throw new FinalOutcome(open);
  }

  /**
   * A cooldown of `left` ms plus a small spread, so the calls waiting on one cooldown do not
   * all return at once; the spread never pushes the wait past the cap or the deadline.
   */
  private spreadWithin(left: number, bounds: WaitBounds, now: number): number {
    let wait = left + Math.round(unitRandom(configuredRandom()) * Math.min(50, left * 0.1));
    wait = Math.min(wait, Math.max(left, bounds.maxUpstreamWaitMs));
    if (bounds.deadlineMs !== undefined) wait = Math.min(wait, Math.max(left, bounds.deadlineMs - now));
    return wait;
  }

  /** The bounds of every wait of this call (its signal, deadline and maxRetryAfterMs). */
  private waitBounds(): WaitBounds {
    return (this.bounds ??= {
      signal: this.callSignal(),
      deadlineMs: this.deadlineMs,
      maxUpstreamWaitMs: this.config().maxRetryAfterMs,
    });
  }

  /** The call's own signal, aborting with the caller's; one listener per caller signal for all calls. */
  private callSignal(): AbortSignal | undefined {
    if (this.signal === undefined) return undefined;
    return (this.followed ??= followSignal(this.signal)).signal;
  }

  private releaseSignal(): void {
    this.followed?.release();
  }

  /**
   * A wait before attempt `attempt` was refused or cut by the call's bounds: the call ends
   * with the last attempt's error, or, when no attempt was made, with an
   * UpstreamThrottledError (a known wait refused) or a RetryTimeoutError (a wait of unknown
   * length cut at the deadline). No request is sent.
   */
  private refused(attempt: number, refusal: WaitRefusal): FinalOutcome {
    const made = attempt - 1;
    if (this.lastError !== NO_ERROR) {
      if (refusal.bound === 'deadline') return this.endAtDeadline(made, false);
      const error = this.lastError;
      this.attemptFailed(made, error, this.classify(error), 'retry_after_exceeds_max', false);
      return new FinalOutcome(error);
    }
    const label = this.label();
    const reason = refusal.bound === 'cap' ? 'retry_after_exceeds_max' : 'deadline';
    let error: UpstreamThrottledError | RetryTimeoutError;
    let detail: string;
    if (refusal.waitMs === undefined) {
      error = new RetryTimeoutError(label, this.totalTimeoutMs!);
      detail = `${label} was not attempted: its total timeout of ${this.totalTimeoutMs} ms ended while it waited for ${WAITED_FOR[refusal.kind]}`;
    } else {
      const bound =
        refusal.bound === 'cap'
          ? { maxRetryAfterMs: this.waitBounds().maxUpstreamWaitMs }
          : { deadlineLeftMs: Math.max(0, this.deadlineMs! - Date.now()) };
      error = new UpstreamThrottledError(label, throttledReason(refusal.kind), refusal.waitMs, bound);
      detail = error.message;
    }
    this.events.notAttempted(made, error, classifyError(error), reason, detail, refusal.kind);
    return new FinalOutcome(error);
  }

  /**
   * The call's deadline has come: report it, and end with the last error (or a timeout).
   * `attempt` is the last attempt made (0 when none was); `running` says whether it is still
   * running (cut by the deadline: a failed attempt) or had already ended.
   */
  endAtDeadline(attempt: number, running = true): FinalOutcome {
    const timeout = new RetryTimeoutError(this.label(), this.totalTimeoutMs!);
    this.attemptFailed(
      attempt,
      timeout,
      { kind: 'timeout', retryable: false, reason: 'deadline' },
      'deadline',
      running,
    );
    return new FinalOutcome(this.lastError === NO_ERROR ? timeout : this.lastError);
  }

  logger(): ResilienceLogger {
    return this.policy.currentLogger(this.thisArg) ?? configuredLogger();
  }

  startAttempt(attempt: number): AttemptContext {
    const ctx = new AttemptContext(attempt, this.policy, this.thisArg, this.args);
    this.events.attemptStarted(attempt);
    return ctx;
  }

  succeeded(attempt: number, result: unknown): void {
    this.session().succeeded();
    const details = this.policy.successDetails;
    this.events.succeeded(attempt, details && (() => details(result)));
  }

  /**
   * Watches one attempt (see attempt-guard): its timeout (the call's, or a probe's), the
   * call's deadline and the caller's signal; without the timers when `withTimers` is false.
   */
  private guard(ctx: AttemptContext, withTimers = true): AttemptGuard | undefined {
    if (!withTimers) return guardAttempt(ctx, this, this.callSignal(), undefined, undefined);
    // A half-open probe with no attempt timeout of its own runs under the breaker's probeTimeoutMs.
    const attemptTimeoutMs = this.attemptTimeoutMs ?? this.upstreamSession?.probeTimeoutMs();
    return guardAttempt(ctx, this, this.callSignal(), attemptTimeoutMs, this.deadlineMs);
  }

  /** Decides what a failed attempt leads to: throws to give up, or sleeps before the next. */
  private async afterFailure(attempt: number, error: unknown): Promise<void> {
    const config = this.config();
    const classification = this.classify(error);
    this.lastError = error;
    const session = this.session();
    // Only failures that say something about the upstream's health count for the breaker: a
    // 400 or 401 does not, nor does a 429 (load, not health: pacing and cooldowns answer it).
    session.record(classification.retryable && classification.kind !== 'rate_limit' ? 'failure' : 'ignored');
    this.noteRateLimit(session, classification, config);
    session.noteFailure(headersOf(error), classification.kind === 'rate_limit', classification.retryAfterMs);
    const decision = decideRetry({
      attempt,
      config,
      retryable: classification.retryable,
      retryAfterMs: classification.retryAfterMs,
      nowMs: Date.now(),
      deadlineMs: this.deadlineMs,
      random: configuredRandom(),
      previousDelayMs: this.previousDelayMs,
    });
    if (!decision.retry) {
      const reason = decision.reason === 'not_retryable' ? classification.reason : decision.reason;
      this.attemptFailed(attempt, error, classification, decision.reason === 'max_attempts' ? undefined : reason);
      throw error;
    }
    const refused = session.payForRetry(classification.kind === 'timeout' ? 'timeout' : 'retry');
    if (refused !== undefined) {
      if (refused.episodeStart) this.events.budgetExhausted(session.key);
      this.attemptFailed(attempt, error, classification, 'retry_budget');
      throw error;
    }
    this.events.retrying(attempt, error, classification, {
      delayMs: decision.delayMs,
      source: decision.source,
      formula: () => describeBackoffFormula(attempt, config),
    });
    this.previousDelayMs = decision.backoffMs;
    // Within the bounds already: decideRetry keeps it before the deadline and under the cap.
    await abortableSleep(decision.delayMs, this.callSignal());
  }

  /**
   * A 429 whose Retry-After the call would obey makes every call to the key wait until
   * then (one cooldown per key, instead of each call discovering the limit by itself).
   */
  private noteRateLimit(
    session: UpstreamSession,
    classification: ErrorClassification,
    config: ResolvedRetryConfig,
  ): void {
    const wait = classification.retryAfterMs;
    if (classification.kind !== 'rate_limit' || wait === undefined || !config.respectRetryAfter) return;
    // The key keeps what the server said, even beyond this call's cap: each later call decides
    // with its own maxRetryAfterMs and deadline. A header asking for more than a day is not believed.
    if (!(wait >= 0) || wait > MAX_COOLDOWN_MS) return;
    const untilMs = Date.now() + wait;
    session.upstream.extendCooldown(untilMs);
    // Other replicas wait too, when a state store is configured (fire-and-forget).
    try {
      session.upstream.store()?.shareCooldown(session.key, untilMs);
    } catch {
      // A store must never break a call.
    }
  }

  /** Reports a failure that ends the call: `notRetriedReason` unset means attempts ran out. */
  private attemptFailed(
    attempt: number,
    error: unknown,
    classification: ErrorClassification,
    notRetriedReason: string | undefined,
    /** False when the call ends between attempts: no attempt of its own failed. */
    attemptRan = true,
  ): void {
    this.events.ended(attempt, error, classification, notRetriedReason, attemptRan);
  }

  /** A synchronous method threw: rethrown as is (a synchronous caller cannot wait), reported once. */
  failedSynchronously(error: unknown): void {
    this.attemptFailed(1, error, this.classify(error), 'synchronous');
  }

  /** A stream failed after items reached the caller: not retried, reported once. */
  private streamBroke(attempt: number, error: unknown): void {
    this.attemptFailed(attempt, error, this.classify(error), 'stream_started');
  }

  /** The policy's predicate decides; the classifier names the failure for logs and events. */
  private classify(error: unknown): ErrorClassification {
    if (isAttemptTimeoutError(error)) return { kind: 'timeout', retryable: true, reason: 'attempt timeout' };
    const classification = classifyError(error);
    let retryable: boolean;
    try {
      retryable = this.policy.shouldRetry(error) === true;
    } catch {
      retryable = false;
    }
    if (retryable === classification.retryable) return classification;
    return {
      ...classification,
      retryable,
      reason: retryable ? 'shouldRetry' : `not retryable: ${classification.reason}`,
    };
  }
}

/** The response headers an SDK error carries (openai: `headers`; RestError: `response.headers`). */
function headersOf(error: unknown): unknown {
  if (error === null || typeof error !== 'object') return undefined;
  const { headers, response } = error as { headers?: unknown; response?: { headers?: unknown } };
  return headers ?? response?.headers;
}

const warnedInstanceConfigs = new WeakSet<object>();

/** A `retryConfig` that is not a RetryConfig would be ignored: say so once per object. */
function warnIfIgnoredInstanceConfig(thisArg: unknown, label: string, logger: ResilienceLogger): void {
  if (thisArg === null || (typeof thisArg !== 'object' && typeof thisArg !== 'function')) return;
  const config = (thisArg as { retryConfig?: unknown }).retryConfig;
  if (config === undefined || config === null || isRetryConfig(config) || typeof config !== 'object') return;
  if (warnedInstanceConfigs.has(config)) return;
  warnedInstanceConfigs.add(config);
  logger.warn(
    `${label}: this.retryConfig is not a RetryConfig and is ignored; build it with new RetryConfig({...}) or RetryConfig.from(...)`,
    {
      method: label,
    },
  );
}
