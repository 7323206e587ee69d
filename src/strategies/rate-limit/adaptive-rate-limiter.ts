import { abortReason } from '../../internal/abort-reason';
import { describeReceived } from '../../internal/option-checks';
import type { RateLimitInfo } from './rate-limit-headers';
import { abortableSleep, type Sleep } from '../bounded-wait';

// OpenAI's rate-limit headers: https://platform.openai.com/docs/guides/rate-limits#rate-limits-in-headers

/*
 * The algorithm, and why.
 *
 * Goal: send to a rate-limited upstream as fast as it allows, but no faster, so calls do not
 * burn attempts (and the server's patience) on 429s. Retrying after a 429 alone does not do
 * it: 50 concurrent callers against a 200 req/s server keep colliding, and each collision
 * costs a request and a wait.
 *
 * 1. Pace with a token bucket (rate r per second, burst b), written as GCRA "virtual
 *    scheduling": one number, `tat`, is the time at which the schedule already handed out
 *    ends. A caller may send at max(now, tat - (b - 1)/r); sending moves `tat` on by 1/r.
 *    `acquire` RESERVES that slot and returns the wait, so N callers arriving together get
 *    0, 1/r, 2/r, ... (after the burst) instead of all waking at once and colliding again.
 *    A slot from `acquire` keeps its time when the rate changes later (see 5 for `schedule`).
 *
 * 2. Learn the rate from the server instead of configuring it. OpenAI and Azure OpenAI send
 *    `x-ratelimit-limit-requests` PER MINUTE on every response, so r = limit / 60 x
 *    `targetUtilization` (0.97: a little under the limit, so timer lateness and network
 *    jitter find a few tokens in the server's bucket instead of a 429). Until a limit is
 *    known nothing is paced: a limiter that guesses would slow down upstreams that have no
 *    limit at all. The burst is min(`maxBurst` = 10, one second of the limit): a server's
 *    bucket is rarely smaller than that, and a bigger client burst would be the first thing
 *    to hit a 429.
 *
 * 3. Follow what the server says it has left. `x-ratelimit-remaining-requests` below the
 *    burst means the server cannot absorb a burst right now (another process may share the
 *    key): the client bucket is emptied to that level, so calls go strictly at the pace
 *    until the server's bucket refills, which is what its reset time measures. The token
 *    limit cannot be paced per request (the cost of a call is unknown before it runs), so
 *    when `x-ratelimit-remaining-tokens` falls below 5% of the limit, sending pauses until
 *    the server has refilled to that level (at limit / 60000 tokens per ms), or until
 *    the token reset, whichever is sooner.
 *
 * 4. Adapt on 429 (AIMD, as TCP does): the limit in the headers may be shared with other
 *    clients, or be more than the server really delivers. A 429 multiplies r by 0.7 (never
 *    below 5% of the learned rate) and pauses every caller until its Retry-After, with the
 *    bucket emptied so the callers that were waiting resume one per 1/r, not all at once.
 *    Only one decrease per overload: a 429 for a request whose slot was SET before the last
 *    decrease (or before the rate was first learned) was spaced by the old rate and reports
 *    an overload already dealt with, so it pauses but does not cut the rate again; and cuts
 *    are at least `decreaseIntervalMs` (250) apart, learning the limit counting as one, because
 *    requests sent unpaced before the first limit arrived are still reaching the server for
 *    a round trip and collide with the first paced ones. Each success adds 0.5% of the learned
 *    rate back (about 70 successes from 0.7x to full), and none while the server reports
 *    less than half a burst left (its bucket is draining, so the rate is already too high).
 *
 * 5. Move the queue on an overload. With 50 callers waiting, ~50 slots are already handed
 *    out at the old pace; the callers of `schedule` sleep in a loop on their slot, so a 429 or
 *    a lower limit re-spaces every waiting slot behind the pause at the new rate instead of
 *    letting the queue run into the same overload 50 times. (Simulated, 600 calls after the
 *    server halves its rate: 429s went from ~22 to 0 when the headers say so, and from ~113
 *    to ~34 when they do not.)
 */

