import {
  AttemptTimeoutError,
  configureResilience,
  getRetryContext,
  resetResilience,
  Retry,
  RetryTimeoutError,
} from '../../src';
import { isTransient, TransientError } from '../support/errors';
import { createTestLogger } from '../support/test-logger';

let log: ReturnType<typeof createTestLogger>;
let events: Array<[string, Record<string, unknown>]>;
beforeEach(() => {
  resetResilience();
  log = createTestLogger();
  events = [];
  configureResilience({
    logger: log.logger,
    random: () => 0.5,
    tracer: { logEvent: (event, details) => void events.push([event, details]) },
  });
  jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick'] });
});
afterEach(() => {
  jest.useRealTimers();
  resetResilience();
});

const never = () => new Promise<never>(() => undefined);

describe("the caller's AbortSignal", () => {
  it('stops the wait between attempts at once and rejects with the abort reason', async () => {
    let calls = 0;
    class Agent {
      @Retry({ shouldRetry: isTransient })
      async run(_prompt: string, _options: { signal: AbortSignal }) {
        calls++;
        throw new TransientError();
      }
    }
    const controller = new AbortController();
    const result = new Agent().run('hi', { signal: controller.signal });
    const settled = expect(result).rejects.toBe('user cancelled');
    await jest.advanceTimersByTimeAsync(100); // inside the first 500 ms backoff
    controller.abort('user cancelled');
    await settled;
    await jest.runAllTimersAsync();
    expect(calls).toBe(1);
  });

  it('rejects at once while an attempt that ignores the signal is still running, and drops its late result', async () => {
    let finish!: (value: string) => void;
    class Agent {
      @Retry({ shouldRetry: isTransient })
      run(signal: AbortSignal) {
        void signal;
        return new Promise<string>((resolve) => (finish = resolve));
      }
    }
    const controller = new AbortController();
    const reason = new Error('stop');
    const result = new Agent().run(controller.signal);
    controller.abort(reason);
    await expect(result).rejects.toBe(reason);
    finish('too late');
  });

  it('does not start an attempt when the signal is already aborted', async () => {
    let calls = 0;
    class Agent {
      @Retry({ shouldRetry: isTransient })
      async run(signal: AbortSignal) {
        void signal;
        calls++;
      }
    }
    await expect(new Agent().run(AbortSignal.abort('early'))).rejects.toBe('early');
    expect(calls).toBe(0);
  });

  it('aborts the signal of getRetryContext() too, so the SDK can stop the request', async () => {
    let attemptSignal: AbortSignal | undefined;
    class Agent {
      @Retry({ shouldRetry: isTransient })
      async run(_options: { signal: AbortSignal }) {
        attemptSignal = getRetryContext()!.signal;
        return never();
      }
    }
    const controller = new AbortController();
    const result = new Agent().run({ signal: controller.signal });
    controller.abort('bye');
    await expect(result).rejects.toBe('bye');
    expect(attemptSignal?.aborted).toBe(true);
  });
});

describe('attemptTimeoutMs', () => {
  it('abandons a hanging attempt as a retryable timeout and aborts its context signal', async () => {
    const signals: AbortSignal[] = [];
    class Agent {
      @Retry({ shouldRetry: isTransient, attemptTimeoutMs: 1000 })
      async run() {
        const ctx = getRetryContext()!;
        signals.push(ctx.signal);
        if (ctx.attempt === 1) return never();
        return 'second';
      }
    }
    const result = new Agent().run();
    await jest.advanceTimersByTimeAsync(999);
    expect(signals[0].aborted).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(signals[0].aborted).toBe(true);
    expect(signals[0].reason).toBeInstanceOf(AttemptTimeoutError);
    await jest.advanceTimersByTimeAsync(500);
    await expect(result).resolves.toBe('second');
    expect(log.at('warn')[0]).toMatchObject({ kind: 'timeout', attempt: 1 });
  });

  it('rethrows the AttemptTimeoutError when every attempt times out', async () => {
    class Agent {
      @Retry({ shouldRetry: () => false, attemptTimeoutMs: 50, maxAttempts: 2 })
      async run() {
        return never();
      }
    }
    const result = new Agent().run();
    const settled = expect(result).rejects.toBeInstanceOf(AttemptTimeoutError);
    await jest.runAllTimersAsync();
    await settled;
  });
});

describe('totalTimeoutMs', () => {
  it('gives up at once when the next sleep would end past the deadline, with the last error', async () => {
    const errors: TransientError[] = [];
    class Agent {
      @Retry({ shouldRetry: isTransient, totalTimeoutMs: 1200, maxAttempts: 5 })
      async run() {
        const error = new TransientError(`attempt ${errors.length + 1}`);
        errors.push(error);
        throw error;
      }
    }
    const result = new Agent().run();
    const outcome = result.catch((error: unknown) => error);
    // attempt 1 fails at 0, sleeps 500; attempt 2 fails at 500, next sleep 1000 would end at 1500 > 1200.
    await jest.advanceTimersByTimeAsync(500);
    expect(await outcome).toBe(errors[1]);
    expect(errors).toHaveLength(2);
    expect(events.find(([name]) => name === 'retry_not_retryable')?.[1]).toEqual({
      attempt: 2,
      kind: 'unknown',
      reason: 'deadline',
    });
    expect(log.at('error')).toHaveLength(1);
  });

  it('aborts an attempt still running at the deadline and rejects with RetryTimeoutError when none failed', async () => {
    let signal: AbortSignal | undefined;
    class Agent {
      @Retry({ shouldRetry: isTransient, totalTimeoutMs: 3000 })
      async run() {
        signal = getRetryContext()!.signal;
        return never();
      }
    }
    const result = new Agent().run();
    const settled = expect(result).rejects.toBeInstanceOf(RetryTimeoutError);
    await jest.advanceTimersByTimeAsync(3000);
    await settled;
    expect(signal?.aborted).toBe(true);
    expect(log.at('error')).toHaveLength(1);
  });

  it('rejects with the previous attempt error when a later attempt is running at the deadline', async () => {
    const first = new TransientError('first');
    class Agent {
      @Retry({ shouldRetry: isTransient, totalTimeoutMs: 2000 })
      async run() {
        if (getRetryContext()!.attempt === 1) throw first;
        return never();
      }
    }
    const result = new Agent().run();
    const settled = expect(result).rejects.toBe(first);
    await jest.advanceTimersByTimeAsync(2000);
    await settled;
  });
});
