import type { ErrorClassification } from '../../../src/classification/failure-kind';
import type { RetryDecision, RetrySchedule } from '../../../src/strategies/retry/retry-decision';
import { RetryStage } from '../../../src/strategies/retry/retry-stage';
import type { AttemptFailure } from '../../../src/strategies/stage';
import { FakeCall as BaseCall, NOW } from '../support';

class FakeCall extends BaseCall {
  constructor(attempt = 1) {
    super();
    this.attempt = attempt;
  }
}

const SCHEDULE: RetrySchedule = {
  maxAttempts: 3,
  respectRetryAfter: true,
  maxRetryAfterMs: 60_000,
  baseDelayMs: 1000,
  maxDelayMs: 30_000,
  exponentialBase: 2,
  jitter: 'none',
};

/** The decision the loop starts from, before any stage decided (as the engine's UNDECIDED). */
const UNDECIDED: RetryDecision = { retry: false, reason: 'not_retryable' };

function failure(classification: Partial<ErrorClassification> = {}): AttemptFailure {
  return {
    error: new Error('upstream failed'),
    classification: { kind: 'server', retryable: true, reason: 'status 503', ...classification },
    headers: undefined,
    decision: { ...UNDECIDED },
  };
}

/** The decision the stage takes for a failure of `attempt`. */
function decide(stage: RetryStage, attempt: number, classification: Partial<ErrorClassification> = {}): RetryDecision {
  const failed = failure(classification);
  stage.afterFailure(new FakeCall(attempt), failed);
  return failed.decision;
}

