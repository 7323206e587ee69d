import fc from 'fast-check';
import { validRetryConfig } from '../support/arbitraries';
import { isRetryConfigError, RETRY_ENV_VARS, RetryConfig, RetryConfigError } from '../../src';
import type { RetryConfigField, RetryConfigFields } from '../../src';

// Deterministic by default; FC_SEED / FC_NUM_RUNS explore further (e.g. FC_SEED=$RANDOM FC_NUM_RUNS=20000).
fc.configureGlobal({
  seed: Number(process.env.FC_SEED ?? 20_240_611),
  ...(process.env.FC_NUM_RUNS ? { numRuns: Number(process.env.FC_NUM_RUNS) } : {}),
});

/** Runs `fn`, which must throw a RetryConfigError, and returns that error. */
function configError(fn: () => unknown): RetryConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(RetryConfigError);
    return error as RetryConfigError;
  }
  throw new Error('expected a RetryConfigError, but nothing was thrown');
}

/** The plain (enumerable) fields of a config. */
const plain = (config: RetryConfig) => JSON.parse(JSON.stringify(config)) as Record<string, unknown>;

const NUMERIC_FIELDS: RetryConfigField[] = [
  'maxAttempts',
  'baseDelayMs',
  'maxDelayMs',
  'exponentialBase',
  'maxRetryAfterMs',
  'attemptTimeoutMs',
  'totalTimeoutMs',
];

describe('RetryConfig defaults', () => {
  it.each<[RetryConfigField, unknown]>([
    ['maxAttempts', 3],
    ['baseDelayMs', 1000],
    ['maxDelayMs', 30_000],
    ['exponentialBase', 2],
    ['jitter', 'full'],
    ['respectRetryAfter', true],
    ['maxRetryAfterMs', 60_000],
    ['attemptTimeoutMs', undefined],
    ['totalTimeoutMs', undefined],
  ])('%s defaults to %p', (field, expected) => {
    expect(new RetryConfig()[field]).toBe(expected);
    expect(new RetryConfig({})[field]).toBe(expected);
    expect(RetryConfig.from({})[field]).toBe(expected);
    expect(RetryConfig.fromEnv({})[field]).toBe(expected);
  });

  it('an explicitly undefined field keeps its default', () => {
    expect(new RetryConfig({ maxAttempts: undefined, jitter: undefined })).toMatchObject({
      maxAttempts: 3,
      jitter: 'full',
    });
  });

  it('given fields override only themselves', () => {
    expect(plain(new RetryConfig({ maxAttempts: 5, jitter: 'none' }))).toEqual({
      maxAttempts: 5,
      baseDelayMs: 1000,
      maxDelayMs: 30_000,
      exponentialBase: 2,
      jitter: 'none',
      respectRetryAfter: true,
      maxRetryAfterMs: 60_000,
    });
  });
});

