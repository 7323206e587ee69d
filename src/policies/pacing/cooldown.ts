/** A uniform random number in [0, 1), like `Math.random`; injected so tests are deterministic. */
export type Random = () => number;

/** The spread is at most this many ms... */
const MAX_SPREAD_MS = 50;
/** ...and at most this fraction of the wait, so a 5 ms cooldown is not stretched to 55 ms. */
const MAX_SPREAD_FRACTION = 0.1;
/** Below this many entries a sweep is not worth doing. */
const MIN_SWEEP_THRESHOLD = 64;

export interface KeyCooldownsOptions {
  /**
   * The clock for dropping expired entries when new ones are added (default `Date.now`, the
   * retry engine's clock). Deadlines passed to `extend` must come from the same clock.
   */
  now?: () => number;
  /** The default random source of `waitMs` (default `Math.random`). */
  random?: Random;
}

/**
 * One cooldown per upstream key: when a call to a key gets a 429 with Retry-After, every call
 * to that key waits until that moment before its next attempt (a first attempt too), instead
 * of each call discovering the limit with a 429 of its own.
 *
 * Memory stays bounded by the number of keys in cooldown: `waitMs` drops an entry it finds
 * expired, and `extend` sweeps every expired entry whenever the map has doubled since the last
 * sweep (amortised O(1) per call), so a process that sees many keys does not grow forever.
 */
export class KeyCooldowns {
  private readonly deadlines = new Map<string, number>();
  private readonly now: () => number;
  private readonly random: Random;
  private sweepThreshold = MIN_SWEEP_THRESHOLD;

  constructor(options: KeyCooldownsOptions = {}) {
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
  }

  /** Makes `key` cool down until `untilMs`; an existing later deadline wins. Non-finite values are ignored. */
  extend(key: string, untilMs: number): void {
    if (!Number.isFinite(untilMs)) return;
    const current = this.deadlines.get(key);
    if (current !== undefined && current >= untilMs) return;
    this.deadlines.set(key, untilMs);
    if (this.deadlines.size >= this.sweepThreshold) this.sweep(this.now());
  }

  /**
   * How long a call to `key` must wait at `nowMs`: 0 when there is no cooldown, otherwise the
   * time left plus a spread, uniform up to min(50 ms, 10% of the time left), so the calls that
   * were waiting do not all hit the upstream in the same millisecond when it ends.
   */
  waitMs(key: string, nowMs: number, random: Random = this.random): number {
    const until = this.deadlines.get(key);
    if (until === undefined) return 0;
    const left = until - nowMs;
    if (!(left > 0)) {
      // Expired (or an unusable clock reading): forget it rather than keep it forever.
      if (Number.isFinite(nowMs)) this.deadlines.delete(key);
      return 0;
    }
    const spread = Math.min(MAX_SPREAD_MS, left * MAX_SPREAD_FRACTION) * clampUnit(random());
    return left + spread;
  }

  /** The deadline of `key`, or `undefined` when it has none (expired entries may linger until swept). */
  deadline(key: string): number | undefined {
    return this.deadlines.get(key);
  }

  /** Ends the cooldown of `key` at once. */
  clear(key: string): void {
    this.deadlines.delete(key);
  }

  /** Entries held, expired ones not yet dropped included. */
  get size(): number {
    return this.deadlines.size;
  }

  /** Drops every entry that has expired at `nowMs`. */
  sweep(nowMs: number): void {
    if (Number.isFinite(nowMs)) {
      for (const [key, until] of this.deadlines) if (until <= nowMs) this.deadlines.delete(key);
    }
    this.sweepThreshold = Math.max(MIN_SWEEP_THRESHOLD, this.deadlines.size * 2);
  }
}

/** A broken random source (NaN, negative, >= 1) must not make the wait NaN or negative. */
function clampUnit(value: number): number {
  return value >= 0 && value < 1 ? value : 0;
}
