import { abortReason } from '../../internal/abort-reason';

/** The longest an attempt waits for the first attempt of a cold key (see `ColdStartGate`). */
export const COLD_START_MAX_WAIT_MS = 1000;

/**
 * With a shared state store, a key whose rate limit is not known yet sends its first attempt
 * alone: the others wait for it to end (or for its response headers to tell the limit), at
 * most COLD_START_MAX_WAIT_MS, so that replicas starting together do not each send an
 * unpaced first wave (which a server's burst cannot absorb). Once per key per process; the
 * first attempt itself never waits.
 */
export class ColdStartGate {
  /**
   * True once an attempt on the key has ended or its rate limit is known: from then on no
   * gate.
   */
  warm = false;
  /** While the first attempt of a cold key is in flight: the attempts waiting for it. */
  private waiters: Array<() => void> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    /** True when the key shares its state through a store (without one, nothing to gate). */
    private readonly shared: () => boolean,
    /** True once the key is paced (its rate limit known). */
    private readonly paced: () => boolean,
  ) {}

  /**
   * True when this attempt must wait (`whenWarm`); false when it may go now (the first one
   * claims the key's first attempt).
   */
  mustWait(): boolean {
    if (this.warm || this.paced() || !this.shared()) return false;
    if (this.waiters === undefined) {
      this.waiters = [];
      this.timer = setTimeout(() => this.warmUp(), COLD_START_MAX_WAIT_MS);
      this.timer.unref?.();
      return false;
    }
    return true;
  }

  /** Resolves when the key is warm; rejects with the signal's reason when it aborts first. */
  whenWarm(signal: AbortSignal | undefined): Promise<void> {
    const waiters = this.waiters;
    if (waiters === undefined) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(abortReason(signal));
      const onAbort = () => {
        const index = waiters.indexOf(go);
        if (index >= 0) waiters.splice(index, 1);
        reject(abortReason(signal!));
      };
      const go = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      waiters.push(go);
    });
  }

  /** True while a call must ask `mustWait` before its first attempt. */
  isCold(): boolean {
    if (this.warm) return false;
    // Without a store there is nothing to gate: warm for good (the success path checks one flag).
    if (!this.paced() && this.shared()) return true;
    this.warmUp();
    return false;
  }

  /** An attempt ended or the limit is known: releases the attempts held by the gate. */
  warmUp(): void {
    if (this.warm) return;
    this.warm = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const waiters = this.waiters ?? [];
    this.waiters = undefined;
    for (const go of waiters) go();
  }
}
