import { RateLimitError } from 'openai';
import { CircuitOpenError, isBulkheadRejectedError, isCircuitOpenError, Retry, RetryOpenAI, Tracer } from '../../src';
import { FatalError, isTransient, TransientError } from '../support/errors';
import { useRetryTestEnvironment } from '../support/retry-test-environment';

let events: Array<[string, Record<string, unknown>]> = [];
const tracer: Tracer = { logEvent: (event, details) => void events.push([event, details]) };
const env = useRetryTestEnvironment(() => ({ tracer }));
beforeEach(() => {
  events = [];
});

const names = () => events.map(([name]) => name);
const settle = async <T>(promise: Promise<T>) => {
  const outcome = promise.catch((error: unknown) => error);
  await jest.runAllTimersAsync();
  return outcome;
};

describe('circuit breaker (per key)', () => {
  function service(fail: () => unknown) {
    let calls = 0;
    class Upstream {
      calls = () => calls;
      @Retry({
        shouldRetry: isTransient,
        key: 'inventory',
        maxAttempts: 1,
        circuitBreaker: { failureThreshold: 2, halfOpenAfterMs: 1000 },
      })
      async get() {
        calls++;
        const failure = fail();
        if (failure) throw failure;
        return 'ok';
      }
    }
    return new Upstream();
  }

  it('opens after the threshold of retryable failures and fails fast without calling the method', async () => {
    const upstream = service(() => new TransientError());
    await settle(upstream.get());
    await settle(upstream.get());
    expect(upstream.calls()).toBe(2);
    expect(events.filter(([name]) => name === 'circuit_opened')).toEqual([
      ['circuit_opened', { key: 'inventory', failures: 2 }],
    ]);

    const refused = await settle(upstream.get());
    expect(isCircuitOpenError(refused)).toBe(true);
    expect((refused as CircuitOpenError).retryAfterMs).toBeGreaterThan(0);
    expect((refused as CircuitOpenError).message).toBe('The service is temporarily unavailable');
    expect(upstream.calls()).toBe(2);
    expect(
      env.log.at('warn').some((entry) => /Circuit for inventory opened after 2 failures/.test(entry.message)),
    ).toBe(true);
  });

  it('lets a probe through after halfOpenAfterMs; its success closes the circuit', async () => {
    let failing = true;
    const upstream = service(() => (failing ? new TransientError() : undefined));
    await settle(upstream.get());
    await settle(upstream.get());
    failing = false;
    await jest.advanceTimersByTimeAsync(1000);
    await expect(upstream.get()).resolves.toBe('ok');
    expect(names()).toEqual(expect.arrayContaining(['circuit_opened', 'circuit_half_open', 'circuit_closed']));
    await expect(upstream.get()).resolves.toBe('ok');
  });

  it('does not count failures that say nothing about the upstream (a 400)', async () => {
    const upstream = service(() => new FatalError());
    for (let i = 0; i < 5; i++) await settle(upstream.get());
    expect(upstream.calls()).toBe(5);
    expect(names()).not.toContain('circuit_opened');
  });

  it('is shared by every method with the same key', async () => {
    let calls = 0;
    class A {
      @Retry({ shouldRetry: isTransient, key: 'shared', maxAttempts: 1, circuitBreaker: { failureThreshold: 1 } })
      async one() {
        calls++;
        throw new TransientError();
      }
    }
    class B {
      @Retry({ shouldRetry: isTransient, key: 'shared', maxAttempts: 1, circuitBreaker: { failureThreshold: 1 } })
      async two() {
        calls++;
        return 'never';
      }
    }
    await settle(new A().one());
    expect(isCircuitOpenError(await settle(new B().two()))).toBe(true);
    expect(calls).toBe(1);
  });
});

