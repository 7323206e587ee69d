import fc from 'fast-check';
import { numberIn, validRetryConfig } from '../../support/arbitraries';
import { RETRY_DEFAULTS } from '../../../src/config/defaults';
import type { ResolvedRetryConfig } from '../../../src/config/resolve-config';
import { computeBackoffDelay } from '../../../src/strategies/retry/compute-backoff-delay';
import { decideRetry, DecisionInput, RetryDecision } from '../../../src/strategies/retry/retry-decision';

// Deterministic by default; FC_SEED / FC_NUM_RUNS explore further (e.g. FC_SEED=$RANDOM FC_NUM_RUNS=20000).
fc.configureGlobal({
  seed: Number(process.env.FC_SEED ?? 20_240_611),
  ...(process.env.FC_NUM_RUNS ? { numRuns: Number(process.env.FC_NUM_RUNS) } : {}),
});

const ALMOST_ONE = 1 - Number.EPSILON;
const NOW = 1_700_000_000_000;

/** `jitter: 'none'` so that the backoff is 1000, 2000, 4000 ms and `random` only drives the Retry-After spread. */
const BASE_CONFIG: ResolvedRetryConfig = { ...RETRY_DEFAULTS, jitter: 'none' };

/** Returns the given values in turn (the last one repeatedly). */
function randoms(...values: number[]): () => number {
  let i = 0;
  return () => values[Math.min(i++, values.length - 1)];
}

interface Case {
  attempt?: number;
  config?: Partial<ResolvedRetryConfig>;
  retryable?: boolean;
  retryAfterMs?: number;
  nowMs?: number;
  deadlineMs?: number;
  random?: number | number[];
  previousDelayMs?: number;
}

function decide(c: Case): RetryDecision {
  const random = c.random === undefined ? 0.5 : c.random;
  const input: DecisionInput = {
    attempt: c.attempt ?? 1,
    config: { ...BASE_CONFIG, ...c.config },
    retryable: c.retryable ?? true,
    retryAfterMs: c.retryAfterMs,
    nowMs: c.nowMs ?? NOW,
    deadlineMs: c.deadlineMs,
    random: Array.isArray(random) ? randoms(...random) : () => random,
    previousDelayMs: c.previousDelayMs,
  };
  return decideRetry(input);
}

describe('giving up', () => {
  it.each<[string, Case, RetryDecision]>([
    ['not retryable', { retryable: false }, { retry: false, reason: 'not_retryable' }],
    [
      'not retryable, even with a Retry-After',
      { retryable: false, retryAfterMs: 500 },
      { retry: false, reason: 'not_retryable' },
    ],
    ['not retryable beats max_attempts', { retryable: false, attempt: 3 }, { retry: false, reason: 'not_retryable' }],
    [
      'not retryable beats retry_after_exceeds_max',
      { retryable: false, retryAfterMs: 1e9 },
      { retry: false, reason: 'not_retryable' },
    ],
    ['attempt 3 of 3', { attempt: 3 }, { retry: false, reason: 'max_attempts' }],
    ['attempt 4 of 3', { attempt: 4 }, { retry: false, reason: 'max_attempts' }],
    ['attempt 1 of 1', { attempt: 1, config: { maxAttempts: 1 } }, { retry: false, reason: 'max_attempts' }],
    ['attempt 10 of 10', { attempt: 10, config: { maxAttempts: 10 } }, { retry: false, reason: 'max_attempts' }],
    [
      'max_attempts beats retry_after_exceeds_max',
      { attempt: 3, retryAfterMs: 1e9 },
      { retry: false, reason: 'max_attempts' },
    ],
    ['max_attempts beats deadline', { attempt: 3, deadlineMs: NOW - 1 }, { retry: false, reason: 'max_attempts' }],
    [
      'Retry-After above maxRetryAfterMs',
      { retryAfterMs: 60_001 },
      { retry: false, reason: 'retry_after_exceeds_max' },
    ],
    ['Retry-After of an hour', { retryAfterMs: 3_600_000 }, { retry: false, reason: 'retry_after_exceeds_max' }],
    ['Retry-After Infinity', { retryAfterMs: Infinity }, { retry: false, reason: 'retry_after_exceeds_max' }],
    [
      'Retry-After 1 with maxRetryAfterMs 0',
      { retryAfterMs: 1, config: { maxRetryAfterMs: 0 } },
      { retry: false, reason: 'retry_after_exceeds_max' },
    ],
    [
      'retry_after_exceeds_max beats deadline',
      { retryAfterMs: 70_000, deadlineMs: NOW },
      { retry: false, reason: 'retry_after_exceeds_max' },
    ],
  ])('%s', (_name, c, expected) => {
    expect(decide(c)).toEqual(expected);
  });
});

