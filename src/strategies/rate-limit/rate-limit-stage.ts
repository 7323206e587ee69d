import { abortReason } from '../../internal/abort-reason';
import { abortableSleep, refuseWait, waitWithin, type WaitBounds } from '../bounded-wait';
import type { AttemptFailure, CallState, KeyIdentity, Stage } from '../stage';
import type { ColdStartGate } from './cold-start';
import { KeyCooldown, MAX_COOLDOWN_MS } from './cooldown';
import type { KeyPacing } from './request-pacing';

/** What the rate-limit stage reads and changes of a key. */
export interface RateLimitedKey extends KeyIdentity {
  readonly cooldown: KeyCooldown;
  readonly coldStart: ColdStartGate;
  readonly pacing: KeyPacing;
}

/**
 * The rate-limit stage. Before an attempt, in this order: the key's cooldown (a 429 with
 * Retry-After seen by any call or replica), the cold start (with a store, the first attempt
 * of a key with no known limit goes alone) and the request pacing (the adaptive limiter's
 * slot); each wait within the call's bounds. After an attempt: a 429 sets the key's cooldown
 * and slows the pacing down; response headers teach the limit; any outcome ends the cold start.
 */
export class RateLimitStage implements Stage {
  /** When the running attempt's pacing slot was set (for the limiter's 429 accounting). */
  private slotSetAtMs: number | undefined;
  /** The running attempt has a pacing slot (given at `slotGivenAt`, `Date.now()` clock). */
  private slotTaken = false;
  private slotGivenAt = 0;
  /** The running attempt is past the cold-start gate (asked once: the first asker claims the key's first attempt). */
  private gatePassed = false;

  constructor(
    private readonly key: RateLimitedKey,
    /** The call's `respectRetryAfter`: a 429's Retry-After becomes the key's cooldown only if true. */
    private readonly respectRetryAfter: boolean,
    private readonly random: () => number,
  ) {}

  holdsAttempts(nowMs: number): boolean {
    const key = this.key;
    return key.pacing.limiter !== undefined || key.cooldown.leftMs(nowMs) > 0 || key.coldStart.isCold();
  }

  beforeAttempt(call: CallState): Promise<void> | undefined {
    this.slotTaken = false;
    this.gatePassed = false;
    // Awaited only when there is something to wait for: each await costs the attempt a turn.
    const key = this.key;
    if (key.cooldown.untilMs === 0 && key.pacing.limiter === undefined && key.coldStart.warm) return undefined;
    return this.waitTurn(call);
  }

  /**
   * After a later stage held the attempt back (the bulkhead queue): a cooldown that began
   * meanwhile is waited out (or refused), and pacing learned meanwhile gives the attempt a slot
   * first, as if it had just arrived.
   */
  lastLook(call: CallState): Promise<void> | undefined {
    const key = this.key;
    const limiter = key.pacing.limiter;
    // A slot that aged past one interval while the attempt sat in a queue is spent: sent now,
    // it would go out together with the next caller's.
    if (this.slotTaken && limiter !== undefined && Date.now() - this.slotGivenAt > limiter.intervalMs()) {
      this.slotTaken = false;
    }
    const unpaced = limiter !== undefined && !this.slotTaken;
    return unpaced || key.cooldown.leftMs(Date.now()) > 0 ? this.waitTurn(call) : undefined;
  }

  private async waitTurn(call: CallState): Promise<void> {
    const key = this.key;
    const bounds = call.waitBounds();
    // The caller's abort comes first, before any refusal by the bounds.
    if (bounds.signal?.aborted) throw abortReason(bounds.signal);
    await this.waitOutCooldown(bounds);
    const gate = key.coldStart;
    if (!this.gatePassed && gate.mustWait()) await waitWithin('cold_start', bounds, (signal) => gate.whenWarm(signal));
    this.gatePassed = true;
    const limiter = key.pacing.limiter;
    if (limiter !== undefined && !this.slotTaken) {
      key.pacing.announceActive();
      // A cooldown begun while the caller waits pauses the limiter (its slot moves behind it):
      // beyond the call's bounds, it is refused at once, for the cooldown.
      this.slotSetAtMs = await limiter.schedule(bounds.signal, (waitMs, nowMs) => {
        const cooling = key.cooldown.leftMs(nowMs);
        return (
          (cooling > 0 ? refuseWait('cooldown', cooling, bounds, true, nowMs) : undefined) ??
          refuseWait('pacing', waitMs, bounds, true, nowMs)
        );
      });
      this.slotTaken = true;
      this.slotGivenAt = Date.now();
    }
    // The attempt ahead at the gate, or another call or replica, may have met a 429 just now.
    await this.waitOutCooldown(bounds);
  }

  /**
   * Waits until the key has no cooldown in force, within the call's bounds (or refuses at
   * once): also one that begins, or is pushed later, while this call sleeps.
   */
  private async waitOutCooldown(bounds: WaitBounds): Promise<void> {
    for (let now = Date.now(), left = this.key.cooldown.leftMs(now); left > 0;) {
      const refusal = refuseWait('cooldown', left, bounds, true, now);
      if (refusal !== undefined) throw refusal;
      await abortableSleep(KeyCooldown.waitWithSpread(left, this.random, bounds, now), bounds.signal);
      now = Date.now();
      left = this.key.cooldown.leftMs(now);
    }
  }

  afterSuccess(): void {
    this.key.pacing.limiter?.onSuccess(Date.now());
    this.key.coldStart.warmUp();
  }

  afterFailure(_call: CallState, failure: AttemptFailure): void {
    const key = this.key;
    const { kind, retryAfterMs } = failure.classification;
    const rateLimited = kind === 'rate_limit';
    // What the server asked for, if this call believes it: the cooldown and the pacing pause
    // take it; a call that does not respect Retry-After, or a wait of more than a day, neither.
    const believed = rateLimited ? this.believed(retryAfterMs) : undefined;
    if (believed !== undefined) this.coolDown(believed);
    if (failure.headers !== undefined) key.pacing.observeResponse(failure.headers);
    key.coldStart.warmUp();
    if (rateLimited) key.pacing.limiter?.onRateLimited(believed, Date.now(), this.slotSetAtMs);
  }

  private believed(waitMs: number | undefined): number | undefined {
    if (waitMs === undefined || !this.respectRetryAfter) return undefined;
    // The key keeps what the server said, even beyond this call's cap: each later call decides
    // with its own maxRetryAfterMs and deadline. A header asking for more than a day is not believed.
    return waitMs >= 0 && waitMs <= MAX_COOLDOWN_MS ? waitMs : undefined;
  }

  /**
   * A 429 whose Retry-After the call would obey makes every call to the key wait until then
   * (one cooldown per key, instead of each call discovering the limit by itself).
   */
  private coolDown(waitMs: number): void {
    const untilMs = Date.now() + waitMs;
    this.key.cooldown.extend(untilMs);
    // Other replicas wait too, when a state store is configured (fire-and-forget).
    try {
      this.key.store()?.shareCooldown(this.key.key, untilMs);
    } catch {
      // A store must never break a call.
    }
  }
}
