/**
 * Where the protection options come from (unit level, no server): `configureResilience({
 * defaults })` and the `LLM_RETRY_CIRCUIT_BREAKER` / `LLM_RETRY_RETRY_BUDGET` /
 * `LLM_RETRY_BULKHEAD` environment variables apply to decorated methods that do not set the
 * option themselves; per-method options win; the environment is read once, until
 * `resetResilience()`.
 */
import {
  CircuitOpenError,
  configureResilience,
  isBulkheadRejectedError,
  isCircuitOpenError,
  isRetryConfigError,
  resetResilience,
  Retry,
  type RetryOptions,
} from '../../src';
import { RecordingTracer } from '../llm/helpers';
import { isTransient, TransientError } from '../support/errors';
import { createTestLogger } from '../support/test-logger';

const ENV_VARS = ['LLM_RETRY_CIRCUIT_BREAKER', 'LLM_RETRY_RETRY_BUDGET', 'LLM_RETRY_BULKHEAD'] as const;
const savedEnv: Partial<Record<(typeof ENV_VARS)[number], string | undefined>> = {};
let tracer: RecordingTracer;

/** resetResilience() forgets the logger too: set the test's own again (no stderr output). */
function configureTest(): void {
  tracer = new RecordingTracer();
  configureResilience({ logger: createTestLogger().logger, random: () => 0, tracer });
}

beforeEach(() => {
  for (const name of ENV_VARS) {
    savedEnv[name] = process.env[name];
    delete process.env[name];
  }
  resetResilience();
  configureTest();
});

afterEach(() => {
  for (const name of ENV_VARS) {
    if (savedEnv[name] === undefined) delete process.env[name];
    else process.env[name] = savedEnv[name];
  }
  resetResilience();
});

/** Sets an environment variable and makes the library read the environment again. */
function setEnv(name: (typeof ENV_VARS)[number], value: string): void {
  process.env[name] = value;
  resetResilience();
  configureTest();
}

/** A decorated method that always fails with a retryable error, counting its runs. */
function failing(options: Partial<RetryOptions> = {}) {
  let runs = 0;
  class Upstream {
    @Retry({ shouldRetry: isTransient, key: 'config-upstream', maxAttempts: 1, ...options })
    async call(): Promise<string> {
      runs++;
      throw new TransientError();
    }
  }
  return { upstream: new Upstream(), runs: () => runs };
}

/** Calls `n` times; returns how many calls ended with CircuitOpenError. */
async function callTimes(target: { call(): Promise<string> }, n: number): Promise<unknown[]> {
  const outcomes: unknown[] = [];
  for (let i = 0; i < n; i++) outcomes.push(await target.call().catch((error: unknown) => error));
  return outcomes;
}

describe('configureResilience({ defaults: { circuitBreaker } })', () => {
  it('is off for decorated methods by default: failures never open a circuit', async () => {
    const { upstream, runs } = failing();
    const outcomes = await callTimes(upstream, 10);
    expect(runs()).toBe(10);
    expect(outcomes.some(isCircuitOpenError)).toBe(false);
  });

  it('circuitBreaker: true applies to decorated methods (defined before the call), with the default threshold of 5', async () => {
    const { upstream, runs } = failing(); // defined before the defaults are set
    configureResilience({ defaults: { circuitBreaker: true } });
    const outcomes = await callTimes(upstream, 8);
    expect(runs()).toBe(5);
    expect(outcomes.slice(0, 5).every((outcome) => outcome instanceof TransientError)).toBe(true);
    expect(outcomes.slice(5).every(isCircuitOpenError)).toBe(true);
    // The default half-open wait: 30 s.
    expect((outcomes[5] as CircuitOpenError).retryAfterMs).toBeGreaterThan(29_000);
    expect((outcomes[5] as CircuitOpenError).retryAfterMs).toBeLessThanOrEqual(30_000);
    expect(tracer.named('circuit_opened')).toEqual([{ key: 'config-upstream', failures: 5 }]);
  });

  it('an options object sets the breaker options', async () => {
    configureResilience({ defaults: { circuitBreaker: { failureThreshold: 2, halfOpenAfterMs: 1000 } } });
    const { upstream, runs } = failing();
    const outcomes = await callTimes(upstream, 4);
    expect(runs()).toBe(2);
    expect(outcomes.slice(2).every(isCircuitOpenError)).toBe(true);
    expect((outcomes[2] as CircuitOpenError).retryAfterMs).toBeLessThanOrEqual(1000);
  });

  it('the decorator option wins: circuitBreaker: false on the method keeps it off', async () => {
    configureResilience({ defaults: { circuitBreaker: { failureThreshold: 2 } } });
    const { upstream, runs } = failing({ circuitBreaker: false });
    await callTimes(upstream, 6);
    expect(runs()).toBe(6);
    expect(tracer.named('circuit_opened')).toEqual([]);
  });

  it('the decorator options object wins over the defaults object', async () => {
    configureResilience({ defaults: { circuitBreaker: { failureThreshold: 2 } } });
    const { upstream, runs } = failing({ circuitBreaker: { failureThreshold: 4 } });
    await callTimes(upstream, 6);
    expect(runs()).toBe(4);
  });

  it('defaults.retryBudget applies too', async () => {
    configureResilience({ defaults: { retryBudget: { capacity: 10, retryCost: 5 }, baseDelayMs: 100 } });
    const { upstream, runs } = failing({ maxAttempts: 5 });
    await callTimes(upstream, 2);
    expect(runs()).toBe(3 + 1); // 2 retries paid, then none
    expect(tracer.named('retry_budget_exhausted')).toEqual([{ key: 'config-upstream' }]);
  });
});

