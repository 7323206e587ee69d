import { abortReason } from '../../internal/abort-reason';
import { BulkheadRejectedError } from './bulkhead-rejected-error';

export { BulkheadRejectedError, isBulkheadRejectedError } from './bulkhead-rejected-error';

export interface BulkheadOptions {
  /** Calls allowed to run at once (integer >= 1). */
  maxConcurrency: number;
  /** Calls allowed to wait for a slot (integer >= 0); one more is rejected at once. */
  queueLimit: number;
  /** Names the upstream in `BulkheadRejectedError`'s message (default `'this service'`). */
  key?: string;
}

export interface BulkheadStats {
  /** Calls holding a slot. */
  active: number;
  /** Calls waiting for one. */
  queued: number;
}

/** Gives back a slot. Calling it again does nothing, so a `finally` and an error path may both call it. */
export type BulkheadRelease = () => void;

interface QueuedCall {
  grant: (release: BulkheadRelease) => void;
  signal: AbortSignal | undefined;
  onAbort: () => void;
}

/**
 * Caps the calls in flight to one upstream key. Calls beyond `maxConcurrency` wait in FIFO
 * order, so a burst is smoothed rather than sent at once into a rate limit or an overloaded
 * service; a call that finds `queueLimit` already waiting fails at once with
 * `BulkheadRejectedError` rather than waiting behind a queue it cannot outrun (shedding load
 * early keeps latency bounded and memory flat). An aborted waiter leaves the queue at once.
 */
export class Bulkhead {
  readonly maxConcurrency: number;
  readonly queueLimit: number;
  readonly key: string;
  private active = 0;
  /** Waiting calls, oldest first. */
  private readonly queue: QueuedCall[] = [];

  constructor(options: BulkheadOptions) {
    const { maxConcurrency, queueLimit, key } = options;
    if (!Number.isSafeInteger(maxConcurrency) || maxConcurrency < 1) {
      throw new RangeError(`maxConcurrency must be an integer of at least 1, got ${String(maxConcurrency)}`);
    }
    if (!Number.isSafeInteger(queueLimit) || queueLimit < 0) {
      throw new RangeError(`queueLimit must be an integer of at least 0, got ${String(queueLimit)}`);
    }
    this.maxConcurrency = maxConcurrency;
    this.queueLimit = queueLimit;
    this.key = key ?? 'this service';
  }

  /**
   * Resolves with the release function once the call holds a slot: at once when one is free,
   * otherwise when the calls queued before it have gone. Rejects with `BulkheadRejectedError`
   * at once when the queue is full, and with the signal's reason when it is (or gets) aborted
   * while waiting. The caller must call the release function when the call ends, whatever
   * the outcome.
   */
  acquire(signal?: AbortSignal): Promise<BulkheadRelease> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    // A free slot with callers still queued cannot happen: a released slot goes to the queue first.
    if (this.active < this.maxConcurrency) {
      this.active++;
      return Promise.resolve(this.releaser());
    }
    if (this.queue.length >= this.queueLimit) {
      return Promise.reject(new BulkheadRejectedError(this.key, this.maxConcurrency, this.queueLimit));
    }
    return new Promise<BulkheadRelease>((resolve, reject) => {
      const call: QueuedCall = {
        grant: resolve,
        signal,
        onAbort: () => {
          const index = this.queue.indexOf(call);
          if (index >= 0) this.queue.splice(index, 1);
          reject(abortReason(signal!));
        },
      };
      this.queue.push(call);
      signal?.addEventListener('abort', call.onAbort, { once: true });
    });
  }

  /** A slot at once, if one is free (nobody is queued then); undefined when the call would have to queue. */
  tryAcquire(): BulkheadRelease | undefined {
    if (this.active >= this.maxConcurrency) return undefined;
    this.active++;
    return this.releaser();
  }

  stats(): BulkheadStats {
    return { active: this.active, queued: this.queue.length };
  }

  private releaser(): BulkheadRelease {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.queue.shift();
      if (next === undefined) {
        this.active--;
        return;
      }
      // The slot passes straight to the oldest waiter: `active` does not change.
      next.signal?.removeEventListener('abort', next.onAbort);
      next.grant(this.releaser());
    };
  }
}
