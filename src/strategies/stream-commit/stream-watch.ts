import { StreamTimeoutError } from './stream-timeout-error';

/** The attempt a watch belongs to: its method's name, and how to abort its request. */
export interface WatchedAttempt {
  abort(reason: unknown): void;
}

/**
 * The stream's own timeouts on one attempt: `firstItemTimeoutMs` until the stream commits,
 * then `idleTimeoutMs` while it waits for each next item (the caller's time between items
 * does not count). When one expires it aborts the attempt (so its request ends) and
 * `stopped` rejects with a `StreamTimeoutError`. One timer at a time, re-armed lazily: an
 * item costs two clock reads, not a timer.
 */
export class StreamWatch {
  /** Rejects when a timeout expires; never resolves. */
  readonly stopped: Promise<never>;
  /** True once a timeout expired (the attempt may still be running). */
  fired = false;
  private fail!: (reason: unknown) => void;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** When the pending `next()` started (idle phase), or undefined while the caller holds the item. */
  private waitingSince: number | undefined;
  private phase: 'first_item' | 'idle' | 'off' = 'off';

  constructor(
    private readonly attempt: WatchedAttempt,
    private readonly method: string,
    private readonly firstItemTimeoutMs: number | undefined,
    private readonly idleTimeoutMs: number | undefined,
    committed: boolean,
  ) {
    this.stopped = new Promise<never>((_, reject) => (this.fail = reject));
    // The race may end by an item first; an unobserved rejection is not an error here.
    this.stopped.catch(() => undefined);
    if (committed) this.commit();
    else if (firstItemTimeoutMs !== undefined) {
      this.phase = 'first_item';
      this.timer = setTimeout(() => this.expire(firstItemTimeoutMs), firstItemTimeoutMs);
    }
  }

  /** Whether a watch is needed at all. */
  static needed(firstItemTimeoutMs: number | undefined, idleTimeoutMs: number | undefined): boolean {
    return firstItemTimeoutMs !== undefined || idleTimeoutMs !== undefined;
  }

  /** The stream committed: the first-item timeout ends, the idle timeout starts. */
  commit(): void {
    if (this.phase === 'idle') return;
    this.clear();
    this.phase = this.idleTimeoutMs === undefined ? 'off' : 'idle';
  }

  /** A `next()` is pending. */
  waiting(): void {
    if (this.phase !== 'idle') return;
    this.waitingSince = Date.now();
    this.timer ??= setTimeout(() => this.check(), this.idleTimeoutMs);
  }

  /** The pending `next()` settled. */
  received(): void {
    this.waitingSince = undefined;
  }

  dispose(): void {
    this.phase = 'off';
    this.clear();
  }

  private check(): void {
    this.timer = undefined;
    if (this.phase !== 'idle' || this.waitingSince === undefined) return;
    const idleMs = this.idleTimeoutMs!;
    const waited = Date.now() - this.waitingSince;
    if (waited >= idleMs) this.expire(idleMs);
    else this.timer = setTimeout(() => this.check(), idleMs - waited);
  }

  private expire(timeoutMs: number): void {
    const phase = this.phase === 'idle' ? 'idle' : 'first_item';
    this.dispose();
    this.fired = true;
    const timeout = new StreamTimeoutError(this.method, phase, timeoutMs);
    this.fail(timeout);
    this.attempt.abort(timeout);
  }

  private clear(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