describe('environment: LLM_RETRY_CIRCUIT_BREAKER, LLM_RETRY_RETRY_BUDGET, LLM_RETRY_BULKHEAD', () => {
  it('LLM_RETRY_CIRCUIT_BREAKER=\'{"failureThreshold":2}\' turns the breaker on for decorated methods', async () => {
    setEnv('LLM_RETRY_CIRCUIT_BREAKER', '{"failureThreshold":2}');
    const { upstream, runs } = failing();
    const outcomes = await callTimes(upstream, 5);
    expect(runs()).toBe(2);
    expect(outcomes.slice(2).every(isCircuitOpenError)).toBe(true);
    expect(tracer.named('circuit_opened')).toEqual([{ key: 'config-upstream', failures: 2 }]);
  });

  it.each([
    ['true', 5],
    ['false', Infinity],
  ])('LLM_RETRY_CIRCUIT_BREAKER=%s', async (value, threshold) => {
    setEnv('LLM_RETRY_CIRCUIT_BREAKER', value);
    const { upstream, runs } = failing();
    await callTimes(upstream, 8);
    expect(runs()).toBe(Math.min(8, threshold));
  });

  it('configureResilience defaults win over the environment; the decorator option over both', async () => {
    setEnv('LLM_RETRY_CIRCUIT_BREAKER', '{"failureThreshold":2}');
    configureResilience({ defaults: { circuitBreaker: { failureThreshold: 3 } } });
    const fromDefaults = failing();
    await callTimes(fromDefaults.upstream, 6);
    expect(fromDefaults.runs()).toBe(3);

    resetResilience(); // forgets the open circuit (and the settings)
    configureTest();
    configureResilience({ defaults: { circuitBreaker: { failureThreshold: 3 } } });
    const fromOption = failing({ circuitBreaker: false });
    await callTimes(fromOption.upstream, 6);
    expect(fromOption.runs()).toBe(6);
  });

  it('is read once and cached until resetResilience()', async () => {
    const { upstream, runs } = failing();
    await callTimes(upstream, 1); // the environment (no breaker) has been read and cached
    process.env.LLM_RETRY_CIRCUIT_BREAKER = '{"failureThreshold":2}';
    await callTimes(upstream, 4);
    expect(runs()).toBe(5); // still no breaker

    resetResilience();
    configureTest();
    const outcomes = await callTimes(upstream, 4);
    expect(runs()).toBe(7);
    expect(outcomes.slice(2).every(isCircuitOpenError)).toBe(true);
  });

  it('a bad value is rejected when the class is defined, naming the variable', () => {
    setEnv('LLM_RETRY_CIRCUIT_BREAKER', '{"failureTreshold":2}');
    let error: unknown;
    try {
      failing();
    } catch (caught) {
      error = caught;
    }
    expect(isRetryConfigError(error)).toBe(true);
    expect((error as Error).message).toMatch(
      /LLM_RETRY_CIRCUIT_BREAKER\.failureTreshold is not a circuit breaker option/,
    );
  });

  it('LLM_RETRY_RETRY_BUDGET as JSON sets the budget', async () => {
    setEnv('LLM_RETRY_RETRY_BUDGET', '{"capacity":10,"retryCost":5}');
    const { upstream, runs } = failing({ maxAttempts: 5, baseDelayMs: 100 });
    await callTimes(upstream, 3);
    expect(runs()).toBe(3 + 1 + 1);
    expect(tracer.named('retry_budget_exhausted')).toEqual([{ key: 'config-upstream' }]);
  });

  it('LLM_RETRY_BULKHEAD as JSON caps concurrent calls', async () => {
    setEnv('LLM_RETRY_BULKHEAD', '{"maxConcurrency":1,"queueLimit":0}');
    let release!: () => void;
    class Slow {
      @Retry({ shouldRetry: isTransient, key: 'config-upstream' })
      async call(): Promise<string> {
        await new Promise<void>((resolve) => (release = resolve));
        return 'done';
      }
    }
    const slow = new Slow();
    const first = slow.call();
    const second = await slow.call().catch((error: unknown) => error);
    expect(isBulkheadRejectedError(second)).toBe(true);
    await new Promise((resolve) => setImmediate(resolve));
    release();
    await expect(first).resolves.toBe('done');
  });
});