/** A small seeded generator (mulberry32): the same draws on every run. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const noJitter = () => 0;

beforeEach(() => {
  jest.useFakeTimers();
  jest.setSystemTime(NOW);
});

afterEach(() => {
  jest.useRealTimers();
});

describe('RetryStage.afterFailure', () => {
  it('decides to retry a retryable failure with attempts left, after the exponential backoff', () => {
    const stage = new RetryStage(SCHEDULE, noJitter, undefined);
    expect(decide(stage, 1)).toEqual({ retry: true, delayMs: 1000, source: 'backoff', backoffMs: 1000 });
    expect(decide(stage, 2)).toEqual({ retry: true, delayMs: 2000, source: 'backoff', backoffMs: 2000 });
  });

  it('gives up at the last attempt (max_attempts)', () => {
    const stage = new RetryStage(SCHEDULE, noJitter, undefined);
    expect(decide(stage, 3)).toEqual({ retry: false, reason: 'max_attempts' });
  });

  it('gives up on a failure that is not retryable (not_retryable), even with attempts left', () => {
    const stage = new RetryStage(SCHEDULE, noJitter, undefined);
    const failed = failure({ kind: 'bad_request', retryable: false, reason: 'status 400' });
    // Whatever the loop started from, the stage sets its own verdict.
    failed.decision = { retry: true, delayMs: 1, source: 'backoff', backoffMs: 1 };
    stage.afterFailure(new FakeCall(1), failed);
    expect(failed.decision).toEqual({ retry: false, reason: 'not_retryable' });
  });

  it('waits for a Retry-After within maxRetryAfterMs when it is longer than the backoff', () => {
    const stage = new RetryStage(SCHEDULE, noJitter, undefined);
    expect(decide(stage, 1, { kind: 'rate_limit', retryAfterMs: 5000 })).toEqual({
      retry: true,
      delayMs: 5000,
      source: 'retry-after',
      backoffMs: 1000,
    });
  });

  it('gives up when the Retry-After is above maxRetryAfterMs (retry_after_exceeds_max)', () => {
    const stage = new RetryStage(SCHEDULE, noJitter, undefined);
    expect(decide(stage, 1, { kind: 'rate_limit', retryAfterMs: 60_001 })).toEqual({
      retry: false,
      reason: 'retry_after_exceeds_max',
    });
    expect(decide(stage, 1, { kind: 'rate_limit', retryAfterMs: 60_000 })).toMatchObject({
      retry: true,
      delayMs: 60_000,
    });
  });

  it('ignores the Retry-After when the schedule does not respect it', () => {
    const stage = new RetryStage({ ...SCHEDULE, respectRetryAfter: false }, noJitter, undefined);
    expect(decide(stage, 1, { kind: 'rate_limit', retryAfterMs: 120_000 })).toEqual({
      retry: true,
      delayMs: 1000,
      source: 'backoff',
      backoffMs: 1000,
    });
  });

  it('gives up when the delay would end after the deadline (deadline)', () => {
    const stage = new RetryStage(SCHEDULE, noJitter, NOW + 999);
    expect(decide(stage, 1)).toEqual({ retry: false, reason: 'deadline' });
  });

  it('retries when the delay ends exactly at the deadline', () => {
    const stage = new RetryStage(SCHEDULE, noJitter, NOW + 1000);
    expect(decide(stage, 1)).toMatchObject({ retry: true, delayMs: 1000 });
  });

  it('measures the deadline from the time of the failure', () => {
    const stage = new RetryStage(SCHEDULE, noJitter, NOW + 5000);
    expect(decide(stage, 1)).toMatchObject({ retry: true, delayMs: 1000 });
    jest.setSystemTime(NOW + 3500);
    // 2000 ms of backoff from NOW + 3500 ends after NOW + 5000.
    expect(decide(stage, 2)).toEqual({ retry: false, reason: 'deadline' });
  });

  it('gives up when a Retry-After within the cap would end after the deadline', () => {
    const stage = new RetryStage(SCHEDULE, noJitter, NOW + 4000);
    expect(decide(stage, 1, { kind: 'rate_limit', retryAfterMs: 5000 })).toEqual({ retry: false, reason: 'deadline' });
  });
});

describe('RetryStage with decorrelated jitter', () => {
  const decorrelated: RetrySchedule = {
    ...SCHEDULE,
    maxAttempts: 5,
    baseDelayMs: 100,
    maxDelayMs: 10_000,
    jitter: 'decorrelated',
  };

  it('draws the second backoff from the first one: in [base, 3 x previous]', () => {
    const random = seeded(42);
    const draws = seeded(42);
    const stage = new RetryStage(decorrelated, random, undefined);

    const first = decide(stage, 1);
    const second = decide(stage, 2);

    const r1 = draws();
    const r2 = draws();
    const firstBackoff = 100 + r1 * (3 * 100 - 100);
    const secondBackoff = 100 + r2 * (3 * firstBackoff - 100);
    expect(first).toEqual({
      retry: true,
      delayMs: Math.round(firstBackoff),
      source: 'backoff',
      backoffMs: firstBackoff,
    });
    expect(second).toEqual({
      retry: true,
      delayMs: Math.round(secondBackoff),
      source: 'backoff',
      backoffMs: secondBackoff,
    });
  });

  it('goes beyond 3 x base on the second failure, which only growth from the first can give', () => {
    const stage = new RetryStage(decorrelated, () => 0.9, undefined);
    // First: 100 + 0.9 x (300 - 100) = 280; second: 100 + 0.9 x (840 - 100) = 766.
    expect(decide(stage, 1)).toMatchObject({ retry: true, backoffMs: 280 });
    expect(decide(stage, 2)).toMatchObject({ retry: true, backoffMs: 766 });
  });

  it('keeps growing from the last backoff drawn, not from a give-up', () => {
    const stage = new RetryStage(decorrelated, () => 0.9, undefined);
    decide(stage, 1);
    expect(decide(stage, 2, { retryable: false })).toEqual({ retry: false, reason: 'not_retryable' });
    expect(decide(stage, 3)).toMatchObject({ retry: true, backoffMs: 766 });
  });

  it('keeps one jitter state per stage (per call)', () => {
    const first = new RetryStage(decorrelated, () => 0.9, undefined);
    decide(first, 1);
    decide(first, 2);
    expect(decide(new RetryStage(decorrelated, () => 0.9, undefined), 1)).toMatchObject({ backoffMs: 280 });
  });
});

describe('RetryStage.formula', () => {
  it('describes the backoff after an attempt for the retry_backoff_delay event', () => {
    expect(new RetryStage(SCHEDULE, noJitter, undefined).formula(3, 'backoff', undefined)).toBe('1.0 * (2 ** 2)');
  });

  it("names the server's Retry-After, not an unrelated backoff formula, when that set the delay", () => {
    expect(new RetryStage(SCHEDULE, noJitter, undefined).formula(1, 'retry-after', 2500)).toBe(
      'Retry-After 2.50 s + up to 10% spread',
    );
  });
});