export interface AdaptiveRateLimiterOptions {
  /** The clock (ms) of `schedule`; default `Date.now`, the retry engine's. Every `nowMs` argument must come from it. */
  now?: () => number;
  /** How `schedule` waits; default `abortableSleep` (setTimeout). */
  sleep?: Sleep;
  /** Largest burst the client allows itself (default 10). */
  maxBurst?: number;
  /** Fraction of the advertised limit to pace at, in (0, 1] (default 0.97). */
  targetUtilization?: number;
  /** Multiplier applied to the rate on a 429, in (0, 1) (default 0.7). */
  decreaseFactor?: number;
  /** The rate never drops below this fraction of the learned rate, in (0, 1] (default 0.05). */
  minRateFraction?: number;
  /** Fraction of the learned rate each success adds back (default 0.005). */
  recoveryPerSuccess?: number;
  /** Rate cuts are at least this many ms apart; learning the first limit counts as one (default 250). */
  decreaseIntervalMs?: number;
  /** Remaining tokens below this fraction of the token limit pause sending (default 0.05). */
  lowTokensFraction?: number;
}

/** The limiter's state, for logs, metrics and tests. */
export interface AdaptiveRateLimiterSnapshot {
  /** Requests per second paced at now; `undefined` while no limit is known (no pacing). */
  ratePerSecond: number | undefined;
  /** The rate learned from the headers (limit / 60 x targetUtilization). */
  targetRatePerSecond: number | undefined;
  /** The burst in use. */
  burst: number;
  /** Processes sharing the key's limit (1: this one alone). */
  replicas: number;
  /** Until when every caller waits (ms on the limiter's clock); 0 when not paused. */
  pausedUntilMs: number;
  /** `schedule` callers waiting for their slot. */
  waiting: number;
}

const DEFAULTS = {
  maxBurst: 10,
  targetUtilization: 0.97,
  decreaseFactor: 0.7,
  minRateFraction: 0.05,
  recoveryPerSuccess: 0.005,
  decreaseIntervalMs: 250,
  lowTokensFraction: 0.05,
} as const;

/** A clock that jumps back further than this (NTP, a VM resume) shifts the schedule with it. */
const CLOCK_JUMP_MS = 1000;

/** A `schedule` caller waiting for its slot: the limiter may move the slot later while it sleeps. */
interface Waiter {
  /** When the caller may send. */
  slot: number;
  /** When `slot` was last set: by the reservation, or by a re-spacing after an overload. */
  stamp: number;
  /** The slot moved later (at limiter time `nowMs`): the caller's `refuse` is asked at once. */
  moved?(nowMs: number): void;
}

/** One per upstream key: paces, learns and adapts the send rate to that key's limits. */
export class AdaptiveRateLimiter {
  private readonly now: () => number;
  private readonly sleep: Sleep;
  private readonly settings: Required<Omit<AdaptiveRateLimiterOptions, 'now' | 'sleep'>>;

  /** Learned rate (r/s, after targetUtilization); undefined = no limit known, no pacing. */
  private targetRate: number | undefined;
  /** The `x-ratelimit-limit-requests` (per minute) last learned. */
  private limitPerMinute: number | undefined;
  /** Processes sharing the key's limit (see `setReplicas`). */
  private replicas = 1;
  /** Rate in force, in [floor, targetRate]. */
  private rate = 0;
  private burst = 1;
  /** GCRA theoretical arrival time: when the schedule handed out so far ends. */
  private tat = -Infinity;
  private pausedUntil = -Infinity;
  /** When the rate last went down (or was first learned): slots set before it tell nothing new. */
  private lastDecrease = -Infinity;
  private lastNow = -Infinity;
  /** The last `x-ratelimit-remaining-requests` seen; undefined when the server does not say. */
  private lastRemaining: number | undefined;
  /** `schedule` callers still waiting, in slot order. */
  private readonly waiters = new Set<Waiter>();

  constructor(options: AdaptiveRateLimiterOptions = {}) {
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? abortableSleep;
    this.settings = {
      maxBurst: positiveInteger(options.maxBurst, DEFAULTS.maxBurst, 'maxBurst'),
      targetUtilization: fraction(options.targetUtilization, DEFAULTS.targetUtilization, 'targetUtilization', true),
      decreaseFactor: fraction(options.decreaseFactor, DEFAULTS.decreaseFactor, 'decreaseFactor', false),
      minRateFraction: fraction(options.minRateFraction, DEFAULTS.minRateFraction, 'minRateFraction', true),
      recoveryPerSuccess: fraction(options.recoveryPerSuccess, DEFAULTS.recoveryPerSuccess, 'recoveryPerSuccess', true),
      decreaseIntervalMs: nonNegative(options.decreaseIntervalMs, DEFAULTS.decreaseIntervalMs, 'decreaseIntervalMs'),
      lowTokensFraction: fraction(options.lowTokensFraction, DEFAULTS.lowTokensFraction, 'lowTokensFraction', true),
    };
  }

