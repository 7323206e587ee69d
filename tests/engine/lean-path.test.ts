/**
 * The lean path remembers that a method's first attempt may run bare (no cooldown, pacing or
 * breaker on its key, no tracer): these tests make something appear after that decision and
 * check that the very next call sees it — whichever method or settings change brought it, and
 * also after the key was forgotten and started afresh.
 */
import { APIError, RateLimitError } from 'openai';
import {
  configureResilience,
  getUpstreamState,
  isCircuitOpenError,
  isUpstreamThrottledError,
  resetUpstream,
  Retry,
  RetryOpenAI,
  type Tracer,
} from '../../src';
import { isTransient, TransientError } from '../support/errors';
import { useRetryTestEnvironment } from '../support/retry-test-environment';

const env = useRetryTestEnvironment();
const KEY = 'openai|lean';

/** A method on KEY with no option that needs supervision: its calls take the lean path. */
function leanService() {
  const started: number[] = [];
  const t0 = Date.now();
  class Chat {
    @RetryOpenAI({ key: KEY })
    async complete(question: string) {
      started.push(Date.now() - t0);
      return `answer to ${question}`;
    }
  }
  return { chat: new Chat(), started };
}

/** Another method on KEY whose one call gets a 429 asking to wait 2 s. */
async function rateLimitTheKey(): Promise<void> {
  class Other {
    @RetryOpenAI({ key: KEY, maxAttempts: 1 })
    async complete() {
      throw new RateLimitError(429, { message: 'slow down' }, undefined, new Headers({ 'retry-after-ms': '2000' }));
    }
  }
  await expect(new Other().complete()).rejects.toBeInstanceOf(RateLimitError);
}

/** Another method on KEY, with a circuit breaker, whose one failure opens it. */
async function openTheCircuit(): Promise<void> {
  class Other {
    @Retry({ shouldRetry: isTransient, key: KEY, maxAttempts: 1, circuitBreaker: { failureThreshold: 1 } })
    async get() {
      throw new TransientError();
    }
  }
  await expect(new Other().get()).rejects.toBeInstanceOf(TransientError);
}

/** The first call, made before anything is on the key: runs at once. */
async function callBare(chat: { complete(question: string): Promise<string> }, started: number[]) {
  await expect(chat.complete('q1')).resolves.toBe('answer to q1');
  expect(started).toEqual([0]);
}

/** When the state appears: on the key the method used, or on the key started afresh after it was forgotten. */
const WHEN: Array<[string, boolean]> = [
  ['by another method', false],
  ['after resetUpstream(key) forgot the key', true],
];

describe('lean path: what appears on the key after a bare first attempt holds the next one', () => {
  it.each(WHEN)('a 429 cooldown set %s makes the next call wait for it', async (_when, forget) => {
    const { chat, started } = leanService();
    await callBare(chat, started);
    if (forget) expect(resetUpstream(KEY)).toBe(true);
    await rateLimitTheKey();

    const next = chat.complete('q2');
    await jest.advanceTimersByTimeAsync(1900);
    expect(started).toHaveLength(1); // still waiting out the cooldown
    await jest.advanceTimersByTimeAsync(1000);
    await expect(next).resolves.toBe('answer to q2');
    expect(started[1]).toBeGreaterThanOrEqual(2000);
  });

  it.each(WHEN)('a circuit breaker opened %s refuses the next call without running it', async (_when, forget) => {
    const { chat, started } = leanService();
    await callBare(chat, started);
    if (forget) resetUpstream(KEY);
    await openTheCircuit();

    const refused = await chat.complete('q2').catch((error: unknown) => error);
    expect(isCircuitOpenError(refused)).toBe(true);
    expect(started).toHaveLength(1);
  });

  it('after resetUpstream(key), the next call works on the key afresh (the key is known again)', async () => {
    const { chat, started } = leanService();
    await callBare(chat, started);
    expect(getUpstreamState(KEY)).toEqual({ key: KEY });
    resetUpstream(KEY);
    expect(getUpstreamState(KEY)).toBeUndefined();

    await expect(chat.complete('q2')).resolves.toBe('answer to q2');
    expect(getUpstreamState(KEY)).toEqual({ key: KEY });
  });

  it('a tracer configured afterwards receives the next call’s events', async () => {
    const { chat, started } = leanService();
    await callBare(chat, started);
    const events: string[] = [];
    const tracer: Tracer = { logEvent: (event) => void events.push(event) };
    configureResilience({ logger: env.log.logger, tracer });

    await expect(chat.complete('q2')).resolves.toBe('answer to q2');
    expect(events).toEqual(['retry_attempt_start', 'llm_call_success']);
  });

  it('once the cooldown is over, calls run bare again', async () => {
    const { chat, started } = leanService();
    await rateLimitTheKey();
    const waited = chat.complete('q1');
    await jest.advanceTimersByTimeAsync(2100);
    await expect(waited).resolves.toBe('answer to q1');
    expect(started[0]).toBeGreaterThanOrEqual(2000);

    const t = started.length;
    await expect(chat.complete('q2')).resolves.toBe('answer to q2'); // no timer to advance: it ran at once
    expect(started).toHaveLength(t + 1);
  });
});

describe('lean path: pacing', () => {
  it('a rate limit another method learned paces the next call', async () => {
    const { chat, started } = leanService();
    await callBare(chat, started);
    class Other {
      @RetryOpenAI({ key: KEY, maxAttempts: 1 })
      async complete() {
        throw new APIError(
          503,
          { message: 'busy' },
          undefined,
          new Headers({ 'x-ratelimit-limit-requests': '1', 'x-ratelimit-remaining-requests': '0' }),
        );
      }
    }
    await expect(new Other().complete()).rejects.toBeInstanceOf(APIError);

    const outcome = await chat.complete('q2').catch((error: unknown) => error);
    expect(outcome).toMatchObject({ reason: 'pacing' });
    expect(isUpstreamThrottledError(outcome)).toBe(true);
    expect(started).toHaveLength(1);
  });
});
