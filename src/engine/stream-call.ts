import { classifyError } from '../classification/classify-error';
import type { AnyFunction } from '../internal/any-function';
import { isAsyncIterable, isThenable } from '../internal/is-thenable';
import { isStreamEventError } from '../strategies/stream-commit/stream-event-error';
import { isStreamInterruptedError, StreamInterruptedError } from '../strategies/stream-commit/stream-interrupted-error';
import { StreamProgress, type StreamPosition } from '../strategies/stream-commit/stream-progress';
import { StreamWatch } from '../strategies/stream-commit/stream-watch';
import { type AttemptGuard, FinalOutcome } from '../strategies/timeout/attempt-guard';
import { classifyFailure } from './classify-failure';
import { type AttemptContext, runInRetryContext } from './retry-context';
import { RetryCall } from './retry-call';
import type { RetryPolicy } from './retry-policy';

/** Re-attaches to a committed stream after it broke, from where the caller stands (Responses API background mode). */
export type StreamResume = (from: StreamPosition) => unknown;

/**
 * One call of an async-generator method (or `pipeline.stream`): the same loop and stages as
 * `RetryCall`, attempt by attempt, around one exact commit point (strategies/stream-commit):
 * - before it, items are held back and every failure (a thrown error, a failure event, a
 *   first-item timeout) is a failed attempt: classified, retried or final, and the held
 *   items of a failed attempt are dropped;
 * - the first content item commits the stream: the held items, then it, reach the caller;
 *   from then on no attempt timeout or deadline (the caller reads), only the idle timeout and
 *   the caller's abort;
 * - after it, a failure is a `StreamInterruptedError`, not retried, unless the call can resume
 *   (`resume`, and the stream names its response): then it re-attaches from the last item the
 *   caller received, as further attempts under the same policy and deadline, skipping repeats.
 */
export class StreamCall extends RetryCall {
  private readonly progress: StreamProgress;

  constructor(
    policy: RetryPolicy,
    fn: AnyFunction,
    thisArg: unknown,
    args: unknown[],
    signal: AbortSignal | undefined,
    private readonly resume?: StreamResume,
  ) {
    super(policy, fn, thisArg, args, signal);
    const rules = policy.streamItems;
    this.progress = new StreamProgress(rules, this.config().streamCommit ?? rules.commits);
  }

  /** A stream's arguments are not checked by the replay guard (see the commit point above). */
  protected override replayedArgs(): undefined {
    return undefined;
  }

  /** An async-generator method: retried only until its commit point (or resumed after it). */
  async *stream(): AsyncGenerator<unknown, unknown, undefined> {
    if (this.signal?.aborted) throw this.signal.reason;
    try {
      return yield* this.streamAttempts();
    } finally {
      this.releaseSignal();
    }
  }

  private async *streamAttempts(): AsyncGenerator<unknown, unknown, undefined> {
    const progress = this.progress;
    const rules = progress.rules;
    for (let attempt = 1; ; attempt++) {
      this.attempt = attempt;
      try {
        await this.beforeAttempt();
      } catch (failure) {
        this.attemptOver(undefined);
        // Reported as any stop is: every stage hears it (a breaker gives back a probe permit).
        const { error } = this.stopOutcome(failure instanceof FinalOutcome ? failure : new FinalOutcome(failure))!;
        throw this.final(error);
      }
      const ctx = this.startAttempt(attempt);
      const from = progress.committed ? progress.position() : undefined;
      let guard = this.guard(ctx);
      const watch = this.watch(ctx);
      let iterator: AsyncIterator<unknown> | undefined;
      // Whether this attempt gave the caller an item (its guard then drops the timers).
      let delivered = false;
      // Whether the source needs closing when the attempt ends: not once it ended or threw.
      let openSource = true;
      // What the attempt waits on now (the stream's promise, then each next()): still running if a timeout stops it.
      let next: Promise<unknown> | undefined;
      // Whether the attempt failed (else the caller stopped reading, or the stream ended).
      let ended = false;
      try {
        let iterable = from === undefined ? this.invoke(ctx) : runInRetryContext(ctx, this.resume!, undefined, [from]);
        // A promise of a stream (the openai SDK's `create({ stream: true })`): part of the attempt.
        if (isThenable(iterable)) iterable = await this.race((next = Promise.resolve(iterable)), guard, watch);
        if (!isAsyncIterable(iterable)) throw new TypeError(`${this.label()} did not return an async iterable`);
        iterator = iterable[Symbol.asyncIterator]();
        for (;;) {
          const pending = runInRetryContext(ctx, iterator.next, iterator, []) as Promise<IteratorResult<unknown>>;
          next = pending;
          let step: IteratorResult<unknown>;
          try {
            watch?.waiting();
            step = await this.race(pending, guard, watch);
            watch?.received();
          } catch (failure) {
            // The source threw, or a timeout stopped it (its request aborted, its next() pending).
            openSource = false;
            throw failure;
          }
          if (step.done) {
            openSource = false;
            // A stream that ends before any content: what it held reaches the caller now.
            for (const item of progress.flush()) {
              progress.delivered(item);
              yield item;
            }
            this.succeeded(attempt, step.value);
            return step.value;
          }
          const item = step.value;
          const failure = rules.failureOf(item);
          if (failure !== undefined) throw failure;
          if (from !== undefined && progress.alreadyReceived(item)) continue;
          const items = progress.committed ? undefined : progress.accept(item);
          if (items?.length === 0) continue;
          if (!delivered) {
            // The caller reads from now on: no more attempt timeout or deadline, only its abort.
            delivered = true;
            guard?.dispose();
            guard = this.guard(ctx, false);
            watch?.commit();
          }
          if (items === undefined) {
            progress.delivered(item);
            yield item;
          } else {
            for (const out of items) {
              progress.delivered(out);
              yield out;
            }
          }
        }
      } catch (failure) {
        ended = true;
        const stop = this.stopOutcome(failure);
        if (stop !== undefined) throw this.final(stop.error);
        if (!progress.committed) {
          progress.discardHeld();
          await this.afterFailure(attempt, failure);
        } else await this.afterInterruption(attempt, failure);
      } finally {
        guard?.dispose();
        watch?.dispose();
        this.attemptOver((guard?.fired || watch?.fired) && next !== undefined ? next : undefined);
        // The caller stopped early (awaited: its `break` ends when the source is closed), or a
        // failure event stopped us (not awaited: the call's outcome does not wait on the source).
        if (openSource) {
          const closing = closeQuietly(iterator);
          if (!ended) await closing;
        }
      }
    }
  }