describe('RetryConfig rules at their boundaries', () => {
  it.each<[string, Partial<RetryConfigFields>]>([
    ['maxAttempts 1', { maxAttempts: 1 }],
    ['maxAttempts 10', { maxAttempts: 10 }],
    ['baseDelayMs 100', { baseDelayMs: 100 }],
    ['baseDelayMs 100.5 (fractions allowed)', { baseDelayMs: 100.5 }],
    ['baseDelayMs 60000 (with maxDelayMs 60000)', { baseDelayMs: 60_000, maxDelayMs: 60_000 }],
    ['maxDelayMs equal to baseDelayMs', { baseDelayMs: 500, maxDelayMs: 500 }],
    ['maxDelayMs 100 with baseDelayMs 100', { baseDelayMs: 100, maxDelayMs: 100 }],
    ['maxDelayMs 300000', { maxDelayMs: 300_000 }],
    ['exponentialBase 1', { exponentialBase: 1 }],
    ['exponentialBase 1.5', { exponentialBase: 1.5 }],
    ['exponentialBase 10', { exponentialBase: 10 }],
    ['jitter full', { jitter: 'full' }],
    ['jitter equal', { jitter: 'equal' }],
    ['jitter decorrelated', { jitter: 'decorrelated' }],
    ['jitter none', { jitter: 'none' }],
    ['respectRetryAfter true', { respectRetryAfter: true }],
    ['respectRetryAfter false', { respectRetryAfter: false }],
    ['maxRetryAfterMs 0', { maxRetryAfterMs: 0 }],
    ['maxRetryAfterMs 3600000', { maxRetryAfterMs: 3_600_000 }],
    ['attemptTimeoutMs 1', { attemptTimeoutMs: 1 }],
    ['attemptTimeoutMs 3600000', { attemptTimeoutMs: 3_600_000 }],
    ['totalTimeoutMs 1', { totalTimeoutMs: 1 }],
    ['totalTimeoutMs 86400000', { totalTimeoutMs: 86_400_000 }],
  ])('accepts %s', (_name, partial) => {
    const config = new RetryConfig(partial);
    expect(config).toMatchObject(partial);
    expect(RetryConfig.from({ ...partial })).toMatchObject(partial);
  });

  it.each<[Record<string, unknown>, string, string]>([
    [{ maxAttempts: 0 }, 'maxAttempts', 'maxAttempts must not be less than 1 (received 0)'],
    [{ maxAttempts: 11 }, 'maxAttempts', 'maxAttempts must not be greater than 10 (received 11)'],
    [{ maxAttempts: -1 }, 'maxAttempts', 'maxAttempts must not be less than 1 (received -1)'],
    [{ maxAttempts: 2.5 }, 'maxAttempts', 'maxAttempts must be an integer (received 2.5)'],
    [{ baseDelayMs: 99 }, 'baseDelayMs', 'baseDelayMs must not be less than 100 (received 99)'],
    [{ baseDelayMs: 99.99 }, 'baseDelayMs', 'baseDelayMs must not be less than 100 (received 99.99)'],
    [
      { baseDelayMs: 60_001, maxDelayMs: 300_000 },
      'baseDelayMs',
      'baseDelayMs must not be greater than 60000 (received 60001)',
    ],
    [{ maxDelayMs: 999 }, 'maxDelayMs', 'maxDelayMs must not be less than baseDelayMs (1000) (received 999)'],
    [
      { baseDelayMs: 500, maxDelayMs: 499 },
      'maxDelayMs',
      'maxDelayMs must not be less than baseDelayMs (500) (received 499)',
    ],
    [{ maxDelayMs: 300_001 }, 'maxDelayMs', 'maxDelayMs must not be greater than 300000 (received 300001)'],
    [{ exponentialBase: 0.99 }, 'exponentialBase', 'exponentialBase must not be less than 1 (received 0.99)'],
    [{ exponentialBase: 10.01 }, 'exponentialBase', 'exponentialBase must not be greater than 10 (received 10.01)'],
    [{ jitter: 'random' }, 'jitter', `jitter must be one of full, equal, decorrelated, none (received "random")`],
    [{ jitter: 'FULL' }, 'jitter', `jitter must be one of full, equal, decorrelated, none (received "FULL")`],
    [{ jitter: '' }, 'jitter', `jitter must be one of full, equal, decorrelated, none (received "")`],
    [{ respectRetryAfter: 'true' }, 'respectRetryAfter', `respectRetryAfter must be true or false (received "true")`],
    [{ respectRetryAfter: 1 }, 'respectRetryAfter', 'respectRetryAfter must be true or false (received 1)'],
    [{ respectRetryAfter: null }, 'respectRetryAfter', 'respectRetryAfter must be true or false (received null)'],
    [{ maxRetryAfterMs: -1 }, 'maxRetryAfterMs', 'maxRetryAfterMs must not be less than 0 (received -1)'],
    [
      { maxRetryAfterMs: 3_600_001 },
      'maxRetryAfterMs',
      'maxRetryAfterMs must not be greater than 3600000 (received 3600001)',
    ],
    [{ attemptTimeoutMs: 0 }, 'attemptTimeoutMs', 'attemptTimeoutMs must not be less than 1 (received 0)'],
    [
      { attemptTimeoutMs: 3_600_001 },
      'attemptTimeoutMs',
      'attemptTimeoutMs must not be greater than 3600000 (received 3600001)',
    ],
    [{ totalTimeoutMs: 0 }, 'totalTimeoutMs', 'totalTimeoutMs must not be less than 1 (received 0)'],
    [
      { totalTimeoutMs: 86_400_001 },
      'totalTimeoutMs',
      'totalTimeoutMs must not be greater than 86400000 (received 86400001)',
    ],
  ])('rejects %p: %s', (partial, field, message) => {
    for (const build of [
      () => new RetryConfig(partial as Partial<RetryConfigFields>),
      () => RetryConfig.from(partial),
    ]) {
      const error = configError(build);
      expect(error.issues).toEqual([{ field, message }]);
      expect(error.message).toBe(message);
    }
  });

  const NON_FINITE: [string, unknown][] = [
    ['NaN', NaN],
    ['Infinity', Infinity],
    ['-Infinity', -Infinity],
    ['a numeric string', '5'],
    ['a non-numeric string', 'abc'],
    ['a boolean', true],
    ['an object', {}],
  ];
  const cases = NUMERIC_FIELDS.flatMap((field) => NON_FINITE.map(([name, value]) => [field, name, value] as const));
  it.each(cases)('%s: rejects %s', (field, _name, value) => {
    const error = configError(() => new RetryConfig({ [field]: value } as Partial<RetryConfigFields>));
    const issue = error.issues.find((i) => i.field === field);
    const kind = field === 'maxAttempts' ? 'an integer' : 'a finite number';
    const received =
      typeof value === 'string' ? JSON.stringify(value) : typeof value === 'object' ? 'an object' : String(value);
    expect(issue).toEqual({ field, message: `${field} must be ${kind} (received ${received})` });
  });

  it('null is rejected for a required field', () => {
    expect(configError(() => new RetryConfig({ maxAttempts: null } as never)).issues).toEqual([
      { field: 'maxAttempts', message: 'maxAttempts must be an integer (received null)' },
    ]);
  });
});

