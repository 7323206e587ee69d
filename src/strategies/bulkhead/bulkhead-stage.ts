import { waitWithin } from '../bounded-wait';
import type { CallState, Stage } from '../stage';
import type { Bulkhead, BulkheadRelease } from './bulkhead';

/**
 * The bulkhead stage: each attempt takes a slot of the key's concurrency limit, or waits for
 * one in its queue within the call's bounds (a full queue rejects at once with
 * `BulkheadRejectedError`). Sleeping between attempts holds no slot; an attempt the timeout
 * stage abandoned still runs, and keeps its slot until it settles.
 */
export class BulkheadStage implements Stage {
  /** Frees the running attempt's slot. */
  private release: BulkheadRelease | undefined;

  constructor(private readonly bulkhead: Bulkhead) {}

  holdsAttempts(): boolean {
    return true;
  }

  beforeAttempt(call: CallState): Promise<void> | undefined {
    this.release = this.bulkhead.tryAcquire();
    if (this.release !== undefined) return undefined;
    return waitWithin('bulkhead', call.waitBounds(), (signal) => this.bulkhead.acquire(signal)).then((release) => {
      this.release = release;
    });
  }

  attemptOver(stillRunning: PromiseLike<unknown> | undefined): void {
    const release = this.release;
    this.release = undefined;
    if (release === undefined) return;
    if (stillRunning === undefined) release();
    else stillRunning.then(release, release);
  }
}
