// Decisions of the retry budget that a mutation once changed unnoticed (npm run test:mutation -- retry-budget).
import { RetryBudget, RetryBudgetOptions, validateRetryBudgetOptions } from '../../../src/strategies/retry-budget';

function budget(input: RetryBudgetOptions = {}): RetryBudget {
  const { value, issues } = validateRetryBudgetOptions(input);
  if (!value) throw new Error(`unexpected: ${issues.map((issue) => issue.message).join('; ')}`);
  return new RetryBudget(value);
}

/** A bucket in an exhaustion episode, with `left` tokens. */
function exhausted(left: number): RetryBudget {
  const bucket = budget({ capacity: 20, retryCost: 5, timeoutCost: 10 });
  bucket.adopt(left);
  expect(bucket.withdraw('timeout')).toEqual({ granted: false, episodeStart: true });
  expect(bucket.exhausted).toBe(true);
  return bucket;
}

describe('RetryBudget: when an exhaustion episode ends', () => {
  it('adopting a balance below the retry cost keeps the episode going', () => {
    const bucket = exhausted(0);
    bucket.adopt(4);
    expect(bucket.exhausted).toBe(true);
    expect(bucket.withdraw('retry')).toEqual({ granted: false, episodeStart: false });
  });

  it('adopting exactly the retry cost ends it', () => {
    const bucket = exhausted(0);
    bucket.adopt(5);
    expect(bucket.exhausted).toBe(false);
  });

  it('adopting a non-finite balance changes nothing, not even the episode', () => {
    const bucket = exhausted(0);
    bucket.adopt(Infinity);
    expect(bucket.available).toBe(0);
    expect(bucket.exhausted).toBe(true);
  });

  it('a refund below the retry cost keeps it going; reaching the cost ends it', () => {
    const bucket = exhausted(3);
    bucket.recordSuccess(1);
    expect(bucket.available).toBe(4);
    expect(bucket.exhausted).toBe(true);
    bucket.recordSuccess(1);
    expect(bucket.available).toBe(5);
    expect(bucket.exhausted).toBe(false);
  });

  it('a withdrawal that is granted does not end an episode by itself, and a paid timeout can start none', () => {
    const bucket = exhausted(9); // 9 < timeoutCost 10, 9 >= retryCost 5
    expect(bucket.withdraw('retry')).toEqual({ granted: true, cost: 5 });
    expect(bucket.exhausted).toBe(true);
  });

  it('outside an episode, adopting a low balance starts none until a refusal', () => {
    const bucket = budget({ capacity: 20, retryCost: 5 });
    bucket.adopt(1);
    expect(bucket.exhausted).toBe(false);
    expect(bucket.available).toBe(1);
  });

  it('a success with nothing paid adds successRefund, capped at capacity', () => {
    const bucket = budget({ capacity: 20, retryCost: 5, successRefund: 2 });
    bucket.adopt(17);
    bucket.recordSuccess(0);
    expect(bucket.available).toBe(19);
    bucket.recordSuccess(0);
    expect(bucket.available).toBe(20);
    bucket.adopt(10);
    bucket.recordSuccess(-1);
    expect(bucket.available).toBe(12);
  });
});
