import fc from 'fast-check';
import {
  RETRY_BUDGET_DEFAULTS,
  ResolvedRetryBudgetOptions,
  RetryBudget,
  RetryBudgetOptions,
  validateRetryBudgetOptions,
} from '../../../src/strategies/retry-budget';

function budget(input: RetryBudgetOptions = {}): RetryBudget {
  const { value, issues } = validateRetryBudgetOptions(input);
  if (!value) throw new Error(`unexpected: ${issues.map((issue) => issue.message).join('; ')}`);
  return new RetryBudget(value);
}

describe('RetryBudget: withdrawals', () => {
  it('starts full', () => {
    expect(budget().available).toBe(500);
    expect(budget({ capacity: 42, retryCost: 5, timeoutCost: 10 }).available).toBe(42);
  });

  it.each<['retry' | 'timeout', number]>([
    ['retry', 5],
    ['timeout', 10],
  ])('a %s costs %i tokens', (kind, cost) => {
    const bucket = budget();
    expect(bucket.withdraw(kind)).toEqual({ granted: true, cost });
    expect(bucket.available).toBe(500 - cost);
  });

  it('refuses what it cannot pay, and still pays a cheaper retry', () => {
    const bucket = budget({ capacity: 12 });
    const answers = [
      bucket.withdraw('retry'), // 12 -> 7
      bucket.withdraw('timeout'), // 10 > 7: refused
      bucket.withdraw('retry'), // 7 -> 2
      bucket.withdraw('retry'), // 5 > 2: refused
    ];
    expect(answers).toEqual([
      { granted: true, cost: 5 },
      { granted: false, episodeStart: true },
      { granted: true, cost: 5 },
      { granted: false, episodeStart: false },
    ]);
    expect(bucket.available).toBe(2);
    expect(bucket.exhausted).toBe(true);
  });

  it('takes nothing on a refusal: a partial balance is never spent', () => {
    const bucket = budget({ capacity: 12 });
    bucket.withdraw('retry'); // 7
    for (let i = 0; i < 10; i++) expect(bucket.withdraw('timeout').granted).toBe(false);
    expect(bucket.available).toBe(7);
  });
});

describe('RetryBudget: exhaustion episodes', () => {
  it('marks only the first refusal of an episode, and starts a new one after refunds', () => {
    const bucket = budget({ capacity: 10 });
    bucket.withdraw('retry');
    bucket.withdraw('retry'); // empty
    const refusals = [1, 2, 3].map(() => bucket.withdraw('retry'));
    expect(refusals).toEqual([
      { granted: false, episodeStart: true },
      { granted: false, episodeStart: false },
      { granted: false, episodeStart: false },
    ]);

    for (let i = 0; i < 4; i++) bucket.recordSuccess(0); // 4 tokens: still cannot pay 5
    expect(bucket.exhausted).toBe(true);
    expect(bucket.withdraw('retry')).toEqual({ granted: false, episodeStart: false });

    bucket.recordSuccess(0); // 5 tokens: the episode ends
    expect(bucket.exhausted).toBe(false);
    expect(bucket.withdraw('retry')).toEqual({ granted: true, cost: 5 });
    expect(bucket.withdraw('retry')).toEqual({ granted: false, episodeStart: true }); // a new episode
  });

  it('is not ended by a withdrawal, only by refunds', () => {
    const bucket = budget({ capacity: 12 });
    bucket.withdraw('retry'); // 7
    expect(bucket.withdraw('timeout')).toEqual({ granted: false, episodeStart: true });
    expect(bucket.withdraw('retry')).toEqual({ granted: true, cost: 5 }); // 2
    expect(bucket.withdraw('timeout')).toEqual({ granted: false, episodeStart: false });
  });
});