describe('unknown keys', () => {
  it.each([
    [
      { maxRetries: 2 },
      'maxRetries is not a retry option (did you mean maxAttempts? It counts attempts, the first included: maxRetries 2 = maxAttempts 3)',
    ],
    [
      { retries: 5 },
      'retries is not a retry option (did you mean maxAttempts? It counts attempts, the first included: retries 5 = maxAttempts 6)',
    ],
    [
      { maxRetries: 'many' },
      'maxRetries is not a retry option (did you mean maxAttempts? It counts attempts, the first included: maxRetries 2 = maxAttempts 3)',
    ],
  ])('a retry count (%p) gets a hint that maxAttempts counts the first attempt too', (input, message) => {
    expect(configError(() => new RetryConfig(input as never)).message).toBe(message);
  });

  it('every message says the value received, never class-validator stock wording', () => {
    const error = configError(() =>
      RetryConfig.from({ maxAttempts: 'three', baseDelayMs: '5', jitter: 7, respectRetryAfter: 'yes' }),
    );
    for (const issue of error.issues) {
      expect(issue.message).toMatch(/\(received .+\)$/);
      expect(issue.message).not.toMatch(/conforming to the specified constraints|following values|boolean value/);
    }
  });

  it('a typo is rejected by the constructor, with a suggestion', () => {
    const error = configError(() => new RetryConfig({ maxAtempts: 5 } as never));
    expect(error.message).toBe('maxAtempts is not a retry option (did you mean maxAttempts?)');
    expect(error.issues).toEqual([
      { field: 'maxAtempts', message: 'maxAtempts is not a retry option (did you mean maxAttempts?)' },
    ]);
  });

  it('a typo is rejected by from(), with a suggestion', () => {
    const error = configError(() => RetryConfig.from(JSON.parse('{"maxAtempts": 5}')));
    expect(error.issues).toEqual([
      { field: 'maxAtempts', message: 'maxAtempts is not a retry option (did you mean maxAttempts?)' },
    ]);
  });

  it.each([
    ['MaxAttempts', 'maxAttempts'],
    ['basedelayms', 'baseDelayMs'],
    ['maxDelay', 'maxDelayMs'],
    ['jiter', 'jitter'],
    ['respectRetryAftr', 'respectRetryAfter'],
    ['totalTimeout', 'totalTimeoutMs'],
  ])('%s suggests %s', (typo, suggestion) => {
    expect(configError(() => RetryConfig.from({ [typo]: 1 })).message).toBe(
      `${typo} is not a retry option (did you mean ${suggestion}?)`,
    );
  });

  it('an unrelated key gets no suggestion; every unknown key is listed', () => {
    const error = configError(() => RetryConfig.from({ colour: 'red', flavour: 'mint' }));
    expect(error.issues).toEqual([
      { field: 'colour', message: 'colour is not a retry option' },
      { field: 'flavour', message: 'flavour is not a retry option' },
    ]);
    expect(error.message).toBe('colour is not a retry option; flavour is not a retry option');
  });

  it('a JSON "__proto__" key is an unknown key, not a prototype', () => {
    const error = configError(() => RetryConfig.from(JSON.parse('{"__proto__": {"maxAttempts": 50}}')));
    expect(error.issues.map((i) => i.field)).toEqual(['__proto__']);
  });
});