  /**
   * Reserves the next send slot at `nowMs` and returns how many ms the caller must wait
   * before sending (0 = now). Never negative or NaN. Without a known limit only a pause
   * (after a 429 or low remaining tokens) makes callers wait. The slot is fixed: prefer
   * `schedule`, whose callers are moved back when an overload is learned while they wait.
   */
  acquire(nowMs: number): number {
    return this.reserve(nowMs).waitMs;
  }

  /**
   * `acquire` with the wait done through the injected sleep. While the caller waits, a 429 or
   * a lower limit may move its slot later (re-spaced at the new rate behind the pause), so
   * callers queued at the old pace do not all run into the same overload. Resolves, once the
   * caller may send, with the time its slot was last set (limiter clock): pass it to
   * `onRateLimited` if the attempt gets a 429. Rejects with the signal's reason when it aborts
   * before or during the wait, giving the slot back if nobody reserved after it.
   *
   * `refuse` bounds the wait: asked with the wait left (ms) and the limiter's time before the
   * wait starts and whenever the slot moves, it returns what to reject with when the caller
   * may not wait that long (the slot is given back the same way), or undefined.
   */
  async schedule(signal?: AbortSignal, refuse?: (waitMs: number, nowMs: number) => Error | undefined): Promise<number> {
    if (signal?.aborted) throw abortReason(signal);
    const now = this.advance(this.now());
    const reservation = this.reserve(now);
    if (!(reservation.waitMs > 0)) return now;
    const waiter: Waiter = { slot: now + reservation.waitMs, stamp: now };
    this.waiters.add(waiter);
    // With bounds, the caller sleeps on a signal of its own: a slot moved beyond them (a pause,
    // a lower limit) refuses it at once, not when its earlier slot comes round.
    const own = refuse === undefined ? undefined : new AbortController();
    const onAbort = own && signal ? () => own.abort(abortReason(signal)) : undefined;
    /** The slot `refuse` was last asked about. */
    let checkedSlot = Number.NaN;
    if (own !== undefined) {
      signal?.addEventListener('abort', onAbort!, { once: true });
      waiter.moved = (at) => {
        if (own.signal.aborted) return;
        checkedSlot = waiter.slot;
        const refusal = refuse!(waiter.slot - at, at);
        if (refusal !== undefined) own.abort(refusal);
      };
    }
    try {
      for (let wait = reservation.waitMs, at = now; wait > 0; at = this.advance(this.now()), wait = waiter.slot - at) {
        if (refuse !== undefined && waiter.slot !== checkedSlot) {
          checkedSlot = waiter.slot;
          const refusal = refuse(wait, at);
          if (refusal !== undefined) throw refusal;
        }
        await this.sleep(wait, own?.signal ?? signal);
      }
    } catch (error) {
      if (this.tat === reservation.tatAfter) this.tat = reservation.tatBefore;
      throw error;
    } finally {
      this.waiters.delete(waiter);
      if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
    }
    return waiter.stamp;
  }

  /**
   * Every caller waits until `untilMs` (the key's cooldown, whoever set it): callers waiting
   * now are moved behind it, one per interval, in their order (asked `refuse` again at once).
   */
  pause(untilMs: number, nowMs: number): void {
    this.pauseUntil(untilMs, this.advance(nowMs));
  }

  /** Learns from a response's `x-ratelimit-*` headers (`readRateLimitHeaders`); call it on every response, 429s included. */
  observe(info: RateLimitInfo | undefined, nowMs: number): void {
    if (info === undefined || info === null) return;
    const now = this.advance(nowMs);
    const { limitRequests, remainingRequests, limitTokens, remainingTokens, resetTokensMs } = info;

    // Below one request per minute is no limit a provider sends; it would make the interval infinite.
    if (isPositive(limitRequests) && limitRequests >= 1) this.learn(limitRequests, now);

    // The latest response's count only: an old "0" must not block recovery forever.
    this.lastRemaining = isNonNegative(remainingRequests) ? remainingRequests : undefined;
    if (isNonNegative(remainingRequests)) {
      if (this.targetRate !== undefined && remainingRequests < this.burst) {
        // At most `remaining` tokens left in our bucket: tokens(now) = b - (tat - now) * r.
        this.tat = Math.max(this.tat, now + (this.burst - Math.floor(remainingRequests)) * this.interval());
      }
    }

    if (isPositive(limitTokens) && isNonNegative(remainingTokens)) {
      const low = limitTokens * this.settings.lowTokensFraction;
      if (remainingTokens < low) {
        // Divide first: the pause is at most 5% of a minute, and never overflows for huge limits.
        const refillMs = ((low - remainingTokens) / limitTokens) * 60_000;
        this.pauseUntil(now + (isNonNegative(resetTokensMs) ? Math.min(refillMs, resetTokensMs) : refillMs), now);
      }
    }
  }