describe('retrying on the backoff schedule', () => {
  it.each<[string, Case, RetryDecision]>([
    ['attempt 1 -> 1000 ms', { attempt: 1 }, { retry: true, delayMs: 1000, source: 'backoff', backoffMs: 1000 }],
    ['attempt 2 -> 2000 ms', { attempt: 2 }, { retry: true, delayMs: 2000, source: 'backoff', backoffMs: 2000 }],
    [
      'attempt 9 of 10 -> capped',
      { attempt: 9, config: { maxAttempts: 10 } },
      { retry: true, delayMs: 30_000, source: 'backoff', backoffMs: 30_000 },
    ],
    [
      'full jitter, random 0.5 -> 500',
      { config: { jitter: 'full' } },
      { retry: true, delayMs: 500, source: 'backoff', backoffMs: 500 },
    ],
    [
      'full jitter, random 0 -> 0',
      { config: { jitter: 'full' }, random: 0 },
      { retry: true, delayMs: 0, source: 'backoff', backoffMs: 0 },
    ],
    [
      'equal jitter, attempt 2, random 0.5 -> 1500',
      { attempt: 2, config: { jitter: 'equal' } },
      { retry: true, delayMs: 1500, source: 'backoff', backoffMs: 1500 },
    ],
    [
      'decorrelated, previous 2000, random 0.5 -> 3500',
      { config: { jitter: 'decorrelated' }, previousDelayMs: 2000 },
      { retry: true, delayMs: 3500, source: 'backoff', backoffMs: 3500 },
    ],
  ])('%s', (_name, c, expected) => {
    expect(decide(c)).toEqual(expected);
  });

  it('backoffMs is what computeBackoffDelay gives for the same inputs', () => {
    const config = { ...BASE_CONFIG, jitter: 'full' as const };
    const decision = decide({ attempt: 2, config, random: 0.3 });
    expect(decision).toMatchObject({ retry: true, backoffMs: computeBackoffDelay(2, config, () => 0.3) });
  });
});

