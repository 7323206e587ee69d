// getUpstreamState(key) and resetUpstream(key): what this process knows of one key, for
// health endpoints and tests (issue #12 item 16).
import { InternalServerError, RateLimitError } from 'openai';
import { configureResilience, getUpstreamState, resetResilience, resetUpstream, RetryOpenAI } from '../../src';
import { createTestLogger } from '../support/test-logger';

beforeEach(() => {
  resetResilience();
  configureResilience({ logger: createTestLogger().logger, random: () => 0 });
  jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick'] });
  jest.setSystemTime(1_700_000_000_000);
});
afterEach(() => {
  jest.useRealTimers();
  resetResilience();
});

const serverError = () => new InternalServerError(503, { message: 'overloaded' }, undefined, new Headers());
const rateLimited = () =>
  new RateLimitError(
    429,
    { message: 'slow down' },
    undefined,
    new Headers({ 'retry-after': '30', 'x-ratelimit-limit-requests': '600' }),
  );

function agent(key: string, failures: Array<() => Error>) {
  let calls = 0;
  class Agent {
    @RetryOpenAI({
      key,
      maxAttempts: 1,
      circuitBreaker: { failureThreshold: 2, halfOpenAfterMs: 5000 },
      retryBudget: { capacity: 10 },
      bulkhead: { maxConcurrency: 4, queueLimit: 8 },
    })
    async complete(): Promise<string> {
      const failure = failures[calls++];
      if (failure) throw failure();
      return 'ok';
    }
  }
  return new Agent();
}

describe('getUpstreamState', () => {
  it('is undefined for a key nobody used', () => {
    expect(getUpstreamState('never-used')).toBeUndefined();
  });

  it('tells the circuit, the budget and the bulkhead of a key in use', async () => {
    const a = agent('k1', []);
    await a.complete();
    expect(getUpstreamState('k1')).toEqual({
      key: 'k1',
      circuit: { state: 'closed' },
      retryBudget: { available: 10, capacity: 10 },
      bulkhead: { inFlight: 0, queued: 0 },
    });
  });

  it('tells an open circuit and when it lets a probe through', async () => {
    const a = agent('k2', [serverError, serverError]);
    await expect(a.complete()).rejects.toThrow();
    await expect(a.complete()).rejects.toThrow();
    expect(getUpstreamState('k2')?.circuit).toEqual({ state: 'open', opensInMs: 5000 });
    jest.advanceTimersByTime(2000);
    expect(getUpstreamState('k2')?.circuit).toEqual({ state: 'open', opensInMs: 3000 });
  });

  it("tells a 429's cooldown and the pacing learned from its headers", async () => {
    const a = agent('k3', [rateLimited]);
    await expect(a.complete()).rejects.toThrow();
    const state = getUpstreamState('k3');
    expect(state?.cooldownUntilMs).toBe(1_700_000_000_000 + 30_000);
    expect(state?.pacing).toEqual(expect.objectContaining({ limitPerMinute: 600, replicas: 1, waiting: 0 }));
  });

  it('is a copy: changing it changes nothing', async () => {
    await agent('k4', []).complete();
    const state = getUpstreamState('k4') as { retryBudget: { available: number } };
    state.retryBudget.available = 0;
    expect(getUpstreamState('k4')?.retryBudget?.available).toBe(10);
  });
});

describe('resetUpstream', () => {
  it("forgets a key's state: an open circuit lets the next call through", async () => {
    const failing = agent('k5', [serverError, serverError]);
    await expect(failing.complete()).rejects.toThrow();
    await expect(failing.complete()).rejects.toThrow();
    await expect(failing.complete()).rejects.toThrow('temporarily unavailable');
    expect(resetUpstream('k5')).toBe(true);
    expect(getUpstreamState('k5')).toBeUndefined();
    await expect(failing.complete()).resolves.toBe('ok');
  });

  it('answers false for a key it does not know', () => {
    expect(resetUpstream('unknown')).toBe(false);
  });
});