describe('everything wrong is reported at once', () => {
  it('lists unknown keys together with rule violations', () => {
    const error = configError(() => new RetryConfig({ maxAtempts: 5, baseDelayMs: 1 } as never));
    expect(error.issues.map((issue) => issue.field)).toEqual(['maxAtempts', 'baseDelayMs']);
  });

  it('reports a broken baseDelayMs once, not again through maxDelayMs', () => {
    const error = configError(() => new RetryConfig({ baseDelayMs: Number.NaN }));
    expect(error.issues.map((issue) => issue.field)).toEqual(['baseDelayMs']);
  });

  it('treats null timeouts as none', () => {
    const config = RetryConfig.from({ attemptTimeoutMs: null, totalTimeoutMs: null });
    expect(config.attemptTimeoutMs).toBeUndefined();
    expect(config.totalTimeoutMs).toBeUndefined();
    expect(JSON.stringify(config)).not.toContain('null');
  });

  it('names both variables when the environment breaks the cross-field rule', () => {
    const error = configError(() => RetryConfig.fromEnv({ LLM_RETRY_BASE_DELAY_MS: '45000' }));
    expect(error.message).toBe(
      'LLM_RETRY_MAX_DELAY_MS must not be less than LLM_RETRY_BASE_DELAY_MS (45000) (received 30000)',
    );
  });

  it.each(['0x10', '0b1', '1_000', '12ms'])('rejects the non-decimal environment number %s', (raw) => {
    expect(() => RetryConfig.fromEnv({ LLM_RETRY_BASE_DELAY_MS: raw })).toThrow(
      'LLM_RETRY_BASE_DELAY_MS must be a number',
    );
  });
});

describe('RetryConfig.from', () => {
  it.each<[string, unknown]>([
    ['null', null],
    ['undefined', undefined],
    ['a number', 3],
    ['a string', '{"maxAttempts": 3}'],
    ['a boolean', true],
    ['an array', [1, 2]],
    ['a function', () => ({})],
    ['a Date', new Date()],
    ['a Map', new Map([['maxAttempts', 3]])],
  ])('rejects %s', (_name, input) => {
    const error = configError(() => RetryConfig.from(input));
    expect(error.issues).toEqual([{ field: 'retryConfig', message: 'retryConfig must be a plain object' }]);
  });

  it('returns a RetryConfig for parsed JSON', () => {
    const config = RetryConfig.from(JSON.parse('{"maxAttempts": 4, "jitter": "equal", "totalTimeoutMs": 5000}'));
    expect(config).toBeInstanceOf(RetryConfig);
    expect(config).toMatchObject({ maxAttempts: 4, jitter: 'equal', totalTimeoutMs: 5000, baseDelayMs: 1000 });
  });

  it('copies a RetryConfig (a new object with the same fields)', () => {
    const original = new RetryConfig({ maxAttempts: 7, attemptTimeoutMs: 100 });
    const copy = RetryConfig.from(original);
    expect(copy).not.toBe(original);
    expect(plain(copy)).toEqual(plain(original));
  });

  it('validates like the constructor', () => {
    expect(() => RetryConfig.from({ maxAttempts: 0 })).toThrow('maxAttempts must not be less than 1');
  });
});