  /**
   * A committed stream failed: resumed (returns, and the loop re-attaches) when the call can
   * resume and the failure is a retryable break of the connection, not the response's own
   * failure; otherwise reported once and thrown as a `StreamInterruptedError`.
   */
  private async afterInterruption(attempt: number, failure: unknown): Promise<void> {
    const classification = this.classified(failure);
    if (this.resume !== undefined && this.progress.position() !== undefined && !isStreamEventError(failure)) {
      try {
        await this.afterFailure(attempt, failure);
        return;
      } catch (error) {
        // Out of attempts or not retryable (reported by afterFailure): the stream stays broken.
        throw error === failure ? this.interrupted(failure, classification.kind) : error;
      }
    }
    // The method already said so (a nested stream): passed on, not wrapped twice.
    const interrupted = isStreamInterruptedError(failure) ? failure : this.interrupted(failure, classification.kind);
    this.events.ended(attempt, interrupted, classification, 'stream_started', true);
    throw interrupted;
  }

  /**
   * What the caller gets when the call stops (a refused wait, the deadline, an open circuit):
   * the error as is before the commit point or for the caller's own abort; a committed stream
   * (stopped while re-attaching) is an interrupted one.
   */
  private final(error: unknown): unknown {
    if (!this.progress.committed || this.signal?.aborted || isStreamInterruptedError(error)) return error;
    return this.interrupted(error, classifyError(error).kind);
  }

  private interrupted(cause: unknown, kind: ReturnType<typeof classifyFailure>['kind']): StreamInterruptedError {
    return new StreamInterruptedError(this.progress.interruption(kind), cause, this.label());
  }

  /** The stream's own timeouts for one attempt, when the call has any. */
  private watch(ctx: AttemptContext): StreamWatch | undefined {
    const { firstItemTimeoutMs, idleTimeoutMs } = this.config();
    if (!StreamWatch.needed(firstItemTimeoutMs, idleTimeoutMs)) return undefined;
    return new StreamWatch(ctx, this.label(), firstItemTimeoutMs, idleTimeoutMs, this.progress.committed);
  }

  /** The next item, unless the attempt's guard or the stream's watch stops it first. */
  private race<T>(next: Promise<T>, guard: AttemptGuard | undefined, watch: StreamWatch | undefined): Promise<T> {
    if (guard === undefined && watch === undefined) return next;
    if (watch === undefined) return Promise.race([next, guard!.stopped]);
    if (guard === undefined) return Promise.race([next, watch.stopped]);
    return Promise.race([next, guard.stopped, watch.stopped]);
  }
}

/** Closes an iterator we stopped reading; what closing throws is not the call's outcome. */
async function closeQuietly(iterator: AsyncIterator<unknown> | undefined): Promise<void> {
  try {
    await iterator?.return?.();
  } catch {
    // The attempt is over either way.
  }
}