  /**
   * A 429: every caller pauses until `retryAfterMs` from now (one slot when it is unknown), and
   * the rate is cut unless the last cut is less than `decreaseIntervalMs` old or this request's
   * slot was set (`slotSetAtMs`: what `schedule` resolved with, or the `nowMs` given to
   * `acquire`) before it: such a 429 reports the overload the last cut answered.
   */
  onRateLimited(retryAfterMs: number | undefined, nowMs: number, slotSetAtMs?: number): void {
    const now = this.advance(nowMs);
    const retryAfter = isNonNegative(retryAfterMs) ? retryAfterMs : 0;
    if (this.targetRate === undefined) {
      this.pauseUntil(now + retryAfter, now);
      return;
    }
    const stale =
      now - this.lastDecrease < this.settings.decreaseIntervalMs ||
      (Number.isFinite(slotSetAtMs) && (slotSetAtMs as number) < this.lastDecrease);
    if (!stale) {
      this.rate = Math.max(this.floorRate(), this.rate * this.settings.decreaseFactor);
      this.lastDecrease = now;
    }
    this.pauseUntil(now + Math.max(retryAfter, this.interval()), now);
  }

  /**
   * A successful response: the rate recovers additively toward the learned one, unless the
   * server's remaining requests are below half the burst (its bucket is draining: we are
   * already at or above what it really delivers, so growing would only buy the next 429).
   */
  onSuccess(nowMs: number): void {
    this.advance(nowMs);
    if (this.targetRate === undefined || this.rate >= this.targetRate) return;
    if (this.lastRemaining !== undefined && this.lastRemaining < this.burst / 2) return;
    this.rate = Math.min(this.targetRate, this.rate + this.targetRate * this.settings.recoveryPerSuccess);
  }

  snapshot(): AdaptiveRateLimiterSnapshot {
    return {
      ratePerSecond: this.targetRate === undefined ? undefined : this.rate,
      targetRatePerSecond: this.targetRate,
      burst: this.burst,
      replicas: this.replicas,
      pausedUntilMs: Number.isFinite(this.pausedUntil) ? this.pausedUntil : 0,
      waiting: this.waiters.size,
    };
  }

  /** The time between two sends at the current rate (ms); 0 while no limit is known. */
  intervalMs(): number {
    return this.targetRate === undefined ? 0 : this.interval();
  }

  private reserve(nowMs: number): { waitMs: number; tatBefore: number; tatAfter: number } {
    const now = this.advance(nowMs);
    // The wait is measured from the caller's own reading, which may be a little behind `now`.
    const callerNow = Number.isFinite(nowMs) ? Math.min(nowMs, now) : now;
    const tatBefore = this.tat;
    if (this.targetRate === undefined) {
      return { waitMs: Math.max(0, this.pausedUntil - callerNow), tatBefore, tatAfter: tatBefore };
    }
    const interval = this.interval();
    const sendAt = Math.max(now, this.tat - (this.burst - 1) * interval, this.pausedUntil);
    this.tat = Math.max(this.tat, sendAt) + interval;
    return { waitMs: sendAt - callerNow, tatBefore, tatAfter: this.tat };
  }

  /**
   * `replicas` processes send to this key and share its limit (told by a shared state store):
   * pace at 1/replicas of the learned rate, with 1/replicas of the burst (at least 1), so that
   * together they stay under the limit. 1 (the default) is this process alone.
   */
  setReplicas(replicas: number, nowMs: number = this.now()): void {
    if (!Number.isSafeInteger(replicas) || replicas < 1 || replicas === this.replicas) return;
    this.replicas = replicas;
    if (this.limitPerMinute !== undefined) this.learn(this.limitPerMinute, this.advance(nowMs), true);
  }

