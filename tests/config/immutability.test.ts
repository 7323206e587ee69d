import { RetryConfig, RetryConfigError, type RetryConfigFields } from '../../src';
import { explicitFields } from '../../src/config/retry-config';

describe('a RetryConfig is immutable once validated', () => {
  it.each<[string, () => RetryConfig]>([
    ['new RetryConfig()', () => new RetryConfig({ maxAttempts: 4 })],
    ['RetryConfig.from()', () => RetryConfig.from({ maxAttempts: 4 })],
    ['RetryConfig.from(a RetryConfig)', () => RetryConfig.from(new RetryConfig({ maxAttempts: 4 }))],
    ['RetryConfig.fromEnv()', () => RetryConfig.fromEnv({ LLM_RETRY_MAX_ATTEMPTS: '4' })],
  ])('%s: assigning a field throws a TypeError and changes nothing', (_name, build) => {
    const config = build() as { -readonly [K in keyof RetryConfig]: RetryConfig[K] };
    expect(Object.isFrozen(config)).toBe(true);
    expect(() => {
      config.maxAttempts = 1000;
    }).toThrow(TypeError);
    expect(() => {
      config.baseDelayMs = -5;
    }).toThrow(TypeError);
    expect(() => {
      config.totalTimeoutMs = 5;
    }).toThrow(TypeError);
    expect(() => {
      (config as unknown as Record<string, unknown>).extra = 1;
    }).toThrow(TypeError);
    expect(config.maxAttempts).toBe(4);
    expect(config.baseDelayMs).toBe(1000);
    expect(config.totalTimeoutMs).toBeUndefined();
  });

  it('freezes its nested option objects: its own copies, not the caller’s objects', () => {
    const breaker = { failureThreshold: 3 };
    const bulkhead = { maxConcurrency: 2 };
    const config = new RetryConfig({ circuitBreaker: breaker, retryBudget: { capacity: 50 }, bulkhead });
    for (const nested of [config.circuitBreaker, config.retryBudget, config.bulkhead]) {
      expect(Object.isFrozen(nested)).toBe(true);
    }
    expect(() => {
      (config.circuitBreaker as { failureThreshold: number }).failureThreshold = 1;
    }).toThrow(TypeError);
    expect(config.circuitBreaker).toEqual({ failureThreshold: 3 });
    // The caller's own objects stay theirs; changing them later does not change the config.
    expect(Object.isFrozen(breaker)).toBe(false);
    breaker.failureThreshold = 99;
    bulkhead.maxConcurrency = 99;
    expect(config.circuitBreaker).toEqual({ failureThreshold: 3 });
    expect(config.bulkhead).toEqual({ maxConcurrency: 2 });
  });

  it('freezes the nested options read from the environment', () => {
    const config = RetryConfig.fromEnv({ LLM_RETRY_CIRCUIT_BREAKER: '{"failureThreshold":3}' });
    expect(Object.isFrozen(config.circuitBreaker)).toBe(true);
  });

  it('a "__proto__" key of a nested JSON object stays an unknown key', () => {
    expect(() => RetryConfig.from(JSON.parse('{"circuitBreaker": {"__proto__": {"failureThreshold": 1}}}'))).toThrow(
      /circuitBreaker\.__proto__ is not a circuit breaker option/,
    );
  });
});

describe('null: "none" for the timeouts, refused for the switches', () => {
  it('a null timeout reads undefined, but its layer says "none" explicitly', () => {
    const config = new RetryConfig({ attemptTimeoutMs: null, totalTimeoutMs: null, maxAttempts: 2 });
    expect(config.attemptTimeoutMs).toBeUndefined();
    expect(config.totalTimeoutMs).toBeUndefined();
    expect(explicitFields(config)).toEqual({ attemptTimeoutMs: null, totalTimeoutMs: null, maxAttempts: 2 });
    // A copy keeps it; an unset timeout is not part of the layer.
    expect(explicitFields(RetryConfig.from(config))).toEqual(explicitFields(config));
    expect(explicitFields(new RetryConfig({ maxAttempts: 2 }))).toEqual({ maxAttempts: 2 });
  });

  it.each<[keyof RetryConfigFields, RegExp]>([
    [
      'circuitBreaker',
      /^circuitBreaker must be true, false or an object of circuit breaker options; null is not accepted \(false turns it off\)$/,
    ],
    [
      'retryBudget',
      /^retryBudget must be true, false or an object of retry budget options; null is not accepted \(false turns it off\)$/,
    ],
    [
      'bulkhead',
      /^bulkhead must be false or an object \{ maxConcurrency, queueLimit \}; null is not accepted \(false turns it off\)$/,
    ],
  ])('%s: null is refused with a clear message (false turns it off)', (field, message) => {
    let error: unknown;
    try {
      RetryConfig.from({ [field]: null });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(RetryConfigError);
    expect((error as RetryConfigError).issues).toEqual([{ field, message: expect.stringMatching(message) }]);
    expect(new RetryConfig({ [field]: false })[field]).toBe(false);
  });

  it('LLM_RETRY_RETRY_BUDGET=null is refused naming the variable', () => {
    expect(() => RetryConfig.fromEnv({ LLM_RETRY_RETRY_BUDGET: 'null' })).toThrow(
      /^LLM_RETRY_RETRY_BUDGET must be true, false or an object of retry budget options; null is not accepted/,
    );
  });
});
