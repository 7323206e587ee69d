// Decisions of the retry budget that a mutation once changed unnoticed (npm run test:mutation -- retry-budget).
import { RetryBudget, RetryBudgetOptions, validateRetryBudgetOptions } from '../../../src/strategies/retry-budget';
import { KeyBudget } from '../../../src/strategies/retry-budget/key-budget';

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

describe('RetryBudget: construction', () => {
  it('names every issue of hand-built options, or says they are required', () => {
    expect(() => new RetryBudget({ capacity: 0, retryCost: 5, timeoutCost: 10, successRefund: 1 })).toThrow(
      new TypeError('RetryBudget: retryBudget.capacity must be a positive integer (received 0)'),
    );
    expect(() => new RetryBudget(undefined as never)).toThrow(new TypeError('RetryBudget: options are required'));
    expect(() => new RetryBudget({ capacity: 0, retryCost: 5, timeoutCost: 10, successRefund: -1 })).toThrow(
      new TypeError(
        'RetryBudget: retryBudget.capacity must be a positive integer (received 0); retryBudget.successRefund must be a non-negative integer (received -1)',
      ),
    );
  });

  it('a cost above the capacity is an issue; a cost equal to it is not', () => {
    expect(validateRetryBudgetOptions({ capacity: 5, retryCost: 6, timeoutCost: 5 }).issues).toEqual([
      {
        field: 'retryBudget.retryCost',
        message: 'retryBudget.retryCost must be at most retryBudget.capacity (5) (received 6)',
      },
    ]);
    expect(validateRetryBudgetOptions({ capacity: 5, retryCost: 5, timeoutCost: 5 }).issues).toEqual([]);
    // An invalid capacity is reported alone, not compared with the costs.
    expect(validateRetryBudgetOptions({ capacity: -1, retryCost: 600 }).issues.map((issue) => issue.field)).toEqual([
      'retryBudget.capacity',
    ]);
  });
});

describe('KeyBudget', () => {
  function keyBudget() {
    const shared: [string, number, object][] = [];
    const store = { shareBudget: (key: string, delta: number, options: object) => shared.push([key, delta, options]) };
    return { owner: new KeyBudget({ key: 'k', store: () => store as never }), shared };
  }

  it('creates the budget once, with the first options given', () => {
    const { owner } = keyBudget();
    expect(owner.existing()).toBeUndefined();
    const first = owner.budget(resolved({ capacity: 30 }));
    expect(owner.budget(resolved({ capacity: 40 }))).toBe(first);
    expect(owner.existing()).toBe(first);
    expect(first.options.capacity).toBe(30);
  });

  it('a balance heard before the budget exists is kept (at least 0) and taken on creation', () => {
    const { owner } = keyBudget();
    expect(owner.adopt(-4)).toBe(0);
    expect(owner.adopt(7)).toBe(7);
    expect(owner.adopt(Number.NaN)).toBeUndefined();
    expect(owner.adopt('3' as never)).toBeUndefined();
    expect(owner.budget(resolved({ capacity: 30 })).available).toBe(7);
    expect(owner.adopt(99)).toBe(30);
    expect(owner.adopt(Infinity)).toBeUndefined();
    expect(owner.budget().available).toBe(30);
  });

  it('needs a refund only when its budget exists and is not full', () => {
    const { owner } = keyBudget();
    expect(owner.needsRefund()).toBe(false);
    const bucket = owner.budget(resolved({ capacity: 30 }));
    expect(owner.needsRefund()).toBe(false);
    bucket.adopt(29);
    expect(owner.needsRefund()).toBe(true);
  });

  it('refunds share what was refunded, and nothing when the bucket is full', () => {
    const { owner, shared } = keyBudget();
    owner.refund(5); // no budget yet: nothing
    const bucket = owner.budget(resolved({ capacity: 30, retryCost: 5, successRefund: 1 }));
    owner.refund(0);
    expect(shared).toEqual([]);
    bucket.adopt(20);
    owner.refund(5);
    expect(owner.refundFirstAttempt('value')).toBe('value');
    expect(bucket.available).toBe(26);
    expect(shared).toEqual([
      ['k', 5, { capacity: 30, retryCost: 5 }],
      ['k', 1, { capacity: 30, retryCost: 5 }],
    ]);
  });
});

function resolved(input: RetryBudgetOptions) {
  const { value } = validateRetryBudgetOptions(input);
  if (!value) throw new Error('invalid');
  return value;
}
