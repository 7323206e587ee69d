// Backoff and retry decisions a mutation once changed unnoticed (npm run test:mutation -- retry).
import {
  computeBackoffDelay,
  exponentialCeiling,
  type BackoffSettings,
} from '../../../src/strategies/retry/compute-backoff-delay';
import { decideRetry, type RetrySchedule } from '../../../src/strategies/retry/retry-decision';
import { RetryStage } from '../../../src/strategies/retry/retry-stage';

const SETTINGS: BackoffSettings = { baseDelayMs: 100, maxDelayMs: 500, exponentialBase: 2, jitter: 'none' };

describe('the backoff is always a delay from 0 to maxDelayMs', () => {
  it.each<[string, Partial<BackoffSettings>, number]>([
    ['a NaN base delay gives the cap', { baseDelayMs: Number.NaN }, 500],
    ['a NaN exponential base gives the cap', { exponentialBase: Number.NaN }, 500],
    ['a negative base delay gives 0', { baseDelayMs: -100 }, 0],
  ])('%s', (_label, settings, expected) => {
    expect(exponentialCeiling(2, { ...SETTINGS, ...settings })).toBe(expected);
    expect(computeBackoffDelay(2, { ...SETTINGS, ...settings }, () => 0.5)).toBe(expected);
  });

  it('a random above 1 still stays under the cap (full jitter)', () => {
    expect(computeBackoffDelay(5, { ...SETTINGS, jitter: 'full' }, () => 0.999999)).toBeLessThanOrEqual(500);
  });
});

describe('a Retry-After of 0', () => {
  const schedule: RetrySchedule = {
    ...SETTINGS,
    jitter: 'full',
    maxAttempts: 3,
    respectRetryAfter: true,
    maxRetryAfterMs: 60_000,
  };
  it('is an answer: it set the delay when the backoff is 0 too', () => {
    const decision = decideRetry({
      attempt: 1,
      config: schedule,
      retryable: true,
      retryAfterMs: 0,
      nowMs: 0,
      deadlineMs: undefined,
      random: () => 0,
      previousDelayMs: undefined,
    });
    expect(decision).toEqual({ retry: true, delayMs: 0, source: 'retry-after', backoffMs: 0 });
  });
});

describe('RetryStage.formula', () => {
  it('a retry-after source without a value falls back to the backoff formula', () => {
    const stage = new RetryStage(
      { ...SETTINGS, maxAttempts: 3, respectRetryAfter: true, maxRetryAfterMs: 1000 },
      () => 0,
      undefined,
    );
    expect(stage.formula(2, 'retry-after', undefined)).toBe('0.1 * (2 ** 1)');
  });

  it('a delay the backoff set is named by the backoff formula, even when the error carried a Retry-After', () => {
    const stage = new RetryStage(
      { ...SETTINGS, maxAttempts: 3, respectRetryAfter: false, maxRetryAfterMs: 1000 },
      () => 0,
      undefined,
    );
    expect(stage.formula(2, 'backoff', 1500)).toBe('0.1 * (2 ** 1)');
  });
});
