import { classifyError } from '../classification/classify-error';
import { isAsyncIterable } from '../internal/is-thenable';
import { FinalOutcome } from '../strategies/timeout/attempt-guard';
import { classifyFailure } from './classify-failure';
import { runInRetryContext } from './retry-context';
import { RetryCall } from './retry-call';

/**
 * One call of an async-generator method (or `pipeline.stream`): the same loop and stages as
 * `RetryCall`, attempt by attempt, but retried only while no item has reached the caller.
 * Once one has, the stream is the caller's: no more attempt timeout or deadline, and a
 * failure is reported (`stream_started`) and rethrown.
 */
export class StreamCall extends RetryCall {
  /** A stream's arguments are not checked by the replay guard (see the item rule above). */
  protected override replayedArgs(): undefined {
    return undefined;
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
      this.attempt = attempt;
      try {
        await this.beforeAttempt();
      } catch (failure) {
        this.attemptOver(undefined);
        const error = failure instanceof FinalOutcome ? failure.error : failure;
        this.events.stopped(this.signal?.aborted ? 'aborted' : classifyError(error).kind, error);
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
        const stop = this.stopOutcome(failure);
        if (stop !== undefined) throw stop.error;
        if (delivered) {
          // Items reached the caller: not retried, reported once.
          this.events.ended(
            attempt,
            failure,
            classifyFailure(failure, this.policy.shouldRetry),
            'stream_started',
            true,
          );
          throw failure;
        }
        await this.afterFailure(attempt, failure);
      } finally {
        guard?.dispose();
        this.attemptOver(guard?.fired && next !== undefined ? next : undefined);
        // The caller stopped early (break/return): close the method's own iterator too.
        if (!finished) await iterator?.return?.();
      }
    }
  }
}