describe('Retry-After', () => {
  it.each<[string, Case, RetryDecision]>([
    // Larger than the backoff: delay = retryAfter + random * 10% * retryAfter, source retry-after.
    [
      '5000 > backoff 1000, random 0',
      { retryAfterMs: 5000, random: 0 },
      { retry: true, delayMs: 5000, source: 'retry-after', backoffMs: 1000 },
    ],
    [
      '5000 > backoff 1000, random 0.5',
      { retryAfterMs: 5000, random: 0.5 },
      { retry: true, delayMs: 5250, source: 'retry-after', backoffMs: 1000 },
    ],
    [
      '5000 > backoff 1000, random 1-ε',
      { retryAfterMs: 5000, random: ALMOST_ONE },
      { retry: true, delayMs: 5500, source: 'retry-after', backoffMs: 1000 },
    ],
    [
      '20000 > backoff 4000 (attempt 3 of 4), random 0.25',
      { attempt: 3, config: { maxAttempts: 4 }, retryAfterMs: 20_000, random: 0.25 },
      { retry: true, delayMs: 20_500, source: 'retry-after', backoffMs: 4000 },
    ],
    [
      'equal to maxRetryAfterMs is obeyed, with no spread past the cap',
      { retryAfterMs: 60_000, random: 0.5 },
      { retry: true, delayMs: 60_000, source: 'retry-after', backoffMs: 1000 },
    ],
    [
      'near maxRetryAfterMs: the spread stops at the cap',
      { retryAfterMs: 59_000, random: 0.9 },
      { retry: true, delayMs: 60_000, source: 'retry-after', backoffMs: 1000 },
    ],
    [
      'equal to the backoff counts as retry-after',
      { attempt: 2, retryAfterMs: 2000, random: 0.5 },
      { retry: true, delayMs: 2100, source: 'retry-after', backoffMs: 2000 },
    ],
    [
      '0 with maxRetryAfterMs 0',
      { retryAfterMs: 0, config: { maxRetryAfterMs: 0 }, random: 0.5 },
      { retry: true, delayMs: 1000, source: 'backoff', backoffMs: 1000 },
    ],
    // Smaller than the backoff: the backoff wins, plus the same jitter share of the Retry-After.
    [
      '1000 < backoff 2000, random 0',
      { attempt: 2, retryAfterMs: 1000, random: 0 },
      { retry: true, delayMs: 2000, source: 'backoff', backoffMs: 2000 },
    ],
    [
      '1000 < backoff 2000, random 0.5',
      { attempt: 2, retryAfterMs: 1000, random: 0.5 },
      { retry: true, delayMs: 2050, source: 'backoff', backoffMs: 2000 },
    ],
    [
      '1000 < backoff 2000, random 1-ε',
      { attempt: 2, retryAfterMs: 1000, random: ALMOST_ONE },
      { retry: true, delayMs: 2100, source: 'backoff', backoffMs: 2000 },
    ],
    ['0 < backoff 1000', { retryAfterMs: 0 }, { retry: true, delayMs: 1000, source: 'backoff', backoffMs: 1000 }],
    // Full jitter: the first random draw is the backoff's, the second the spread's.
    [
      'full jitter: 400 < backoff 500',
      { config: { jitter: 'full' }, retryAfterMs: 400, random: [0.5, 0.5] },
      { retry: true, delayMs: 520, source: 'backoff', backoffMs: 500 },
    ],
    [
      'full jitter: 800 > backoff 100',
      { config: { jitter: 'full' }, retryAfterMs: 800, random: [0.1, 1] },
      { retry: true, delayMs: 880, source: 'retry-after', backoffMs: 100 },
    ],
    // A random value outside [0, 1] is clamped; NaN counts as 0.
    [
      'random 2 is clamped to 1',
      { retryAfterMs: 5000, random: 2 },
      { retry: true, delayMs: 5500, source: 'retry-after', backoffMs: 1000 },
    ],
    [
      'random NaN counts as 0',
      { retryAfterMs: 5000, random: NaN },
      { retry: true, delayMs: 5000, source: 'retry-after', backoffMs: 1000 },
    ],
  ])('%s', (_name, c, expected) => {
    expect(decide(c)).toEqual(expected);
  });

  it.each<[string, number]>([
    ['smaller than the backoff', 500],
    ['larger than the backoff', 5000],
    ['above maxRetryAfterMs', 60_001],
    ['far above maxRetryAfterMs', 1e9],
    ['Infinity', Infinity],
  ])('respectRetryAfter false ignores a Retry-After %s', (_name, retryAfterMs) => {
    expect(decide({ retryAfterMs, config: { respectRetryAfter: false } })).toEqual({
      retry: true,
      delayMs: 1000,
      source: 'backoff',
      backoffMs: 1000,
    });
  });

  it('respectRetryAfter false draws no spread', () => {
    const random = jest.fn(() => 0.5);
    const config = { ...BASE_CONFIG, respectRetryAfter: false };
    decideRetry({
      attempt: 1,
      config,
      retryable: true,
      retryAfterMs: 5000,
      nowMs: NOW,
      deadlineMs: undefined,
      random,
      previousDelayMs: undefined,
    });
    expect(random).not.toHaveBeenCalled(); // 'none' jitter, no Retry-After: no randomness at all
  });
});