describe('RetryBudget: refunds', () => {
  it.each<[string, number, number]>([
    ['a call that paid for retries gets back what it paid', 15, 485 + 15],
    ['a call without retries adds successRefund', 0, 485 + 1],
    ['a negative amount counts as no retries', -5, 485 + 1],
    ['NaN counts as no retries', NaN, 485 + 1],
    ['never above capacity', 1000, 500],
    ['never above capacity, even for Infinity', Infinity, 500],
  ])('%s', (_label, paid, expected) => {
    const bucket = budget();
    for (let i = 0; i < 3; i++) bucket.withdraw('retry'); // 485
    bucket.recordSuccess(paid);
    expect(bucket.available).toBe(expected);
  });

  it('does not refill on plain successes with successRefund 0', () => {
    const bucket = budget({ successRefund: 0 });
    bucket.withdraw('retry');
    bucket.recordSuccess(0);
    expect(bucket.available).toBe(495);
  });

  it('stays full when full', () => {
    const bucket = budget();
    bucket.recordSuccess(0);
    expect(bucket.available).toBe(500);
  });
});

describe('RetryBudget: the AWS SDK standard-mode scenario', () => {
  it('pays 100 retries from 500 tokens at 5 each, refuses the 101st, and refills on success', () => {
    const bucket = budget();
    for (let i = 0; i < 100; i++) expect(bucket.withdraw('retry')).toEqual({ granted: true, cost: 5 });
    expect(bucket.available).toBe(0);
    expect(bucket.withdraw('retry')).toEqual({ granted: false, episodeStart: true });
    expect(bucket.withdraw('timeout')).toEqual({ granted: false, episodeStart: false });

    // The upstream recovers: five first-try successes buy one retry again.
    for (let i = 0; i < 5; i++) bucket.recordSuccess(0);
    expect(bucket.available).toBe(5);
    expect(bucket.withdraw('retry')).toEqual({ granted: true, cost: 5 });
    bucket.recordSuccess(5); // that call recovered: its retry is refunded
    expect(bucket.available).toBe(5);

    // Sustained success fills the bucket back up to capacity, not beyond.
    for (let i = 0; i < 1000; i++) bucket.recordSuccess(0);
    expect(bucket.available).toBe(500);
  });

  it('pays half as many retries after timeouts', () => {
    const bucket = budget();
    let granted = 0;
    while (bucket.withdraw('timeout').granted) granted++;
    expect(granted).toBe(50);
  });
});

describe('RetryBudget: constructor', () => {
  it.each<[string, unknown]>([
    ['a cost above capacity', { ...RETRY_BUDGET_DEFAULTS, retryCost: 501 }],
    ['a fractional capacity', { ...RETRY_BUDGET_DEFAULTS, capacity: 10.5 }],
    ['false', false],
    ['undefined', undefined],
  ])('rejects %s with a TypeError', (_label, options) => {
    expect(() => new RetryBudget(options as ResolvedRetryBudgetOptions)).toThrow(TypeError);
  });

  it('names the broken field', () => {
    expect(() => new RetryBudget({ ...RETRY_BUDGET_DEFAULTS, retryCost: 0 })).toThrow(
      'RetryBudget: retryBudget.retryCost must be a positive integer (received 0)',
    );
  });
});

