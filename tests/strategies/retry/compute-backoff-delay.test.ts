import fc from 'fast-check';
import { validRetryConfig } from '../../support/arbitraries';
import { RETRY_DEFAULTS } from '../../../src/config/defaults';
import type { JitterMode } from '../../../src/config/defaults';
import {
  BackoffSettings,
  computeBackoffDelay,
  describeBackoffFormula,
  exponentialCeiling,
} from '../../../src/strategies/retry/compute-backoff-delay';
import { computeBackoffDelay as exported } from '../../../src';

// Deterministic by default; FC_SEED / FC_NUM_RUNS explore further (e.g. FC_SEED=$RANDOM FC_NUM_RUNS=20000).
fc.configureGlobal({
  seed: Number(process.env.FC_SEED ?? 20_240_611),
  ...(process.env.FC_NUM_RUNS ? { numRuns: Number(process.env.FC_NUM_RUNS) } : {}),
});

const EPSILON = Number.EPSILON;
const ALMOST_ONE = 1 - EPSILON;
const fixed = (value: number) => () => value;
const settings = (jitter: JitterMode, overrides: Partial<BackoffSettings> = {}): BackoffSettings => ({
  baseDelayMs: RETRY_DEFAULTS.baseDelayMs,
  maxDelayMs: RETRY_DEFAULTS.maxDelayMs,
  exponentialBase: RETRY_DEFAULTS.exponentialBase,
  jitter,
  ...overrides,
});
const ATTEMPTS = [1, 2, 3, 4, 5, 6, 7];
const sequence = (config: BackoffSettings, random: () => number, attempts = ATTEMPTS) =>
  attempts.map((attempt) => computeBackoffDelay(attempt, config, random));

/** 'none' with the defaults, attempts 1..7. */
const CEILINGS = [1000, 2000, 4000, 8000, 16_000, 30_000, 30_000];

it('is the function the package exports', () => {
  expect(exported).toBe(computeBackoffDelay);
});

describe("'none'", () => {
  it('doubles from 1000 ms up to the 30000 ms cap with the defaults', () => {
    expect(sequence(settings('none'), fixed(0.5))).toEqual(CEILINGS);
  });

  it.each<[string, Partial<BackoffSettings>, number[]]>([
    ['base 100, factor 3', { baseDelayMs: 100, exponentialBase: 3 }, [100, 300, 900, 2700, 8100, 24_300, 30_000]],
    ['factor 1 (constant)', { exponentialBase: 1 }, [1000, 1000, 1000, 1000, 1000, 1000, 1000]],
    ['factor 1.5', { exponentialBase: 1.5 }, [1000, 1500, 2250, 3375, 5062.5, 7593.75, 11_390.625]],
    ['cap equal to base', { baseDelayMs: 500, maxDelayMs: 500 }, [500, 500, 500, 500, 500, 500, 500]],
    ['cap 5000', { maxDelayMs: 5000 }, [1000, 2000, 4000, 5000, 5000, 5000, 5000]],
    [
      'factor 10, cap 300000',
      { exponentialBase: 10, maxDelayMs: 300_000 },
      [1000, 10_000, 100_000, 300_000, 300_000, 300_000, 300_000],
    ],
  ])('%s', (_name, overrides, expected) => {
    expect(sequence(settings('none', overrides), fixed(0.5))).toEqual(expected);
  });

  it('ignores random and previousDelayMs', () => {
    expect(computeBackoffDelay(3, settings('none'), fixed(0), 99_999)).toBe(4000);
    expect(computeBackoffDelay(3, settings('none'), fixed(ALMOST_ONE), 1)).toBe(4000);
  });

  it.each<[string, number, number]>([
    ['attempt 0', 0, 1000],
    ['a negative attempt', -5, 1000],
    ['NaN', NaN, 1000],
    ['Infinity', Infinity, 1000],
    ['-Infinity', -Infinity, 1000],
    ['a fractional attempt (floored)', 2.9, 2000],
    ['attempt 1000', 1000, 30_000],
    ['attempt 1e9', 1e9, 30_000],
  ])('treats %s sanely', (_name, attempt, expected) => {
    expect(computeBackoffDelay(attempt, settings('none'), fixed(0.5))).toBe(expected);
    expect(exponentialCeiling(attempt, settings('none'))).toBe(expected);
  });
});

describe("'full'", () => {
  it.each<[string, number, number[]]>([
    ['0', 0, [0, 0, 0, 0, 0, 0, 0]],
    ['0.5', 0.5, CEILINGS.map((c) => c / 2)],
    ['1 - ε', ALMOST_ONE, CEILINGS.map((c) => c * ALMOST_ONE)],
  ])('random fixed at %s', (_name, random, expected) => {
    const actual = sequence(settings('full'), fixed(random));
    actual.forEach((delay, i) => expect(delay).toBeCloseTo(expected[i], 6));
    actual.forEach((delay, i) => expect(delay).toBeLessThanOrEqual(CEILINGS[i]));
  });

  it('0.25 of each ceiling', () => {
    expect(sequence(settings('full'), fixed(0.25))).toEqual([250, 500, 1000, 2000, 4000, 7500, 7500]);
  });
});