describe('the deadline (totalTimeoutMs)', () => {
  it.each<[string, Case, RetryDecision]>([
    ['no deadline', { deadlineMs: undefined }, { retry: true, delayMs: 1000, source: 'backoff', backoffMs: 1000 }],
    [
      'sleep ends exactly at the deadline -> retry',
      { deadlineMs: NOW + 1000 },
      { retry: true, delayMs: 1000, source: 'backoff', backoffMs: 1000 },
    ],
    ['sleep ends 1 ms past the deadline', { deadlineMs: NOW + 999 }, { retry: false, reason: 'deadline' }],
    ['deadline already passed', { deadlineMs: NOW - 1 }, { retry: false, reason: 'deadline' }],
    [
      'deadline now, zero delay -> retry',
      { deadlineMs: NOW, config: { jitter: 'full' }, random: 0 },
      { retry: true, delayMs: 0, source: 'backoff', backoffMs: 0 },
    ],
    [
      'deadline passed, zero delay',
      { deadlineMs: NOW - 1, config: { jitter: 'full' }, random: 0 },
      { retry: false, reason: 'deadline' },
    ],
    [
      'Retry-After with its spread ends exactly at the deadline',
      { retryAfterMs: 5000, random: 0.5, deadlineMs: NOW + 5250 },
      { retry: true, delayMs: 5250, source: 'retry-after', backoffMs: 1000 },
    ],
    [
      'Retry-After spread pushes past the deadline',
      { retryAfterMs: 5000, random: 0.5, deadlineMs: NOW + 5249 },
      { retry: false, reason: 'deadline' },
    ],
    [
      'Retry-After alone pushes past the deadline',
      { retryAfterMs: 5000, random: 0, deadlineMs: NOW + 4999 },
      { retry: false, reason: 'deadline' },
    ],
    // The comparison uses the rounded delay: 500.4 ms rounds to 500.
    [
      'rounded delay ends at the deadline',
      { config: { jitter: 'full' }, random: 0.5004, deadlineMs: NOW + 500 },
      { retry: true, delayMs: 500, source: 'backoff', backoffMs: 500.4 },
    ],
    [
      'ignored Retry-After does not count toward the deadline',
      { retryAfterMs: 50_000, config: { respectRetryAfter: false }, deadlineMs: NOW + 1000 },
      { retry: true, delayMs: 1000, source: 'backoff', backoffMs: 1000 },
    ],
  ])('%s', (_name, c, expected) => {
    expect(decide(c)).toEqual(expected);
  });
});

describe('whole milliseconds', () => {
  it.each<[string, Case, number]>([
    ['full jitter 0.3333', { config: { jitter: 'full' }, random: 0.3333 }, 333],
    ['full jitter 0.0005 rounds up', { config: { jitter: 'full' }, random: 0.0005 }, 1],
    ['fractional Retry-After', { retryAfterMs: 1500.4, random: 0 }, 1500],
    ['fractional Retry-After spread', { retryAfterMs: 1234, random: 0.5 }, 1296],
    ['fractional base delay', { config: { baseDelayMs: 100.7 } }, 101],
  ])('%s -> %p', (_name, c, delayMs) => {
    const decision = decide(c);
    expect(decision).toMatchObject({ retry: true, delayMs });
  });
});