describe('RetryConfigError', () => {
  it('lists every violated field in one message and in issues', () => {
    const error = configError(() => new RetryConfig({ maxAttempts: 11, baseDelayMs: 99 }));
    expect(error.message).toBe(
      'maxAttempts must not be greater than 10 (received 11); baseDelayMs must not be less than 100 (received 99)',
    );
    expect(error.issues).toEqual([
      { field: 'maxAttempts', message: 'maxAttempts must not be greater than 10 (received 11)' },
      { field: 'baseDelayMs', message: 'baseDelayMs must not be less than 100 (received 99)' },
    ]);
  });

  it('lists all nine fields when all are wrong', () => {
    const error = configError(() =>
      RetryConfig.from({
        maxAttempts: 0,
        baseDelayMs: 1,
        maxDelayMs: 400_000,
        exponentialBase: 0,
        jitter: 'some',
        respectRetryAfter: 'yes',
        maxRetryAfterMs: -5,
        attemptTimeoutMs: 0,
        totalTimeoutMs: -1,
      }),
    );
    expect(error.issues.map((i) => i.field).sort()).toEqual(
      [
        'maxAttempts',
        'baseDelayMs',
        'maxDelayMs',
        'exponentialBase',
        'jitter',
        'respectRetryAfter',
        'maxRetryAfterMs',
        'attemptTimeoutMs',
        'totalTimeoutMs',
      ].sort(),
    );
    expect(error.message.split('; ')).toHaveLength(9);
  });

  it('has the issues shape { field, message }[] and is an Error', () => {
    const error = configError(() => new RetryConfig({ exponentialBase: 11 }));
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('RetryConfigError');
    expect(isRetryConfigError(error)).toBe(true);
    expect(isRetryConfigError(new Error('x'))).toBe(false);
    expect(Array.isArray(error.issues)).toBe(true);
    for (const issue of error.issues) {
      expect(Object.keys(issue).sort()).toEqual(['field', 'message']);
      expect(typeof issue.field).toBe('string');
      expect(typeof issue.message).toBe('string');
      expect(issue.message.startsWith(issue.field)).toBe(true);
    }
    expect(error.message).toBe(error.issues.map((i) => i.message).join('; '));
  });

  it('takes an optional prefix', () => {
    const error = new RetryConfigError([{ field: 'a', message: 'a is bad' }], 'Agent.run');
    expect(error.message).toBe('Agent.run: a is bad');
  });
});

