import fc from 'fast-check';
import { KeyCooldowns } from '../../../src/policies/pacing/cooldown';

const noSpread = () => 0;
const maxSpread = () => 0.999_999;

describe('KeyCooldowns', () => {
  it('has no wait for a key without a cooldown', () => {
    const cooldowns = new KeyCooldowns({ now: () => 0 });
    expect(cooldowns.waitMs('a', 0, maxSpread)).toBe(0);
  });

  it('returns the time left, plus nothing when the random draw is 0', () => {
    const cooldowns = new KeyCooldowns({ now: () => 0 });
    cooldowns.extend('a', 1000);
    expect(cooldowns.waitMs('a', 400, noSpread)).toBe(600);
  });

  it('spreads waiting calls by up to 10% of the wait for short waits', () => {
    const cooldowns = new KeyCooldowns({ now: () => 0 });
    cooldowns.extend('a', 200);
    expect(cooldowns.waitMs('a', 0, () => 0.5)).toBeCloseTo(210, 9);
    expect(cooldowns.waitMs('a', 0, maxSpread)).toBeLessThan(220);
  });

  it('caps the spread at 50 ms for long waits', () => {
    const cooldowns = new KeyCooldowns({ now: () => 0 });
    cooldowns.extend('a', 60_000);
    expect(cooldowns.waitMs('a', 0, maxSpread)).toBeGreaterThan(60_049);
    expect(cooldowns.waitMs('a', 0, maxSpread)).toBeLessThan(60_050);
  });

  it('gives calls waiting on the same cooldown different return times', () => {
    let seed = 1;
    const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    const cooldowns = new KeyCooldowns({ now: () => 0, random });
    cooldowns.extend('a', 2000);
    const waits = Array.from({ length: 20 }, () => Math.floor(cooldowns.waitMs('a', 0)));
    expect(new Set(waits).size).toBeGreaterThan(10);
  });

  it('keeps the later deadline', () => {
    const cooldowns = new KeyCooldowns({ now: () => 0 });
    cooldowns.extend('a', 1000);
    cooldowns.extend('a', 500);
    expect(cooldowns.deadline('a')).toBe(1000);
    cooldowns.extend('a', 1500);
    expect(cooldowns.deadline('a')).toBe(1500);
  });

  it('keeps keys apart', () => {
    const cooldowns = new KeyCooldowns({ now: () => 0 });
    cooldowns.extend('a', 1000);
    expect(cooldowns.waitMs('b', 0, noSpread)).toBe(0);
  });

  it('clear ends a cooldown at once', () => {
    const cooldowns = new KeyCooldowns({ now: () => 0 });
    cooldowns.extend('a', 1000);
    cooldowns.clear('a');
    expect(cooldowns.waitMs('a', 0, noSpread)).toBe(0);
    expect(cooldowns.size).toBe(0);
  });

  it('drops an entry once it has expired', () => {
    const cooldowns = new KeyCooldowns({ now: () => 0 });
    cooldowns.extend('a', 1000);
    expect(cooldowns.waitMs('a', 1000, maxSpread)).toBe(0);
    expect(cooldowns.size).toBe(0);
    expect(cooldowns.deadline('a')).toBeUndefined();
  });

  it('ignores non-finite deadlines and survives a broken random source', () => {
    const cooldowns = new KeyCooldowns({ now: () => 0 });
    cooldowns.extend('a', Number.NaN);
    cooldowns.extend('b', Number.POSITIVE_INFINITY);
    expect(cooldowns.size).toBe(0);
    cooldowns.extend('c', 100);
    for (const broken of [Number.NaN, -1, 1, 7]) expect(cooldowns.waitMs('c', 0, () => broken)).toBe(100);
  });

  it('does not grow without bound when many keys cool down and expire', () => {
    let now = 0;
    const cooldowns = new KeyCooldowns({ now: () => now });
    let largest = 0;
    for (let i = 0; i < 100_000; i++) {
      cooldowns.extend(`key-${i}`, now + 50);
      now += 1; // about 50 keys are live at any moment; none is ever read again
      largest = Math.max(largest, cooldowns.size);
    }
    expect(largest).toBeLessThanOrEqual(200);
  });

  it('a wait is never negative or NaN, and at most the time left plus 10%', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -1e9, max: 1e9, noNaN: true }),
        fc.double({ min: -1e9, max: 1e9 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (until, now, draw) => {
          const cooldowns = new KeyCooldowns({ now: () => 0 });
          cooldowns.extend('k', until);
          const wait = cooldowns.waitMs('k', now, () => draw);
          expect(Number.isNaN(wait)).toBe(false);
          expect(wait).toBeGreaterThanOrEqual(0);
          if (until > now) expect(wait).toBeLessThanOrEqual((until - now) * 1.1 + 1e-6);
          else expect(wait).toBe(0);
        },
      ),
    );
  });
});