describe('RetryBudget: properties', () => {
  const optionsInput = fc
    .record({
      capacity: fc.integer({ min: 1, max: 200 }),
      retryCost: fc.integer({ min: 1, max: 20 }),
      timeoutCost: fc.integer({ min: 1, max: 40 }),
      successRefund: fc.integer({ min: 0, max: 10 }),
    })
    .map((o) => ({
      ...o,
      retryCost: Math.min(o.retryCost, o.capacity),
      timeoutCost: Math.min(o.timeoutCost, o.capacity),
    }));

  type Op = { type: 'withdraw'; kind: 'retry' | 'timeout' } | { type: 'success'; paid: number };
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ type: fc.constant('withdraw' as const), kind: fc.constantFrom('retry' as const, 'timeout' as const) }),
    fc.record({
      type: fc.constant('success' as const),
      paid: fc.oneof(fc.constant(0), fc.integer({ min: -10, max: 400 }), fc.constant(NaN), fc.constant(Infinity)),
    }),
  );

  /** A plain check: jest's `expect` is too slow for tens of thousands of steps. */
  function invariant(condition: boolean, message: string): void {
    if (!condition) throw new Error(message);
  }

  it('keeps available in [0, capacity], as an integer, and starts one episode per run of refusals', () => {
    fc.assert(
      fc.property(optionsInput, fc.array(op, { maxLength: 300, size: 'max' }), (options, ops) => {
        const bucket = budget(options);
        let inEpisode = false; // the model
        for (const step of ops) {
          if (step.type === 'withdraw') {
            const before = bucket.available;
            const cost = step.kind === 'timeout' ? options.timeoutCost : options.retryCost;
            const result = bucket.withdraw(step.kind);
            invariant(result.granted === before >= cost, 'granted exactly when the bucket can pay');
            if (result.granted) invariant(bucket.available === before - cost, 'a grant takes the cost');
            else {
              invariant(result.episodeStart === !inEpisode, 'episodeStart only on the first refusal of an episode');
              invariant(bucket.available === before, 'a refusal takes nothing');
              inEpisode = true;
            }
          } else {
            bucket.recordSuccess(step.paid);
            if (bucket.available >= options.retryCost) inEpisode = false;
          }
          const available = bucket.available;
          invariant(bucket.exhausted === inEpisode, 'exhausted follows the episode');
          invariant(
            Number.isInteger(available) && available >= 0 && available <= options.capacity,
            `available ${available}`,
          );
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('validateRetryBudgetOptions', () => {
  it('has the AWS standard-mode defaults, frozen', () => {
    expect(RETRY_BUDGET_DEFAULTS).toEqual({ capacity: 500, retryCost: 5, timeoutCost: 10, successRefund: 1 });
    expect(Object.isFrozen(RETRY_BUDGET_DEFAULTS)).toBe(true);
  });

  it.each<[string, unknown, ReturnType<typeof validateRetryBudgetOptions>]>([
    ['false turns it off', false, { value: false, issues: [] }],
    ['true means the defaults', true, { value: RETRY_BUDGET_DEFAULTS, issues: [] }],
    ['undefined means the defaults (on by default)', undefined, { value: RETRY_BUDGET_DEFAULTS, issues: [] }],
    ['an empty object means the defaults', {}, { value: RETRY_BUDGET_DEFAULTS, issues: [] }],
    [
      'an object is merged over the defaults',
      { capacity: 100, successRefund: 0 },
      { value: { capacity: 100, retryCost: 5, timeoutCost: 10, successRefund: 0 }, issues: [] },
    ],
    [
      'costs equal to the capacity are fine',
      { capacity: 10, retryCost: 10 },
      { value: { capacity: 10, retryCost: 10, timeoutCost: 10, successRefund: 1 }, issues: [] },
    ],
  ])('%s', (_label, input, expected) => {
    expect(validateRetryBudgetOptions(input)).toEqual(expected);
  });

  it('returns frozen options that validate again unchanged', () => {
    const { value } = validateRetryBudgetOptions({ capacity: 50 });
    expect(Object.isFrozen(value)).toBe(true);
    expect(validateRetryBudgetOptions(value)).toEqual({ value, issues: [] });
  });

  it.each<[string, unknown, string]>([
    ['capacity 0', { capacity: 0 }, 'retryBudget.capacity must be a positive integer (received 0)'],
    ['capacity 2.5', { capacity: 2.5 }, 'retryBudget.capacity must be a positive integer (received 2.5)'],
    ['capacity "500"', { capacity: '500' }, 'retryBudget.capacity must be a positive integer (received "500")'],
    [
      'capacity Infinity',
      { capacity: Infinity },
      'retryBudget.capacity must be a positive integer (received Infinity)',
    ],
    ['retryCost 0', { retryCost: 0 }, 'retryBudget.retryCost must be a positive integer (received 0)'],
    ['timeoutCost -1', { timeoutCost: -1 }, 'retryBudget.timeoutCost must be a positive integer (received -1)'],
    [
      'successRefund -1',
      { successRefund: -1 },
      'retryBudget.successRefund must be a non-negative integer (received -1)',
    ],
    [
      'successRefund null',
      { successRefund: null },
      'retryBudget.successRefund must be a non-negative integer (received null)',
    ],
    [
      'retryCost above capacity',
      { capacity: 10, retryCost: 11 },
      'retryBudget.retryCost must be at most retryBudget.capacity (10) (received 11)',
    ],
    [
      'timeoutCost above capacity',
      { timeoutCost: 501 },
      'retryBudget.timeoutCost must be at most retryBudget.capacity (500) (received 501)',
    ],
    [
      'a capacity below the default timeoutCost',
      { capacity: 8 },
      'retryBudget.timeoutCost must be at most retryBudget.capacity (8) (received 10)',
    ],
    ['a misspelt key', { capcity: 10 }, 'retryBudget.capcity is not a retry budget option (did you mean capacity?)'],
    ['an unknown key', { enabled: true }, 'retryBudget.enabled is not a retry budget option'],
    ['null', null, 'retryBudget must be true, false or an object of retry budget options (received null)'],
    ['a string', 'on', 'retryBudget must be true, false or an object of retry budget options (received "on")'],
    ['an array', [500], 'retryBudget must be true, false or an object of retry budget options (received an array)'],
  ])('rejects %s', (_label, input, message) => {
    const result = validateRetryBudgetOptions(input);
    expect(result.value).toBeUndefined();
    expect(result.issues.map((issue) => issue.message)).toEqual([message]);
    expect(message).toContain(result.issues[0].field); // the message names the field
  });

  it('lists every problem at once', () => {
    const { value, issues } = validateRetryBudgetOptions({
      capacity: 8,
      retryCost: 9,
      timeoutCost: 0,
      successRefund: 0.5,
      retryCosts: 1,
    });
    expect(value).toBeUndefined();
    expect(issues).toEqual([
      {
        field: 'retryBudget.retryCosts',
        message: 'retryBudget.retryCosts is not a retry budget option (did you mean retryCost?)',
      },
      { field: 'retryBudget.timeoutCost', message: 'retryBudget.timeoutCost must be a positive integer (received 0)' },
      {
        field: 'retryBudget.successRefund',
        message: 'retryBudget.successRefund must be a non-negative integer (received 0.5)',
      },
      {
        field: 'retryBudget.retryCost',
        message: 'retryBudget.retryCost must be at most retryBudget.capacity (8) (received 9)',
      },
    ]);
  });

  it('does not compare costs with a broken capacity', () => {
    const { issues } = validateRetryBudgetOptions({ capacity: -1, retryCost: 5 });
    expect(issues.map((issue) => issue.field)).toEqual(['retryBudget.capacity']);
  });

  it('prefixes fields with the given path for nested configs', () => {
    expect(validateRetryBudgetOptions({ capacity: 0 }, 'retryConfig.retryBudget').issues).toEqual([
      {
        field: 'retryConfig.retryBudget.capacity',
        message: 'retryConfig.retryBudget.capacity must be a positive integer (received 0)',
      },
    ]);
  });
});

describe('RetryBudget: adopting a balance shared by replicas', () => {
  it('takes the shared balance, clamped to [0, capacity]', () => {
    const bucket = budget({ capacity: 20, retryCost: 5 });
    bucket.adopt(12);
    expect(bucket.available).toBe(12);
    bucket.adopt(-3);
    expect(bucket.available).toBe(0);
    bucket.adopt(99);
    expect(bucket.available).toBe(20);
    bucket.adopt(Number.NaN);
    expect(bucket.available).toBe(20);
  });

  it('an empty shared bucket refuses the next retry (starting an episode); one that can pay ends it', () => {
    const bucket = budget({ capacity: 20, retryCost: 5 });
    bucket.adopt(4);
    expect(bucket.withdraw('retry')).toEqual({ granted: false, episodeStart: true });
    expect(bucket.exhausted).toBe(true);
    bucket.adopt(5);
    expect(bucket.exhausted).toBe(false);
    expect(bucket.withdraw('retry')).toEqual({ granted: true, cost: 5 });
  });
});