describe('RetryConfig.fromEnv', () => {
  const ALL_SET = {
    LLM_RETRY_MAX_ATTEMPTS: '5',
    LLM_RETRY_BASE_DELAY_MS: '250',
    LLM_RETRY_MAX_DELAY_MS: '8000',
    LLM_RETRY_EXPONENTIAL_BASE: '1.5',
    LLM_RETRY_JITTER: 'decorrelated',
    LLM_RETRY_RESPECT_RETRY_AFTER: 'false',
    LLM_RETRY_MAX_RETRY_AFTER_MS: '120000',
    LLM_RETRY_ATTEMPT_TIMEOUT_MS: '15000',
    LLM_RETRY_TOTAL_TIMEOUT_MS: '90000',
    LLM_RETRY_CIRCUIT_BREAKER: '{"failureThreshold":3}',
    LLM_RETRY_RETRY_BUDGET: 'no',
    LLM_RETRY_BULKHEAD: '{"maxConcurrency":4}',
    LLM_RETRY_KEY: 'openai|eu',
    LLM_RETRY_FIRST_ITEM_TIMEOUT_MS: '8000',
    LLM_RETRY_IDLE_TIMEOUT_MS: '20000',
  };

  it('reads every variable', () => {
    expect(plain(RetryConfig.fromEnv(ALL_SET))).toEqual({
      maxAttempts: 5,
      baseDelayMs: 250,
      maxDelayMs: 8000,
      exponentialBase: 1.5,
      jitter: 'decorrelated',
      respectRetryAfter: false,
      maxRetryAfterMs: 120_000,
      attemptTimeoutMs: 15_000,
      totalTimeoutMs: 90_000,
      circuitBreaker: { failureThreshold: 3 },
      retryBudget: false,
      bulkhead: { maxConcurrency: 4 },
      key: 'openai|eu',
      firstItemTimeoutMs: 8000,
      idleTimeoutMs: 20_000,
    });
  });

  it.each([
    ['LLM_RETRY_CIRCUIT_BREAKER', '{"failureTreshold":3}', /LLM_RETRY_CIRCUIT_BREAKER|circuitBreaker\.failureTreshold/],
    [
      'LLM_RETRY_CIRCUIT_BREAKER',
      'sometimes',
      /LLM_RETRY_CIRCUIT_BREAKER must be true, false or a JSON object of options/,
    ],
    ['LLM_RETRY_RETRY_BUDGET', '{"capacity":0}', /LLM_RETRY_RETRY_BUDGET\.capacity must be/],
  ])('rejects %s=%s naming the option', (variable, value, message) => {
    expect(() => RetryConfig.fromEnv({ [variable]: value })).toThrow(message);
  });

  it('names exactly these variables', () => {
    expect(Object.values(RETRY_ENV_VARS).sort()).toEqual(Object.keys(ALL_SET).sort());
  });

  it.each<[string, string, RetryConfigField, unknown]>([
    ['LLM_RETRY_MAX_ATTEMPTS', '7', 'maxAttempts', 7],
    ['LLM_RETRY_MAX_ATTEMPTS', ' 2 ', 'maxAttempts', 2],
    ['LLM_RETRY_BASE_DELAY_MS', '100', 'baseDelayMs', 100],
    ['LLM_RETRY_MAX_DELAY_MS', '300000', 'maxDelayMs', 300_000],
    ['LLM_RETRY_EXPONENTIAL_BASE', '3', 'exponentialBase', 3],
    ['LLM_RETRY_JITTER', 'none', 'jitter', 'none'],
    ['LLM_RETRY_JITTER', 'EQUAL', 'jitter', 'equal'],
    ['LLM_RETRY_JITTER', ' Full ', 'jitter', 'full'],
    ['LLM_RETRY_MAX_RETRY_AFTER_MS', '0', 'maxRetryAfterMs', 0],
    ['LLM_RETRY_ATTEMPT_TIMEOUT_MS', '1', 'attemptTimeoutMs', 1],
    ['LLM_RETRY_TOTAL_TIMEOUT_MS', '86400000', 'totalTimeoutMs', 86_400_000],
  ])('%s=%p sets %s to %p, the rest stay default', (variable, value, field, expected) => {
    const config = RetryConfig.fromEnv({ [variable]: value });
    expect(config[field]).toBe(expected);
    const others = plain(new RetryConfig({ [field]: expected } as Partial<RetryConfigFields>));
    expect(plain(config)).toEqual(others);
  });

  it('unset, empty and blank variables keep the defaults; other variables are ignored', () => {
    const defaults = plain(new RetryConfig());
    expect(plain(RetryConfig.fromEnv({}))).toEqual(defaults);
    const blank = Object.fromEntries(Object.keys(ALL_SET).map((k, i) => [k, i % 2 ? '' : '   ']));
    expect(plain(RetryConfig.fromEnv(blank))).toEqual(defaults);
    expect(
      plain(RetryConfig.fromEnv({ LLM_RETRY_UNKNOWN: 'x', PATH: '/bin', LLM_RETRY_MAX_ATTEMPTS: undefined })),
    ).toEqual(defaults);
  });

  it('reads process.env by default', () => {
    jest.replaceProperty(process, 'env', { LLM_RETRY_MAX_ATTEMPTS: '9' });
    try {
      expect(RetryConfig.fromEnv().maxAttempts).toBe(9);
    } finally {
      jest.restoreAllMocks();
    }
  });

  it.each([
    ['true', true],
    ['TRUE', true],
    ['True', true],
    ['1', true],
    ['yes', true],
    ['YES', true],
    ['Yes', true],
    [' true ', true],
    ['false', false],
    ['FALSE', false],
    ['False', false],
    ['0', false],
    ['no', false],
    ['NO', false],
    ['No', false],
  ])('LLM_RETRY_RESPECT_RETRY_AFTER=%p is %p', (value, expected) => {
    expect(RetryConfig.fromEnv({ LLM_RETRY_RESPECT_RETRY_AFTER: value }).respectRetryAfter).toBe(expected);
  });

  it.each<[string, string, string]>([
    ['LLM_RETRY_MAX_ATTEMPTS', 'three', `LLM_RETRY_MAX_ATTEMPTS must be an integer (received "three")`],
    ['LLM_RETRY_MAX_ATTEMPTS', '2.5', `LLM_RETRY_MAX_ATTEMPTS must be an integer (received "2.5")`],
    ['LLM_RETRY_MAX_ATTEMPTS', '3x', `LLM_RETRY_MAX_ATTEMPTS must be an integer (received "3x")`],
    ['LLM_RETRY_MAX_ATTEMPTS', '11', 'LLM_RETRY_MAX_ATTEMPTS must not be greater than 10 (received 11)'],
    ['LLM_RETRY_MAX_ATTEMPTS', '0', 'LLM_RETRY_MAX_ATTEMPTS must not be less than 1 (received 0)'],
    ['LLM_RETRY_MAX_ATTEMPTS', '-2', 'LLM_RETRY_MAX_ATTEMPTS must not be less than 1 (received -2)'],
    ['LLM_RETRY_BASE_DELAY_MS', 'soon', `LLM_RETRY_BASE_DELAY_MS must be a number (received "soon")`],
    ['LLM_RETRY_BASE_DELAY_MS', 'Infinity', `LLM_RETRY_BASE_DELAY_MS must be a number (received "Infinity")`],
    ['LLM_RETRY_BASE_DELAY_MS', 'NaN', `LLM_RETRY_BASE_DELAY_MS must be a number (received "NaN")`],
    ['LLM_RETRY_BASE_DELAY_MS', '99', 'LLM_RETRY_BASE_DELAY_MS must not be less than 100 (received 99)'],
    ['LLM_RETRY_MAX_DELAY_MS', '1s', `LLM_RETRY_MAX_DELAY_MS must be a number (received "1s")`],
    ['LLM_RETRY_MAX_DELAY_MS', '300001', 'LLM_RETRY_MAX_DELAY_MS must not be greater than 300000 (received 300001)'],
    ['LLM_RETRY_EXPONENTIAL_BASE', 'two', `LLM_RETRY_EXPONENTIAL_BASE must be a number (received "two")`],
    ['LLM_RETRY_EXPONENTIAL_BASE', '0.5', 'LLM_RETRY_EXPONENTIAL_BASE must not be less than 1 (received 0.5)'],
    [
      'LLM_RETRY_JITTER',
      'random',
      `LLM_RETRY_JITTER must be one of full, equal, decorrelated, none (received "random")`,
    ],
    [
      'LLM_RETRY_RESPECT_RETRY_AFTER',
      'maybe',
      `LLM_RETRY_RESPECT_RETRY_AFTER must be one of true, false, 1, 0, yes, no (received "maybe")`,
    ],
    [
      'LLM_RETRY_RESPECT_RETRY_AFTER',
      'on',
      `LLM_RETRY_RESPECT_RETRY_AFTER must be one of true, false, 1, 0, yes, no (received "on")`,
    ],
    ['LLM_RETRY_MAX_RETRY_AFTER_MS', '-1', 'LLM_RETRY_MAX_RETRY_AFTER_MS must not be less than 0 (received -1)'],
    [
      'LLM_RETRY_MAX_RETRY_AFTER_MS',
      '3600001',
      'LLM_RETRY_MAX_RETRY_AFTER_MS must not be greater than 3600000 (received 3600001)',
    ],
    ['LLM_RETRY_ATTEMPT_TIMEOUT_MS', '0', 'LLM_RETRY_ATTEMPT_TIMEOUT_MS must not be less than 1 (received 0)'],
    ['LLM_RETRY_ATTEMPT_TIMEOUT_MS', 'never', `LLM_RETRY_ATTEMPT_TIMEOUT_MS must be a number (received "never")`],
    [
      'LLM_RETRY_TOTAL_TIMEOUT_MS',
      '86400001',
      'LLM_RETRY_TOTAL_TIMEOUT_MS must not be greater than 86400000 (received 86400001)',
    ],
  ])('%s=%p is rejected: %s', (variable, value, message) => {
    const error = configError(() => RetryConfig.fromEnv({ [variable]: value }));
    expect(error.issues).toEqual([{ field: variable, message }]);
    expect(error.message).toBe(message);
  });

  it('maxDelayMs below baseDelayMs names the variable', () => {
    const error = configError(() =>
      RetryConfig.fromEnv({ LLM_RETRY_BASE_DELAY_MS: '5000', LLM_RETRY_MAX_DELAY_MS: '4000' }),
    );
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0].field).toBe('LLM_RETRY_MAX_DELAY_MS');
    expect(error.issues[0].message).toMatch(/^LLM_RETRY_MAX_DELAY_MS must not be less than .*5000/);
  });

  it('lists several unparsable variables at once', () => {
    const error = configError(() =>
      RetryConfig.fromEnv({
        LLM_RETRY_MAX_ATTEMPTS: 'x',
        LLM_RETRY_BASE_DELAY_MS: 'y',
        LLM_RETRY_JITTER: 'z',
        LLM_RETRY_RESPECT_RETRY_AFTER: 'w',
      }),
    );
    expect(error.issues).toEqual([
      { field: 'LLM_RETRY_MAX_ATTEMPTS', message: 'LLM_RETRY_MAX_ATTEMPTS must be an integer (received "x")' },
      { field: 'LLM_RETRY_BASE_DELAY_MS', message: 'LLM_RETRY_BASE_DELAY_MS must be a number (received "y")' },
      {
        field: 'LLM_RETRY_JITTER',
        message: 'LLM_RETRY_JITTER must be one of full, equal, decorrelated, none (received "z")',
      },
      {
        field: 'LLM_RETRY_RESPECT_RETRY_AFTER',
        message: 'LLM_RETRY_RESPECT_RETRY_AFTER must be one of true, false, 1, 0, yes, no (received "w")',
      },
    ]);
  });

  it('lists several out-of-range variables at once, by variable name', () => {
    const error = configError(() =>
      RetryConfig.fromEnv({
        LLM_RETRY_MAX_ATTEMPTS: '11',
        LLM_RETRY_BASE_DELAY_MS: '50',
        LLM_RETRY_TOTAL_TIMEOUT_MS: '0',
      }),
    );
    expect(error.message).toBe(
      'LLM_RETRY_MAX_ATTEMPTS must not be greater than 10 (received 11); LLM_RETRY_BASE_DELAY_MS must not be less than 100 (received 50); ' +
        'LLM_RETRY_TOTAL_TIMEOUT_MS must not be less than 1 (received 0)',
    );
    expect(error.issues.map((i) => i.field)).toEqual([
      'LLM_RETRY_MAX_ATTEMPTS',
      'LLM_RETRY_BASE_DELAY_MS',
      'LLM_RETRY_TOTAL_TIMEOUT_MS',
    ]);
    for (const issue of error.issues) expect(issue.message).not.toMatch(/\b(maxAttempts|baseDelayMs|totalTimeoutMs)\b/);
  });
});