describe("'equal'", () => {
  it.each<[string, number, number[]]>([
    ['0', 0, CEILINGS.map((c) => c / 2)],
    ['0.5', 0.5, CEILINGS.map((c) => c * 0.75)],
    ['1 - ε', ALMOST_ONE, CEILINGS.map((c) => c / 2 + (c * ALMOST_ONE) / 2)],
  ])('random fixed at %s', (_name, random, expected) => {
    const actual = sequence(settings('equal'), fixed(random));
    actual.forEach((delay, i) => expect(delay).toBeCloseTo(expected[i], 6));
    actual.forEach((delay, i) => {
      expect(delay).toBeGreaterThanOrEqual(CEILINGS[i] / 2);
      expect(delay).toBeLessThanOrEqual(CEILINGS[i]);
    });
  });

  it('exact values at 0 and 0.5', () => {
    expect(sequence(settings('equal'), fixed(0))).toEqual([500, 1000, 2000, 4000, 8000, 15_000, 15_000]);
    expect(sequence(settings('equal'), fixed(0.5))).toEqual([750, 1500, 3000, 6000, 12_000, 22_500, 22_500]);
  });
});

describe("'decorrelated': min(maxDelayMs, uniform(baseDelayMs, 3 * previous))", () => {
  it.each<[string, number | undefined, number, number]>([
    ['no previous delay, random 0', undefined, 0, 1000],
    ['no previous delay, random 0.5 -> uniform(1000, 3000)', undefined, 0.5, 2000],
    ['no previous delay, random 1-ε', undefined, ALMOST_ONE, 1000 + ALMOST_ONE * 2000],
    ['previous 1000, random 0.5', 1000, 0.5, 2000],
    ['previous 2000, random 0', 2000, 0, 1000],
    ['previous 2000, random 0.5 -> uniform(1000, 6000)', 2000, 0.5, 3500],
    ['previous 2000, random 1-ε', 2000, ALMOST_ONE, 1000 + ALMOST_ONE * 5000],
    ['previous 5000, random 0.25 -> uniform(1000, 15000)', 5000, 0.25, 4500],
    ['previous 20000, random 0.5 -> capped', 20_000, 0.5, 30_000],
    ['previous 20000, random 0 -> base', 20_000, 0, 1000],
    ['previous 0 -> upper is base', 0, 0.9, 1000],
    ['previous 100 (below base) -> base', 100, 0.7, 1000],
    ['previous negative -> treated as none given', -500, 0.5, 2000],
    ['previous NaN -> treated as none given', NaN, 0.5, 2000],
    ['previous Infinity -> treated as none given', Infinity, 0.5, 2000],
    ['previous 1e300 -> capped', 1e300, 0.5, 30_000],
    ['previous Number.MAX_VALUE, random 0.5 -> capped', Number.MAX_VALUE, 0.5, 30_000],
  ])('%s', (_name, previous, random, expected) => {
    expect(computeBackoffDelay(1, settings('decorrelated'), fixed(random), previous)).toBeCloseTo(expected, 6);
  });

  it('does not depend on the attempt number', () => {
    for (const attempt of [1, 2, 5, 100]) {
      expect(computeBackoffDelay(attempt, settings('decorrelated'), fixed(0.5), 2000)).toBe(3500);
    }
  });

  it('a chain of delays fed back as previous stays within [base, max]', () => {
    const randoms = [0.9, 0.9, 0.9, 0.9, 0.1, 0.5];
    let previous: number | undefined;
    const chain = randoms.map(
      (r, i) => (previous = computeBackoffDelay(i + 1, settings('decorrelated'), fixed(r), previous)),
    );
    expect(chain[0]).toBeCloseTo(2800, 6); // 1000 + 0.9 * 2000
    expect(chain[1]).toBeCloseTo(1000 + 0.9 * (8400 - 1000), 6);
    for (const delay of chain) {
      expect(delay).toBeGreaterThanOrEqual(1000);
      expect(delay).toBeLessThanOrEqual(30_000);
    }
  });
});

