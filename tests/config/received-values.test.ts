import { configureResilience, createResiliencePipeline, resetResilience, RetryConfig, RetryOpenAI } from '../../src';
import type { ResiliencePipeline, ResilienceSettings } from '../../src';
import { AdaptiveRateLimiter } from '../../src/strategies/rate-limit/adaptive-rate-limiter';
import { describeReceived } from '../../src/internal/option-checks';

/*
 * Bad input gets an error naming the field, the rule and the value received, at the
 * earliest moment: here for the nested options (circuitBreaker, retryBudget, bulkhead), the
 * pipeline and decorator options and the process-wide settings. Each row would fail if the
 * message dropped the value (or named another field, or another rule).
 */

afterEach(() => resetResilience());

/** The message of what `act` throws (synchronously, or as a rejected promise). */
async function messageOf(act: () => unknown): Promise<string> {
  try {
    await act();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected an error, but nothing was thrown');
}

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `field rule (received X)`, or `field rule (...; received X)` when the rule ends in a parenthesis of its own. */
function expectNamed(message: string, field: string, rule: string, received: string): void {
  expect(message).toMatch(new RegExp(`${escape(`${field} ${rule}`)}(?: \\(|; )received ${escape(received)}\\)`));
}

const pipeline = (options: unknown): ResiliencePipeline => createResiliencePipeline(options as never);
const configure = (settings: unknown): void => configureResilience(settings as ResilienceSettings);
const config = (fields: unknown): RetryConfig => new RetryConfig(fields as never);
const ok = () => 'ok';

describe('errors name the field, the rule and the value received', () => {
  it.each<[string, () => unknown, string, string, string]>([
    // circuitBreaker
    ...[0, -5, 1e9].map((value): [string, () => unknown, string, string, string] => [
      `circuitBreaker.probeTimeoutMs ${value}`,
      () => config({ circuitBreaker: { probeTimeoutMs: value } }),
      'circuitBreaker.probeTimeoutMs',
      'must be an integer from 1 to 86400000',
      String(value),
    ]),
    [
      'circuitBreaker.probeTimeoutMs "30s"',
      () => config({ circuitBreaker: { probeTimeoutMs: '30s' } }),
      'circuitBreaker.probeTimeoutMs',
      'must be an integer from 1 to 86400000',
      '"30s"',
    ],
    [
      'circuitBreaker.failureRatio 1.5',
      () => config({ circuitBreaker: { failureRatio: 1.5 } }),
      'circuitBreaker.failureRatio',
      'must be a number greater than 0 and at most 1',
      '1.5',
    ],
    [
      'circuitBreaker.maxHalfOpenAfterMs below halfOpenAfterMs',
      () => config({ circuitBreaker: { halfOpenAfterMs: 60_000, maxHalfOpenAfterMs: 10_000 } }),
      'circuitBreaker.maxHalfOpenAfterMs',
      'must be at least circuitBreaker.halfOpenAfterMs (60000)',
      '10000',
    ],
    [
      'circuitBreaker "yes"',
      () => config({ circuitBreaker: 'yes' }),
      'circuitBreaker',
      'must be true, false or an object of circuit breaker options',
      '"yes"',
    ],
    [
      'circuitBreaker from the environment',
      () => RetryConfig.fromEnv({ LLM_RETRY_CIRCUIT_BREAKER: '{"probeTimeoutMs":"30s"}' }),
      'LLM_RETRY_CIRCUIT_BREAKER.probeTimeoutMs',
      'must be an integer from 1 to 86400000',
      '"30s"',
    ],
    [
      'circuitBreaker in pipeline options',
      () => pipeline({ name: 'chat', circuitBreaker: { failureThreshold: 0 } }),
      'circuitBreaker.failureThreshold',
      'must be an integer from 1 to 1000',
      '0',
    ],
    // retryBudget
    [
      'retryBudget.capacity 0',
      () => config({ retryBudget: { capacity: 0 } }),
      'retryBudget.capacity',
      'must be a positive integer',
      '0',
    ],
    [
      'retryBudget.successRefund -1',
      () => config({ retryBudget: { successRefund: -1 } }),
      'retryBudget.successRefund',
      'must be a non-negative integer',
      '-1',
    ],
    [
      'retryBudget.retryCost above the capacity',
      () => config({ retryBudget: { capacity: 10, retryCost: 20 } }),
      'retryBudget.retryCost',
      'must be at most retryBudget.capacity (10)',
      '20',
    ],
    [
      'retryBudget [500]',
      () => config({ retryBudget: [500] }),
      'retryBudget',
      'must be true, false or an object of retry budget options',
      'an array',
    ],
    // bulkhead
    [
      'bulkhead.maxConcurrency 0',
      () => config({ bulkhead: { maxConcurrency: 0 } }),
      'bulkhead.maxConcurrency',
      'must be an integer of at least 1',
      '0',
    ],
    [
      'bulkhead.queueLimit -1',
      () => config({ bulkhead: { maxConcurrency: 2, queueLimit: -1 } }),
      'bulkhead.queueLimit',
      'must be an integer of at least 0',
      '-1',
    ],
    [
      'bulkhead true',
      () => config({ bulkhead: true }),
      'bulkhead',
      'must be false or an object { maxConcurrency, queueLimit }',
      'true',
    ],
    // the adaptive limiter's options
    [
      'AdaptiveRateLimiter maxBurst 0',
      () => new AdaptiveRateLimiter({ maxBurst: 0 }),
      'maxBurst',
      'must be a positive integer',
      '0',
    ],
    [
      'AdaptiveRateLimiter decreaseFactor 1',
      () => new AdaptiveRateLimiter({ decreaseFactor: 1 }),
      'decreaseFactor',
      'must be greater than 0 and less than 1',
      '1',
    ],
    [
      'AdaptiveRateLimiter decreaseIntervalMs -1',
      () => new AdaptiveRateLimiter({ decreaseIntervalMs: -1 }),
      'decreaseIntervalMs',
      'must be a finite number of at least 0',
      '-1',
    ],
    // pipeline and decorator options
    ['pipeline options 5', () => pipeline(5), 'createResiliencePipeline: options', 'must be an object', '5'],
    ['pipeline name ""', () => pipeline({ name: '' }), 'name', 'must be a non-empty string', '""'],
    [
      'pipeline key "  "',
      () => pipeline({ key: '  ' }),
      'key',
      'must be a non-empty string, or a function (instance, args) => string',
      '"  "',
    ],
    ['pipeline configName 7', () => pipeline({ configName: 7 }), 'configName', 'must be a non-empty string', '7'],
    [
      'pipeline shouldRetry "yes"',
      () => pipeline({ shouldRetry: 'yes' }),
      'shouldRetry',
      'must be a function (error) => boolean',
      '"yes"',
    ],
    [
      'pipeline config, a plain object',
      () => pipeline({ config: { maxAttempts: 2 } }),
      'config',
      'must be a RetryConfig or a function (instance, args) => RetryConfig | undefined',
      'an object',
    ],
    ['pipeline onRetry true', () => pipeline({ onRetry: true }), 'onRetry', 'must be a function', 'true'],
    [
      'pipeline provider "openia"',
      () => pipeline({ provider: 'openia' }),
      'provider',
      "must be 'openai', 'azure' or 'network'",
      '"openia"',
    ],
    [
      'pipeline logger "console"',
      () => pipeline({ logger: 'console' }),
      'logger',
      'must be a winston logger (missing error, warn, info, debug',
      '"console"',
    ],
    [
      'pipeline tracer {}',
      () => pipeline({ tracer: {} }),
      'tracer',
      'must have a logEvent(event, details) method',
      'an object',
    ],
    [
      'execute(fn) without a function',
      () => pipeline({}).execute(42 as never),
      'execute(fn)',
      'needs a function (context) => ...',
      '42',
    ],
    [
      'execute(fn, options) with options that are not an object',
      () => pipeline({}).execute(ok, 'fast' as never),
      'options',
      'must be an object { signal? }',
      '"fast"',
    ],
    [
      'execute(fn, { signal }) with something else than an AbortSignal',
      () => pipeline({}).execute(ok, { signal: true as never }),
      'signal',
      'must be an AbortSignal',
      'true',
    ],
    [
      'stream(fn, { resume }) with a resume that is not a function',
      () =>
        pipeline({})
          .stream(ok as never, { resume: 'again' as never })
          .next(),
      'resume',
      'must be a function (from, context) => ...',
      '"again"',
    ],
    ['decorator options 5', () => RetryOpenAI(5 as never), '@RetryOpenAI: options', 'must be an object', '5'],
    // process-wide settings
    ['configureResilience(5)', () => configure(5), 'settings', 'must be an object', '5'],
    [
      'configureResilience random 0.5',
      () => configure({ random: 0.5 }),
      'random',
      'must be a function returning a number in [0, 1)',
      '0.5',
    ],
    [
      'configureResilience configs []',
      () => configure({ configs: [] }),
      'configs',
      'must be an object of named retry configs',
      'an array',
    ],
    [
      'configureResilience stateStore {}',
      () => configure({ stateStore: {} }),
      'stateStore',
      'must be a state store, e.g. createRedisStateStore({ client })',
      'an object',
    ],
  ])('%s', async (_label, act, field, rule, received) => {
    expectNamed(await messageOf(act), field, rule, received);
  });

  it('a missing required field says it is required, without "received undefined"', () => {
    expect(() => config({ bulkhead: {} })).toThrow(/^bulkhead\.maxConcurrency is required$/);
  });

  it('a stateStore given as a string (a Redis URL may hold a password) is described, not quoted', async () => {
    const message = await messageOf(() => configure({ stateStore: 'redis://app:s3cret@cache:6379' }));
    expect(message).toContain('stateStore must be a state store');
    expect(message).toContain('(received a string (29 characters))');
    expect(message).not.toContain('s3cret');
  });
});

describe('how a received value is named', () => {
  it.each([
    ['a string, quoted', 'abc', '"abc"'],
    ['a long string, cut at 40 characters', 'x'.repeat(50), `"${'x'.repeat(40)}…"`],
    ['a URL without a user part or query, quoted', 'redis://localhost', '"redis://localhost"'],
    ['a URL with a password, by its scheme only', 'redis://:s3cret@cache:6379', 'a "redis:" URL (26 characters)'],
    ['a URL with a query, by its scheme only', 'https://h/?api-key=s3cret', 'a "https:" URL (25 characters)'],
    ['a class instance, by its class', new Date(0), 'an instance of Date'],
    ['a plain object', { a: 1 }, 'an object'],
    ['an object with no prototype', Object.create(null) as object, 'an object'],
    ['an array', [1], 'an array'],
    ['a function', () => 1, 'a function'],
  ])('%s', (_what, value, named) => {
    expect(describeReceived(value)).toBe(named);
  });
});