describe('JSON.stringify', () => {
  it('gives the plain fields only', () => {
    expect(JSON.stringify(new RetryConfig())).toBe(
      '{"maxAttempts":3,"baseDelayMs":1000,"maxDelayMs":30000,"exponentialBase":2,"jitter":"full",' +
        '"respectRetryAfter":true,"maxRetryAfterMs":60000}',
    );
  });

  it('includes timeouts when set', () => {
    expect(JSON.parse(JSON.stringify(new RetryConfig({ attemptTimeoutMs: 5, totalTimeoutMs: 50 })))).toEqual({
      maxAttempts: 3,
      baseDelayMs: 1000,
      maxDelayMs: 30_000,
      exponentialBase: 2,
      jitter: 'full',
      respectRetryAfter: true,
      maxRetryAfterMs: 60_000,
      attemptTimeoutMs: 5,
      totalTimeoutMs: 50,
    });
  });
});

describe('properties', () => {
  const FIELDS = [
    'maxAttempts',
    'baseDelayMs',
    'maxDelayMs',
    'exponentialBase',
    'jitter',
    'respectRetryAfter',
    'maxRetryAfterMs',
    'attemptTimeoutMs',
    'totalTimeoutMs',
  ] as const;
  const fullValid: fc.Arbitrary<RetryConfigFields> = validRetryConfig;

  /** A valid object with any subset of the fields (omitted fields take their defaults). */
  const validPartial: fc.Arbitrary<Partial<RetryConfigFields>> = fc
    .tuple(fullValid, fc.subarray([...FIELDS]))
    .map(([full, keys]) => Object.fromEntries(keys.map((key) => [key, full[key]])) as Partial<RetryConfigFields>)
    .filter((partial) => (partial.maxDelayMs ?? 30_000) >= (partial.baseDelayMs ?? 1000));

  it('any object built from in-range values is accepted and round-trips through JSON', () => {
    fc.assert(
      fc.property(validPartial, (partial) => {
        const config = new RetryConfig(partial);
        expect(config).toMatchObject(partial);
        const back = RetryConfig.from(JSON.parse(JSON.stringify(config)));
        expect(back).toBeInstanceOf(RetryConfig);
        expect(plain(back)).toEqual(plain(config));
        for (const field of FIELDS) expect(back[field]).toBe(config[field]);
      }),
    );
  });

  it('any out-of-range integer maxAttempts is rejected with an issue for maxAttempts', () => {
    const outOfRange = fc.oneof(fc.integer({ max: 0 }), fc.integer({ min: 11 }));
    fc.assert(
      fc.property(validPartial, outOfRange, (partial, maxAttempts) => {
        const error = configError(() => RetryConfig.from({ ...partial, maxAttempts }));
        expect(error.issues).toEqual([
          {
            field: 'maxAttempts',
            message:
              (maxAttempts < 1 ? 'maxAttempts must not be less than 1' : 'maxAttempts must not be greater than 10') +
              ` (received ${maxAttempts})`,
          },
        ]);
      }),
    );
  });
});