describe('properties', () => {
  const num = numberIn;
  const config: fc.Arbitrary<ResolvedRetryConfig> = validRetryConfig;
  /** What parseRetryAfterMs can produce: undefined, or a finite non-negative number. */
  const retryAfterMs = fc.option(fc.oneof(num(0, 4_000_000), fc.constantFrom(0, 0.4, 1e12)), { nil: undefined });
  const random = fc.oneof(
    fc.double({ min: 0, max: 1, noNaN: true }),
    fc.constantFrom(0, ALMOST_ONE, 1, NaN, -1, 2, Infinity),
  );
  const previous = fc.option(fc.oneof(num(0, 300_000), fc.constantFrom(-1, NaN, Infinity, 1e300)), { nil: undefined });
  const input: fc.Arbitrary<DecisionInput> = fc
    .record({
      config,
      attempt: fc.oneof(fc.integer({ min: 1, max: 12 }), fc.constantFrom(0, -1, NaN, Infinity)),
      retryable: fc.boolean(),
      retryAfterMs,
      nowMs: fc.integer({ min: 0, max: 4_000_000_000_000 }),
      deadlineOffset: fc.option(fc.integer({ min: -10_000, max: 10_000_000 }), { nil: undefined }),
      randomValues: fc.array(random, { minLength: 1, maxLength: 3 }),
      previousDelayMs: previous,
    })
    .map(({ deadlineOffset, randomValues, ...rest }) => ({
      ...rest,
      deadlineMs: deadlineOffset === undefined ? undefined : rest.nowMs + deadlineOffset,
      random: randoms(...randomValues),
    }));

  it('a delay is never negative, never NaN, always a whole number of ms', () => {
    fc.assert(
      fc.property(input, (i) => {
        const decision = decideRetry(i);
        if (!decision.retry) return;
        expect(Number.isInteger(decision.delayMs)).toBe(true);
        expect(decision.delayMs).toBeGreaterThanOrEqual(0);
        expect(Number.isNaN(decision.backoffMs)).toBe(false);
      }),
    );
  });

  it('a retry always fits before the deadline and within maxAttempts; a give-up has a reason', () => {
    fc.assert(
      fc.property(input, (i) => {
        fc.pre(!Number.isNaN(i.attempt)); // the engine counts attempts; NaN is only in the first property
        const decision = decideRetry(i);
        if (decision.retry) {
          expect(i.retryable).toBe(true);
          expect(i.attempt < i.config.maxAttempts).toBe(true);
          if (i.deadlineMs !== undefined) expect(i.nowMs + decision.delayMs).toBeLessThanOrEqual(i.deadlineMs);
        } else {
          expect(['not_retryable', 'max_attempts', 'retry_after_exceeds_max', 'deadline']).toContain(decision.reason);
          if (!i.retryable) expect(decision.reason).toBe('not_retryable');
        }
      }),
    );
  });

  it('the delay is the backoff, or the Retry-After, plus at most 10% of the Retry-After', () => {
    fc.assert(
      fc.property(input, (i) => {
        fc.pre(!Number.isNaN(i.attempt));
        const decision = decideRetry({ ...i, deadlineMs: undefined, retryable: true });
        if (!decision.retry) {
          expect(
            !(i.attempt < i.config.maxAttempts) ||
              (i.config.respectRetryAfter && i.retryAfterMs !== undefined && i.retryAfterMs > i.config.maxRetryAfterMs),
          ).toBe(true);
          return;
        }
        const obeyed = i.config.respectRetryAfter ? i.retryAfterMs : undefined;
        expect(decision.backoffMs).toBeLessThanOrEqual(i.config.maxDelayMs);
        if (obeyed === undefined) {
          expect(decision.source).toBe('backoff');
          expect(decision.delayMs).toBe(Math.round(decision.backoffMs));
        } else {
          const floor = Math.max(decision.backoffMs, obeyed);
          expect(decision.source).toBe(obeyed >= decision.backoffMs ? 'retry-after' : 'backoff');
          expect(decision.delayMs).toBeGreaterThanOrEqual(Math.floor(floor));
          expect(decision.delayMs).toBeLessThanOrEqual(Math.ceil(floor + 0.1 * obeyed));
          expect(obeyed).toBeLessThanOrEqual(i.config.maxRetryAfterMs);
        }
      }),
    );
  });
});

describe('defensive inputs', () => {
  const base = { attempt: 1, config: { ...RETRY_DEFAULTS }, retryable: true, nowMs: 0, previousDelayMs: undefined };
  it('ignores a NaN Retry-After instead of sleeping NaN or skipping the deadline', () => {
    expect(decideRetry({ ...base, retryAfterMs: Number.NaN, deadlineMs: 10, random: () => 0.5 })).toEqual({
      retry: false,
      reason: 'deadline',
    });
  });

  it('ignores a negative Retry-After', () => {
    const decision = decideRetry({ ...base, retryAfterMs: -5000, deadlineMs: undefined, random: () => 0 });
    expect(decision).toEqual({ retry: true, delayMs: 0, source: 'backoff', backoffMs: 0 });
  });
});
