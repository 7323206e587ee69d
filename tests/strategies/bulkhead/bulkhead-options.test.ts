import {
  DEFAULT_BULKHEAD_QUEUE_LIMIT,
  validateBulkheadOptions,
} from '../../../src/strategies/bulkhead/bulkhead-options';

describe('validateBulkheadOptions', () => {
  it.each([
    ['undefined (off by default)', undefined],
    ['false', false],
  ])('%s turns the bulkhead off', (_label, input) => {
    expect(validateBulkheadOptions(input)).toEqual({ value: false, issues: [] });
  });

  it('accepts both limits', () => {
    expect(validateBulkheadOptions({ maxConcurrency: 8, queueLimit: 0 })).toEqual({
      value: { maxConcurrency: 8, queueLimit: 0 },
      issues: [],
    });
  });

  it('defaults queueLimit', () => {
    expect(validateBulkheadOptions({ maxConcurrency: 4 }).value).toEqual({
      maxConcurrency: 4,
      queueLimit: DEFAULT_BULKHEAD_QUEUE_LIMIT,
    });
  });

  it('returns a frozen value', () => {
    expect(Object.isFrozen(validateBulkheadOptions({ maxConcurrency: 1 }).value)).toBe(true);
  });

  it.each<[string, unknown, { field: string; message: string }[]]>([
    [
      'true',
      true,
      [
        {
          field: 'bulkhead',
          message: 'bulkhead must be false or an object { maxConcurrency, queueLimit } (received true)',
        },
      ],
    ],
    [
      'null',
      null,
      [
        {
          field: 'bulkhead',
          message: 'bulkhead must be false or an object { maxConcurrency, queueLimit } (received null)',
        },
      ],
    ],
    [
      'a number',
      5,
      [
        {
          field: 'bulkhead',
          message: 'bulkhead must be false or an object { maxConcurrency, queueLimit } (received 5)',
        },
      ],
    ],
    [
      'an array',
      [5],
      [
        {
          field: 'bulkhead',
          message: 'bulkhead must be false or an object { maxConcurrency, queueLimit } (received an array)',
        },
      ],
    ],
    ['no maxConcurrency', {}, [{ field: 'bulkhead.maxConcurrency', message: 'bulkhead.maxConcurrency is required' }]],
    [
      'maxConcurrency 0',
      { maxConcurrency: 0 },
      [
        {
          field: 'bulkhead.maxConcurrency',
          message: 'bulkhead.maxConcurrency must be an integer of at least 1 (received 0)',
        },
      ],
    ],
    [
      'fractional maxConcurrency',
      { maxConcurrency: 2.5 },
      [
        {
          field: 'bulkhead.maxConcurrency',
          message: 'bulkhead.maxConcurrency must be an integer of at least 1 (received 2.5)',
        },
      ],
    ],
    [
      'maxConcurrency as a string',
      { maxConcurrency: '4' },
      [
        {
          field: 'bulkhead.maxConcurrency',
          message: 'bulkhead.maxConcurrency must be an integer of at least 1 (received "4")',
        },
      ],
    ],
    [
      'negative queueLimit',
      { maxConcurrency: 1, queueLimit: -1 },
      [{ field: 'bulkhead.queueLimit', message: 'bulkhead.queueLimit must be an integer of at least 0 (received -1)' }],
    ],
    [
      'infinite queueLimit',
      { maxConcurrency: 1, queueLimit: Number.POSITIVE_INFINITY },
      [
        {
          field: 'bulkhead.queueLimit',
          message: 'bulkhead.queueLimit must be an integer of at least 0 (received Infinity)',
        },
      ],
    ],
    [
      'NaN queueLimit',
      { maxConcurrency: 1, queueLimit: Number.NaN },
      [
        {
          field: 'bulkhead.queueLimit',
          message: 'bulkhead.queueLimit must be an integer of at least 0 (received NaN)',
        },
      ],
    ],
    [
      'a typo, with a suggestion',
      { maxConcurency: 4 },
      [
        {
          field: 'bulkhead.maxConcurency',
          message: 'bulkhead.maxConcurency is not a bulkhead option (did you mean maxConcurrency?)',
        },
        { field: 'bulkhead.maxConcurrency', message: 'bulkhead.maxConcurrency is required' },
      ],
    ],
    [
      'another typo',
      { maxConcurrency: 4, queuelimit: 3 },
      [
        {
          field: 'bulkhead.queuelimit',
          message: 'bulkhead.queuelimit is not a bulkhead option (did you mean queueLimit?)',
        },
      ],
    ],
    [
      'an unknown key without a near name',
      { maxConcurrency: 4, timeoutMs: 100 },
      [{ field: 'bulkhead.timeoutMs', message: 'bulkhead.timeoutMs is not a bulkhead option' }],
    ],
    [
      'every problem at once',
      { maxConcurrency: -1, queueLimit: 0.5, extra: true },
      [
        { field: 'bulkhead.extra', message: 'bulkhead.extra is not a bulkhead option' },
        {
          field: 'bulkhead.maxConcurrency',
          message: 'bulkhead.maxConcurrency must be an integer of at least 1 (received -1)',
        },
        {
          field: 'bulkhead.queueLimit',
          message: 'bulkhead.queueLimit must be an integer of at least 0 (received 0.5)',
        },
      ],
    ],
  ])('reports %s', (_label, input, issues) => {
    expect(validateBulkheadOptions(input)).toEqual({ issues });
  });

  it('prefixes fields with the given path', () => {
    expect(validateBulkheadOptions({ maxConcurrency: 0 }, 'retryConfig.bulkhead').issues).toEqual([
      {
        field: 'retryConfig.bulkhead.maxConcurrency',
        message: 'retryConfig.bulkhead.maxConcurrency must be an integer of at least 1 (received 0)',
      },
    ]);
  });

  it('accepts an object without a prototype', () => {
    const input = Object.assign(Object.create(null), { maxConcurrency: 2, queueLimit: 5 });
    expect(validateBulkheadOptions(input).value).toEqual({ maxConcurrency: 2, queueLimit: 5 });
  });
});
