import { bumpHoldEpoch } from '../../internal/hold-epoch';
import { unitRandom } from '../../internal/unit-random';
import type { WaitBounds } from '../bounded-wait';

/**
 * The longest cooldown a key takes (a day): a Retry-After, or a cooldown heard from another
 * replica, asking for more is not believed.
 */
export const MAX_COOLDOWN_MS = 86_400_000;

/** The spread is at most this many ms... */
const MAX_SPREAD_MS = 50;
/** ...and at most this fraction of the wait, so a 5 ms cooldown is not stretched to 55 ms. */
const MAX_SPREAD_FRACTION = 0.1;

/**
 * One key's cooldown: when a call to the key gets a 429 with Retry-After, every call to the
 * key waits until then before its next attempt (a first attempt too), instead of each call
 * discovering the limit with a 429 of its own. Time comes in (`nowMs`), randomness too.
 */
export class KeyCooldown {
  /** Until when (epoch ms) calls must wait before their next attempt; 0 when none. */
  untilMs = 0;

  /** `onExtend`: told each new end (the key's pacing pauses until then, keeping its callers' order). */
  constructor(private readonly onExtend?: (untilMs: number) => void) {}

  /** Makes the key cool down until `untilMs`; a later deadline already set wins. Non-finite values are ignored. */
  extend(untilMs: number): void {
    if (Number.isFinite(untilMs) && untilMs > this.untilMs) {
      this.untilMs = untilMs;
      bumpHoldEpoch();
      this.onExtend?.(untilMs);
    }
  }

  /** Ms left at `nowMs` (0 when none; an expired cooldown is cleared). */
  leftMs(nowMs: number): number {
    if (this.untilMs === 0) return 0;
    const left = this.untilMs - nowMs;
    if (left > 0) return left;
    // Expired (or an unusable clock reading): forget it.
    if (Number.isFinite(nowMs)) this.untilMs = 0;
    return 0;
  }

  /**
   * How long a call waits for a cooldown with `leftMs` left: that plus a spread, uniform up to
   * min(50 ms, 10% of it), so the calls that were waiting do not all return in the same
   * millisecond; the spread never takes the wait past the call's cap (`maxRetryAfterMs`) or
   * its deadline (`bounds`, when given).
   */
  static waitWithSpread(leftMs: number, random: () => number, bounds?: WaitBounds, nowMs = Date.now()): number {
    const spread = Math.round(unitRandom(random) * Math.min(MAX_SPREAD_MS, leftMs * MAX_SPREAD_FRACTION));
    let wait = leftMs + spread;
    if (bounds === undefined) return wait;
    wait = Math.min(wait, Math.max(leftMs, bounds.maxUpstreamWaitMs));
    if (bounds.deadlineMs !== undefined) wait = Math.min(wait, Math.max(leftMs, bounds.deadlineMs - nowMs));
    return wait;
  }
}
