import fc from 'fast-check';
import { KeyCooldown, MAX_COOLDOWN_MS } from '../../../src/strategies/rate-limit/cooldown';
import type { WaitBounds } from '../../../src/strategies/bounded-wait';

const noSpread = () => 0;
const maxSpread = () => 0.999_999;
const bounds = (maxUpstreamWaitMs: number, deadlineMs?: number): WaitBounds => ({
  signal: undefined,
  deadlineMs,
  maxUpstreamWaitMs,
});

describe('KeyCooldown', () => {
  it('has nothing left without a cooldown', () => {
    expect(new KeyCooldown().leftMs(0)).toBe(0);
  });

  it('returns the time left', () => {
    const cooldown = new KeyCooldown();
    cooldown.extend(1000);
    expect(cooldown.leftMs(400)).toBe(600);
  });

  it('keeps the later deadline', () => {
    const cooldown = new KeyCooldown();
    cooldown.extend(1000);
    cooldown.extend(500);
    expect(cooldown.untilMs).toBe(1000);
    cooldown.extend(1500);
    expect(cooldown.untilMs).toBe(1500);
  });

  it('forgets a cooldown once it has expired', () => {
    const cooldown = new KeyCooldown();
    cooldown.extend(1000);
    expect(cooldown.leftMs(1000)).toBe(0);
    expect(cooldown.untilMs).toBe(0);
  });

  it('keeps a cooldown when the clock reading is unusable', () => {
    const cooldown = new KeyCooldown();
    cooldown.extend(1000);
    expect(cooldown.leftMs(Number.NaN)).toBe(0);
    expect(cooldown.untilMs).toBe(1000);
  });

  it('ignores non-finite deadlines', () => {
    const cooldown = new KeyCooldown();
    cooldown.extend(Number.NaN);
    cooldown.extend(Number.POSITIVE_INFINITY);
    expect(cooldown.untilMs).toBe(0);
  });

  it('takes at most a day (MAX_COOLDOWN_MS) as the engine uses it', () => {
    expect(MAX_COOLDOWN_MS).toBe(86_400_000);
  });
});

describe('KeyCooldown.waitWithSpread', () => {
  it('adds nothing when the random draw is 0', () => {
    expect(KeyCooldown.waitWithSpread(600, noSpread)).toBe(600);
  });

  it('spreads waiting calls by up to 10% of the wait for short waits', () => {
    expect(KeyCooldown.waitWithSpread(200, () => 0.5)).toBe(210);
    expect(KeyCooldown.waitWithSpread(200, maxSpread)).toBeLessThanOrEqual(220);
  });

  it('caps the spread at 50 ms for long waits', () => {
    expect(KeyCooldown.waitWithSpread(60_000, maxSpread)).toBe(60_050);
  });

  it('gives calls waiting on the same cooldown different return times', () => {
    let seed = 1;
    const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    const waits = Array.from({ length: 20 }, () => KeyCooldown.waitWithSpread(2000, random));
    expect(new Set(waits).size).toBeGreaterThan(10);
  });

  it('survives a broken random source', () => {
    for (const broken of [Number.NaN, -1, Number.POSITIVE_INFINITY]) {
      expect(KeyCooldown.waitWithSpread(100, () => broken)).toBe(100);
    }
  });

  it('never spreads past the call cap or its deadline, and never below the time left', () => {
    expect(KeyCooldown.waitWithSpread(1000, maxSpread, bounds(1020))).toBe(1020);
    expect(KeyCooldown.waitWithSpread(1000, maxSpread, bounds(500))).toBe(1000);
    expect(KeyCooldown.waitWithSpread(1000, maxSpread, bounds(60_000, 1030), 0)).toBe(1030);
    expect(KeyCooldown.waitWithSpread(1000, maxSpread, bounds(60_000, 900), 0)).toBe(1000);
  });

  it('a wait is never NaN, at least the time left, and at most the time left plus 10%', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1e9, noNaN: true }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (left, draw) => {
          const wait = KeyCooldown.waitWithSpread(left, () => draw);
          expect(Number.isNaN(wait)).toBe(false);
          expect(wait).toBeGreaterThanOrEqual(left);
          expect(wait).toBeLessThanOrEqual(left * 1.1 + 0.5);
        },
      ),
    );
  });
});