describe('random values outside [0, 1]', () => {
  it.each<[string, number, number]>([
    ['NaN -> 0', NaN, 0],
    ['Infinity -> 0', Infinity, 0],
    ['-1 -> 0', -1, 0],
    ['2 -> 1', 2, 1000],
  ])('full jitter, attempt 1: %s', (_name, random, expected) => {
    expect(computeBackoffDelay(1, settings('full'), fixed(random))).toBe(expected);
  });

  it('uses Math.random when no random is given', () => {
    const spy = jest.spyOn(Math, 'random').mockReturnValue(0.5);
    try {
      expect(computeBackoffDelay(2, settings('full'))).toBe(1000);
      expect(spy).toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
  });
});

describe('describeBackoffFormula', () => {
  it.each<[number, Partial<BackoffSettings>, string]>([
    [1, {}, '1.0 * (2 ** 0)'],
    [2, {}, '1.0 * (2 ** 1)'],
    [5, {}, '1.0 * (2 ** 4)'],
    [2, { baseDelayMs: 150 }, '0.15 * (2 ** 1)'],
    [1, { baseDelayMs: 2000 }, '2.0 * (2 ** 0)'],
    [3, { baseDelayMs: 1500, exponentialBase: 1.5 }, '1.5 * (1.5 ** 2)'],
    [3, { baseDelayMs: 100, exponentialBase: 3 }, '0.1 * (3 ** 2)'],
    [0, {}, '1.0 * (2 ** 0)'],
    [-3, {}, '1.0 * (2 ** 0)'],
    [NaN, {}, '1.0 * (2 ** 0)'],
    [Infinity, {}, '1.0 * (2 ** 0)'],
    [2.7, {}, '1.0 * (2 ** 1)'],
  ])('attempt %p with %p -> %s', (attempt, overrides, expected) => {
    expect(describeBackoffFormula(attempt, settings('full', overrides))).toBe(expected);
  });
});

describe('properties', () => {
  /** Any valid backoff configuration (the RetryConfig ranges). */
  const config: fc.Arbitrary<BackoffSettings> = validRetryConfig;
  const attempt = fc.oneof(
    fc.integer({ min: 1, max: 1000 }),
    fc.constantFrom(0, -1, -1000, NaN, Infinity, -Infinity, 0.5, 1e12),
    fc.double(),
  );
  const random = fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom(0, 1, ALMOST_ONE, NaN));
  const previous = fc.oneof(
    fc.constant(undefined),
    fc.constantFrom(0, -1, NaN, Infinity, Number.MAX_VALUE, 1e300),
    fc.double({ min: 0, max: 1e7, noNaN: true }),
    fc.double(),
  );

  it('the delay is finite, >= 0 and <= maxDelayMs', () => {
    fc.assert(
      fc.property(config, attempt, random, previous, (c, a, r, p) => {
        const delay = computeBackoffDelay(a, c, () => r, p);
        expect(Number.isFinite(delay)).toBe(true);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThanOrEqual(c.maxDelayMs);
      }),
    );
  });

  it("'none' is non-decreasing in the attempt number and >= baseDelayMs", () => {
    fc.assert(
      fc.property(config, fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: 1000 }), (c, a, b) => {
        const none = { ...c, jitter: 'none' as const };
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        expect(computeBackoffDelay(lo, none)).toBeLessThanOrEqual(computeBackoffDelay(hi, none));
        expect(computeBackoffDelay(lo, none)).toBeGreaterThanOrEqual(c.baseDelayMs);
      }),
    );
  });

  it("'none' over a whole run of attempts never decreases", () => {
    fc.assert(
      fc.property(config, (c) => {
        const none = { ...c, jitter: 'none' as const };
        let last = 0;
        for (let a = 1; a <= 60; a++) {
          const delay = computeBackoffDelay(a, none);
          expect(delay).toBeGreaterThanOrEqual(last);
          last = delay;
        }
      }),
      { numRuns: 30 },
    );
  });

  it("full jitter is <= the 'none' value; equal jitter is between half of it and it", () => {
    fc.assert(
      fc.property(config, attempt, random, (c, a, r) => {
        const none = computeBackoffDelay(a, { ...c, jitter: 'none' });
        expect(computeBackoffDelay(a, { ...c, jitter: 'full' }, () => r)).toBeLessThanOrEqual(none);
        const equal = computeBackoffDelay(a, { ...c, jitter: 'equal' }, () => r);
        expect(equal).toBeGreaterThanOrEqual(none / 2);
        expect(equal).toBeLessThanOrEqual(none);
      }),
    );
  });

  it('decorrelated jitter is >= baseDelayMs', () => {
    fc.assert(
      fc.property(config, random, previous, (c, r, p) => {
        expect(computeBackoffDelay(1, { ...c, jitter: 'decorrelated' }, () => r, p)).toBeGreaterThanOrEqual(
          c.baseDelayMs,
        );
      }),
    );
  });

  it('describeBackoffFormula reads back to the exponential ceiling (before the cap)', () => {
    fc.assert(
      fc.property(config, fc.integer({ min: 1, max: 30 }), (c, a) => {
        const formula = describeBackoffFormula(a, c);
        const match = /^([\d.e+-]+) \* \(([\d.e+-]+) \*\* (\d+)\)$/.exec(formula);
        expect(match).not.toBeNull();
        const [, seconds, base, exponent] = match!;
        expect(Number(seconds) * 1000).toBeCloseTo(c.baseDelayMs, 6);
        expect(Number(base)).toBe(c.exponentialBase);
        expect(Number(exponent)).toBe(a - 1);
      }),
    );
  });
});

test('decorrelated jitter with random 0 is baseDelayMs, even after a huge previous delay', () => {
  const config = { ...RETRY_DEFAULTS, jitter: 'decorrelated' as const };
  expect(computeBackoffDelay(1, config, () => 0, Number.MAX_VALUE)).toBe(1000);
});