describe('retry budget (per key, on by default)', () => {
  it('stops retrying when the key cannot pay, says so once per episode, and never refuses a first attempt', async () => {
    let calls = 0;
    class Flaky {
      @Retry({
        shouldRetry: isTransient,
        key: 'budgeted',
        maxAttempts: 10,
        retryBudget: { capacity: 10, retryCost: 5 },
      })
      async run() {
        calls++;
        throw new TransientError();
      }
    }
    await settle(new Flaky().run());
    expect(calls).toBe(3); // 1 + 2 retries paid (10 tokens), the third retry refused
    expect(events.filter(([name]) => name === 'retry_budget_exhausted')).toEqual([
      ['retry_budget_exhausted', { key: 'budgeted' }],
    ]);
    expect(events.at(-1)).toEqual(['retry_not_retryable', { attempt: 3, kind: 'unknown', reason: 'retry_budget' }]);

    await settle(new Flaky().run());
    expect(calls).toBe(4); // the first attempt runs; no retry is affordable; no second event
    expect(names().filter((name) => name === 'retry_budget_exhausted')).toHaveLength(1);
    expect(
      env.log.at('warn').filter((entry) => /Retry budget for budgeted is exhausted/.test(entry.message)),
    ).toHaveLength(1);
  });

  it('can be turned off with retryBudget: false', async () => {
    let calls = 0;
    class Flaky {
      @Retry({ shouldRetry: isTransient, maxAttempts: 10, retryBudget: false, baseDelayMs: 100 })
      async run() {
        calls++;
        throw new TransientError();
      }
    }
    await settle(new Flaky().run());
    expect(calls).toBe(10);
  });
});

describe('rate-limit cooldown (per key)', () => {
  it('makes every call to the key wait until the Retry-After a 429 announced, first attempts included', async () => {
    const started: Array<[string, number]> = [];
    const t0 = Date.now();
    class Chat {
      @RetryOpenAI({ key: 'openai|gpt-4o' })
      async complete(who: string, fail: boolean) {
        started.push([who, Date.now() - t0]);
        if (fail)
          throw new RateLimitError(429, { message: 'slow down' }, undefined, new Headers({ 'retry-after-ms': '2000' }));
        return who;
      }
    }
    const chat = new Chat();
    const a = chat.complete('a', true).catch(() => 'a failed');
    await jest.advanceTimersByTimeAsync(10);
    const b = chat.complete('b', false);
    await jest.advanceTimersByTimeAsync(1500);
    expect(started.map(([who]) => who)).toEqual(['a']); // b is still waiting out the cooldown
    await jest.advanceTimersByTimeAsync(1000);
    await expect(b).resolves.toBe('b');
    const bStart = started.find(([who]) => who === 'b')![1];
    expect(bStart).toBeGreaterThanOrEqual(2000);
    await jest.runAllTimersAsync();
    await a;
  });
});

describe('bulkhead (per key, off by default)', () => {
  it('runs maxConcurrency calls at once, queues queueLimit more, and rejects the rest at once', async () => {
    const releases: Array<() => void> = [];
    let running = 0;
    let peak = 0;
    class Limited {
      @Retry({ shouldRetry: isTransient, key: 'narrow', bulkhead: { maxConcurrency: 1, queueLimit: 1 } })
      async run(n: number) {
        running++;
        peak = Math.max(peak, running);
        await new Promise<void>((resolve) => releases.push(resolve));
        running--;
        return n;
      }
    }
    const limited = new Limited();
    const first = limited.run(1);
    const second = limited.run(2);
    const third = limited.run(3).catch((error: unknown) => error);
    await jest.advanceTimersByTimeAsync(0);
    expect(isBulkheadRejectedError(await third)).toBe(true);
    expect(((await third) as Error).message).toBe('Too many concurrent calls to narrow (limit 1, queue 1)');
    expect(releases).toHaveLength(1);
    releases[0]();
    await expect(first).resolves.toBe(1);
    await jest.advanceTimersByTimeAsync(0);
    releases[1]();
    await expect(second).resolves.toBe(2);
    expect(peak).toBe(1);
  });

  it('validates its options when the class is defined', () => {
    expect(() => {
      class Bad {
        @Retry({ shouldRetry: isTransient, bulkhead: { maxConcurency: 2 } as never })
        async run() {}
      }
      return Bad;
    }).toThrow(/bulkhead/);
  });
});

describe('key option', () => {
  it.each([[''], [42]])('rejects key %p at definition', (key) => {
    expect(() => {
      class Bad {
        @Retry({ shouldRetry: isTransient, key: key as string })
        async run() {}
      }
      return Bad;
    }).toThrow(/key must be a non-empty string/);
  });
});
