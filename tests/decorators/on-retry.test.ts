// Issue #12 item 16: the onRetry option, told before each retry's wait.
import { InternalServerError, RateLimitError } from 'openai';
import { configureResilience, createResiliencePipeline, resetResilience, RetryOpenAI, type RetryInfo } from '../../src';

beforeEach(() => {
  resetResilience();
  configureResilience({ logger: { error() {}, warn() {}, info() {}, debug() {} }, random: () => 0 });
  jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick'] });
});
afterEach(() => {
  jest.useRealTimers();
  resetResilience();
});

const overloaded = () => new InternalServerError(503, { message: 'overloaded' }, undefined, new Headers());
const limited = () =>
  new RateLimitError(429, { message: 'slow down' }, undefined, new Headers({ 'retry-after-ms': '1500' }));

async function settle<T>(promise: Promise<T>): Promise<T> {
  const done = promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  await jest.runAllTimersAsync();
  const outcome = await done;
  if ('error' in outcome) throw outcome.error;
  return outcome.value;
}

describe('onRetry', () => {
  it('is told each retry: the attempt that failed, the wait, the kind, the status and the error', async () => {
    const seen: RetryInfo[] = [];
    const failures = [overloaded(), limited()];
    let calls = 0;
    class Agent {
      @RetryOpenAI({ maxAttempts: 3, onRetry: (info) => void seen.push(info) })
      async complete(): Promise<string> {
        const failure = failures[calls++];
        if (failure) throw failure;
        return 'ok';
      }
    }
    await expect(settle(new Agent().complete())).resolves.toBe('ok');
    expect(seen).toEqual([
      { attempt: 1, delayMs: 0, kind: 'server', status: 503, error: failures[0] },
      { attempt: 2, delayMs: 1500, kind: 'rate_limit', status: 429, error: failures[1] },
    ]);
  });

  it('is not told when the call is not retried, nor on success', async () => {
    const onRetry = jest.fn();
    const pipeline = createResiliencePipeline({ provider: 'openai', maxAttempts: 3, onRetry });
    await expect(pipeline.execute(async () => 'ok')).resolves.toBe('ok');
    const auth = Object.assign(new Error('no'), { status: 401, headers: new Headers() });
    await expect(settle(pipeline.execute(async () => Promise.reject(auth)))).rejects.toBe(auth);
    expect(onRetry).not.toHaveBeenCalled();
  });

  it('never breaks the call: a hook that throws or rejects changes nothing', async () => {
    let calls = 0;
    class Agent {
      @RetryOpenAI({
        maxAttempts: 3,
        onRetry: () => {
          throw new Error('hook bug');
        },
      })
      async complete(): Promise<string> {
        if (calls++ === 0) throw overloaded();
        return 'ok';
      }
    }
    await expect(settle(new Agent().complete())).resolves.toBe('ok');
    const pipeline = createResiliencePipeline({
      provider: 'openai',
      onRetry: () => Promise.reject(new Error('async hook bug')) as unknown as void,
    });
    let attempts = 0;
    await expect(
      settle(
        pipeline.execute(async () => {
          if (attempts++ === 0) throw overloaded();
          return 'ok';
        }),
      ),
    ).resolves.toBe('ok');
  });

  it('must be a function: said when the class is defined', () => {
    expect(() => {
      class Agent {
        @RetryOpenAI({ onRetry: 'log' as never })
        async complete(): Promise<string> {
          return 'ok';
        }
      }
      return Agent;
    }).toThrow(/onRetry must be a function/);
  });
});