  private learn(limitPerMinute: number, now: number, force = false): void {
    const target = (limitPerMinute / 60 / this.replicas) * this.settings.targetUtilization;
    const previous = this.targetRate;
    this.limitPerMinute = limitPerMinute;
    if (previous === target && !force) return;
    this.burst = Math.max(
      1,
      Math.min(Math.floor(this.settings.maxBurst / this.replicas), Math.floor(limitPerMinute / 60 / this.replicas)),
    );
    if (previous === target) return;
    if (previous === undefined) {
      this.rate = target;
      this.targetRate = target;
      this.lastDecrease = now;
      // Start with an empty bucket: requests sent before any pacing (whose responses bring this
      // first limit) have used the server's burst, and their remaining-counts are already stale.
      this.respace(Math.max(now + this.interval(), this.pausedUntil), now);
      return;
    }
    // At full speed, follow the new limit; while recovering from 429s, keep the lower rate.
    const slower = target < previous;
    this.rate = Math.max(
      target * this.settings.minRateFraction,
      this.rate >= previous ? target : Math.min(this.rate, target),
    );
    this.targetRate = target;
    if (slower) {
      this.lastDecrease = now;
      this.respace(now, now);
    }
  }

  /** Every caller waits until `untilMs`; then they resume one per interval, not together. */
  private pauseUntil(untilMs: number, now: number): void {
    if (!Number.isFinite(untilMs)) return;
    this.pausedUntil = Math.max(this.pausedUntil, untilMs);
    this.respace(untilMs, now);
  }

  /**
   * Moves every waiting `schedule` caller to `fromMs` or later, one per interval at the current
   * rate, and empties the bucket after the last of them: no slot handed out at an old, faster
   * pace survives an overload signal, and nobody is moved earlier.
   */
  private respace(fromMs: number, now: number): void {
    const interval = this.targetRate === undefined ? 0 : this.interval();
    const moved: Waiter[] = [];
    let next = fromMs;
    for (const waiter of this.waiters) {
      if (waiter.slot < next) {
        waiter.slot = next;
        if (interval > 0) waiter.stamp = now;
        moved.push(waiter);
      }
      next = interval > 0 ? waiter.slot + interval : fromMs;
    }
    // The next reservation goes at `next` at the earliest: tat - (b - 1) * interval = next.
    if (interval > 0) this.tat = Math.max(this.tat, next + (this.burst - 1) * interval);
    // Asked once every slot is set: a refusal gives its slot back (`schedule`).
    for (const waiter of moved) waiter.moved?.(now);
  }

  private interval(): number {
    return 1000 / this.rate;
  }

  private floorRate(): number {
    return (this.targetRate ?? 0) * this.settings.minRateFraction;
  }

  /**
   * The clock reading to use: a non-finite one is replaced by the last good one; a jump back
   * by more than CLOCK_JUMP_MS (wall clock set back) shifts every stored time with it, so
   * nobody waits an hour because the clock moved; smaller regressions (callers that read the
   * clock in one order and call in another) schedule from the last time seen.
   */
  private advance(nowMs: number): number {
    if (!Number.isFinite(nowMs)) return Number.isFinite(this.lastNow) ? this.lastNow : 0;
    if (nowMs >= this.lastNow) {
      this.lastNow = nowMs;
      return nowMs;
    }
    if (this.lastNow - nowMs <= CLOCK_JUMP_MS) return this.lastNow;
    const shift = nowMs - this.lastNow;
    this.tat += shift;
    this.pausedUntil += shift;
    this.lastDecrease += shift;
    for (const waiter of this.waiters) {
      waiter.slot += shift;
      waiter.stamp += shift;
    }
    this.lastNow = nowMs;
    return nowMs;
  }
}

function isPositive(value: number | undefined): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0;
}

function isNonNegative(value: number | undefined): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

function positiveInteger(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a positive integer (received ${describeReceived(value)})`);
  }
  return value;
}

function fraction(value: number | undefined, fallback: number, name: string, oneAllowed: boolean): number {
  if (value === undefined) return fallback;
  if (!(typeof value === 'number' && value > 0 && (oneAllowed ? value <= 1 : value < 1))) {
    const rule = `greater than 0 and ${oneAllowed ? 'at most' : 'less than'} 1`;
    throw new RangeError(`${name} must be ${rule} (received ${describeReceived(value)})`);
  }
  return value;
}

function nonNegative(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!(typeof value === 'number' && Number.isFinite(value) && value >= 0)) {
    throw new RangeError(`${name} must be a finite number of at least 0 (received ${describeReceived(value)})`);
  }
  return value;
}
