/**
 * createResiliencePipeline: the decorators' engine without decorators. Real error shapes
 * (openai's classes, core-rest-pipeline's RestError, Node and undici socket errors), retry
 * sleeps on jest's fake clock, waits on conditions (log lines, calls made) only.
 */
import { RestError } from '@azure/core-rest-pipeline';
import { AuthenticationError, InternalServerError, RateLimitError } from 'openai';
import {
  configureResilience,
  createResiliencePipeline,
  isCircuitOpenError,
  isRetryTimeoutError,
  isStreamInterruptedError,
  Retry,
  RetryConfigError,
  type RetryContext,
  type Tracer,
} from '../../src';
import { connectionReset, FatalError, isTransient, TransientError } from '../support/errors';
import { useRetryTestEnvironment } from '../support/retry-test-environment';

let events: Array<[string, Record<string, unknown>]> = [];
const tracer: Tracer = { logEvent: (event, details) => void events.push([event, details]) };
const env = useRetryTestEnvironment(() => ({ tracer }));
beforeEach(() => {
  events = [];
});

/** Lets the call run to its end on the fake clock; resolves with its value or its error. */
async function settle<T>(promise: Promise<T>): Promise<T | unknown> {
  const outcome = promise.catch((error: unknown) => error);
  await jest.runAllTimersAsync();
  return outcome;
}

/** Fails with the given errors in turn, then returns `value`; counts the attempts. */
function flaky<T>(errors: unknown[], value: T) {
  const contexts: RetryContext[] = [];
  const fn = (context: RetryContext) => {
    contexts.push(context);
    const error = errors[contexts.length - 1];
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- real SDK errors are Errors; tests pass any
    if (error !== undefined) return Promise.reject(error);
    return Promise.resolve(value);
  };
  return { fn, attempts: () => contexts.length, contexts };
}

const server503 = () => new InternalServerError(503, { message: 'overloaded' }, undefined, new Headers());
const unauthorized = () => new AuthenticationError(401, { message: 'bad key' }, undefined, new Headers());
const restError503 = () => new RestError('Service Unavailable', { statusCode: 503 });
/** What undici's fetch throws when the socket closes under it. */
const fetchFailed = () =>
  Object.assign(new TypeError('fetch failed'), {
    cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }),
  });

describe('retries by provider, against real error shapes', () => {
  it.each<[string, 'openai' | 'azure' | 'network' | undefined, unknown, boolean]>([
    ['openai retries an openai 503', 'openai', server503(), true],
    [
      'openai retries an openai 429',
      'openai',
      new RateLimitError(429, { message: 'slow' }, undefined, new Headers()),
      true,
    ],
    ['openai does not retry a 401', 'openai', unauthorized(), false],
    ['openai does not retry a RestError 503', 'openai', restError503(), false],
    ['azure retries a RestError 503', 'azure', restError503(), true],
    ['azure retries an openai 503 (AzureOpenAI throws the same classes)', 'azure', server503(), true],
    ['azure does not retry a 401', 'azure', unauthorized(), false],
    ['network retries a connection reset', 'network', connectionReset(), true],
    ['network retries an undici "fetch failed"', 'network', fetchFailed(), true],
    ['no provider means network: a connection reset', undefined, connectionReset(), true],
    ['no provider means network: a RestError 503', undefined, restError503(), true],
    ['network does not retry a 401', 'network', unauthorized(), false],
  ])('%s', async (_name, provider, error, retried) => {
    const pipeline = createResiliencePipeline({ name: 'p', ...(provider ? { provider } : {}) });
    const call = flaky([error], 'ok');
    const outcome = await settle(pipeline.execute(call.fn));
    if (retried) {
      expect(outcome).toBe('ok');
      expect(call.attempts()).toBe(2);
    } else {
      expect(outcome).toBe(error); // the original error, unchanged
      expect(call.attempts()).toBe(1);
    }
  });

  it('retries what a shouldRetry predicate says, nothing else', async () => {
    const pipeline = createResiliencePipeline({ name: 'custom', shouldRetry: isTransient, maxAttempts: 4 });
    const transient = flaky([new TransientError(), new TransientError()], 42);
    expect(await settle(pipeline.execute(transient.fn))).toBe(42);
    expect(transient.attempts()).toBe(3);

    const fatal = new FatalError();
    const final = flaky([fatal], 0);
    expect(await settle(pipeline.execute(final.fn))).toBe(fatal);
    expect(final.attempts()).toBe(1);
  });

  it('rethrows the last original error when attempts run out', async () => {
    const pipeline = createResiliencePipeline({ name: 'p', provider: 'openai', maxAttempts: 2 });
    const last = server503();
    const call = flaky([server503(), last], 'never');
    expect(await settle(pipeline.execute(call.fn))).toBe(last);
    expect(call.attempts()).toBe(2);
  });
});

describe('execute', () => {
  it("hands fn each attempt's context: attempt, maxAttempts, an AbortSignal", async () => {
    const pipeline = createResiliencePipeline({ name: 'p', shouldRetry: isTransient, maxAttempts: 3 });
    const call = flaky([new TransientError(), new TransientError()], 'third time');
    expect(await settle(pipeline.execute(call.fn))).toBe('third time');
    expect(call.contexts.map((context) => [context.attempt, context.maxAttempts])).toEqual([
      [1, 3],
      [2, 3],
      [3, 3],
    ]);
    for (const context of call.contexts) expect(context.signal).toBeInstanceOf(AbortSignal);
  });

  it('always returns a promise: a synchronous value resolves it', async () => {
    const pipeline = createResiliencePipeline();
    const result = pipeline.execute(() => 7);
    expect(result).toBeInstanceOf(Promise);
    expect(await result).toBe(7);
  });

  it('a synchronous throw is a rejected promise, retried like any failure', async () => {
    const pipeline = createResiliencePipeline({ name: 'sync', shouldRetry: isTransient });
    let attempts = 0;
    const fn = (): string => {
      if (++attempts < 3) throw new TransientError();
      return 'done';
    };
    let result: Promise<string> | undefined;
    expect(() => (result = pipeline.execute(fn))).not.toThrow();
    expect(await settle(result!)).toBe('done');
    expect(attempts).toBe(3);

    const fatal = new FatalError();
    const rejected = pipeline.execute(() => {
      throw fatal;
    });
    await expect(rejected).rejects.toBe(fatal);
  });

  it('rejects (never throws) a call that is not a function', async () => {
    const pipeline = createResiliencePipeline({ name: 'p' });
    await expect(pipeline.execute(undefined as never)).rejects.toThrow(/pipeline "p": execute\(fn\) needs a function/);
    await expect(pipeline.execute(() => 1, { signal: 'stop' as never })).rejects.toThrow(
      /signal must be an AbortSignal/,
    );
  });

  it('works detached from the pipeline object', async () => {
    const { execute } = createResiliencePipeline({ name: 'p' });
    expect(await execute(async () => 'ok')).toBe('ok');
  });
});

describe("the caller's signal", () => {
  it('ends the backoff at once, rejects with its reason and starts no further attempt', async () => {
    const pipeline = createResiliencePipeline({ name: 'cancellable', shouldRetry: isTransient, maxAttempts: 5 });
    const controller = new AbortController();
    const call = flaky([new TransientError(), new TransientError()], 'late');
    const outcome = pipeline.execute(call.fn, { signal: controller.signal }).catch((error: unknown) => error);
    // The first attempt failed and the retry was announced: the call now sleeps (500 ms).
    while (env.log.at('warn').length === 0) await jest.advanceTimersByTimeAsync(0);
    const reason = new Error('user went away');
    controller.abort(reason);
    expect(await outcome).toBe(reason);
    expect(call.attempts()).toBe(1);
    await jest.runAllTimersAsync();
    expect(call.attempts()).toBe(1);
  });

  it("aborts the running attempt's signal, and is never retried", async () => {
    const pipeline = createResiliencePipeline({ name: 'p', shouldRetry: () => true });
    const controller = new AbortController();
    const seen: AbortSignal[] = [];
    const outcome = pipeline
      .execute(
        ({ signal }) =>
          new Promise((_, reject) => {
            seen.push(signal);
            signal.addEventListener('abort', () => reject(signal.reason));
          }),
        { signal: controller.signal },
      )
      .catch((error: unknown) => error);
    await jest.advanceTimersByTimeAsync(0);
    controller.abort('stop');
    expect(await outcome).toBe('stop');
    expect(seen).toHaveLength(1);
    expect(seen[0].aborted).toBe(true);
  });

  it('an already aborted signal rejects without calling fn', async () => {
    const pipeline = createResiliencePipeline({ name: 'p' });
    const fn = jest.fn(async () => 'never');
    await expect(pipeline.execute(fn, { signal: AbortSignal.abort('gone') })).rejects.toBe('gone');
    expect(fn).not.toHaveBeenCalled();
  });
});

describe('totalTimeoutMs', () => {
  it('ends a hanging attempt at the deadline with a RetryTimeoutError and aborts its signal', async () => {
    const pipeline = createResiliencePipeline({ name: 'deadline', totalTimeoutMs: 2_000 });
    const signals: AbortSignal[] = [];
    const outcome = settle(
      pipeline.execute(({ signal }) => {
        signals.push(signal);
        return new Promise<never>(() => undefined);
      }),
    );
    const error = await outcome;
    expect(isRetryTimeoutError(error)).toBe(true);
    expect(signals).toHaveLength(1);
    expect(signals[0].aborted).toBe(true);
  });

  it('no sleep ends past the deadline: the call fails with the last error instead', async () => {
    const pipeline = createResiliencePipeline({
      name: 'deadline',
      shouldRetry: isTransient,
      maxAttempts: 10,
      jitter: 'none',
      totalTimeoutMs: 2_500,
    });
    const second = new TransientError('second');
    const call = flaky([new TransientError('first'), second, new TransientError('third')], 'never');
    // Sleeps of 1000 then 2000 ms: the second would end at 3000 ms, past the deadline.
    expect(await settle(pipeline.execute(call.fn))).toBe(second);
    expect(call.attempts()).toBe(2);
    expect(env.log.at('error')[0].message).toMatch(/total timeout/);
  });
});

describe('stream', () => {
  async function* items(values: string[], failAfter?: number, error: unknown = new TransientError()) {
    for (const [index, value] of values.entries()) {
      if (index === failAfter) throw error;
      yield value;
    }
    if (failAfter === values.length) throw error;
  }

  it('retries a stream that fails before its first item', async () => {
    const pipeline = createResiliencePipeline({ name: 'stream', shouldRetry: isTransient });
    const attempts: number[] = [];
    const seen: string[] = [];
    const done = (async () => {
      for await (const item of pipeline.stream((context) => {
        attempts.push(context.attempt);
        return context.attempt === 1 ? items(['a', 'b'], 0) : items(['a', 'b']);
      })) {
        seen.push(item);
      }
    })();
    await settle(done);
    expect(seen).toEqual(['a', 'b']);
    expect(attempts).toEqual([1, 2]);
  });

  it('does not retry once an item reached the caller: a StreamInterruptedError whose cause is the failure', async () => {
    const pipeline = createResiliencePipeline({ name: 'stream', shouldRetry: isTransient });
    const broken = new TransientError('cut');
    let attempts = 0;
    const seen: string[] = [];
    const done = (async () => {
      for await (const item of pipeline.stream(() => {
        attempts++;
        return items(['a', 'b', 'c'], 2, broken);
      })) {
        seen.push(item);
      }
    })();
    const error = await settle(done);
    expect(isStreamInterruptedError(error)).toBe(true);
    expect(error).toMatchObject({ cause: broken, itemsReceived: 2, partialText: 'ab' });
    expect(seen).toEqual(['a', 'b']);
    expect(attempts).toBe(1);
    expect(events.filter(([name]) => name === 'retry_not_retryable').map(([, details]) => details.reason)).toEqual([
      'stream_started',
    ]);
  });

  it('retries a synchronous throw of fn; a non-function fails the stream', async () => {
    const pipeline = createResiliencePipeline({ name: 'stream', shouldRetry: isTransient });
    let attempts = 0;
    const seen: string[] = [];
    const done = (async () => {
      for await (const item of pipeline.stream(() => {
        if (++attempts === 1) throw new TransientError();
        return items(['x']);
      })) {
        seen.push(item);
      }
    })();
    await settle(done);
    expect(seen).toEqual(['x']);
    expect(attempts).toBe(2);

    const iterator = pipeline.stream(42 as never);
    await expect(iterator.next()).rejects.toThrow(/stream\(fn\) needs a function/);
  });
});

describe('validated when created, naming the pipeline', () => {
  it('rejects an unknown option with a did-you-mean hint', () => {
    const create = () => createResiliencePipeline({ name: 'chat', maxAtempts: 4 } as never);
    expect(create).toThrow(RetryConfigError);
    expect(create).toThrow('pipeline "chat": maxAtempts is not a retry option (did you mean maxAttempts?)');
    expect(() => createResiliencePipeline({ provder: 'openai' } as never)).toThrow(/did you mean provider\?/);
  });

  it('rejects provider together with shouldRetry, and an unknown provider', () => {
    expect(() => createResiliencePipeline({ name: 'chat', provider: 'openai', shouldRetry: () => true })).toThrow(
      new TypeError('pipeline "chat": give provider or shouldRetry, not both'),
    );
    expect(() => createResiliencePipeline({ name: 'chat', provider: 'anthropic' as never })).toThrow(
      /pipeline "chat": provider must be 'openai', 'azure' or 'network'/,
    );
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['maxAttempts 0', { maxAttempts: 0 }, /pipeline "p": maxAttempts must not be less than 1/],
    ['shouldRetry not a function', { shouldRetry: 'yes' }, /pipeline "p": shouldRetry must be a function/],
    ['a logger that is not one', { logger: console.log }, /pipeline "p": logger must be a winston logger/],
    ['an empty key', { key: '' }, /pipeline "p": key must be a non-empty string/],
    ['a plain object as config', { config: { maxAttempts: 2 } }, /pipeline "p": config must be a RetryConfig/],
    [
      'null for retryBudget',
      { retryBudget: null },
      /retryBudget must be .*null is not accepted \(false turns it off\)/,
    ],
  ])('rejects %s', (_name, options, message) => {
    expect(() => createResiliencePipeline({ name: 'p', ...options })).toThrow(message);
  });

  it('rejects a name that is not a non-empty string', () => {
    expect(() => createResiliencePipeline({ name: '' })).toThrow(/name must be a non-empty string/);
  });

  it('checks its options against configureResilience defaults when created, naming both fields', () => {
    configureResilience({ defaults: { maxDelayMs: 2_000 } });
    const create = () => createResiliencePipeline({ name: 'slow', baseDelayMs: 5_000, maxDelayMs: undefined });
    expect(create).toThrow(RetryConfigError);
    expect(create).toThrow(
      'pipeline "slow": maxDelayMs (2000, from configureResilience defaults) must not be less than baseDelayMs (5000, from the pipeline options)',
    );
  });
});

describe('logs, events and keys shared with the decorators', () => {
  it("the warn line and the events name the pipeline's name", async () => {
    const pipeline = createResiliencePipeline({ name: 'billing-api', provider: 'openai' });
    const call = flaky([server503()], 'ok');
    await settle(pipeline.execute(call.fn));
    const [warning] = env.log.at('warn');
    expect(warning.message).toMatch(/^Retrying billing-api in 0\.50s \(attempt 1\/3 failed: .*503/);
    expect(warning.method).toBe('billing-api');
    expect(events.map(([name]) => name)).toEqual([
      'retry_attempt_start',
      'retry_attempt_failed',
      'retry_backoff_delay',
      'retry_attempt_start',
      'llm_call_success',
    ]);
  });

  it("is named 'pipeline' by default", async () => {
    const call = flaky([connectionReset()], 'ok');
    await settle(createResiliencePipeline().execute(call.fn));
    expect(env.log.at('warn')[0].message).toMatch(/^Retrying pipeline in /);
  });

  it('shares the circuit breaker of its key with a decorated method using that key', async () => {
    const breaker = { failureThreshold: 2, halfOpenAfterMs: 60_000 };
    class Inventory {
      calls = 0;
      @Retry({ shouldRetry: isTransient, key: 'inventory', maxAttempts: 1, circuitBreaker: breaker })
      async stock(): Promise<number> {
        this.calls++;
        throw new TransientError();
      }
    }
    const inventory = new Inventory();
    await settle(inventory.stock());
    await settle(inventory.stock());
    expect(events.filter(([name]) => name === 'circuit_opened')).toEqual([
      ['circuit_opened', { key: 'inventory', failures: 2 }],
    ]);

    const pipeline = createResiliencePipeline({ name: 'inventory-batch', key: 'inventory', shouldRetry: isTransient });
    const fn = jest.fn(async () => 5);
    const refused = await settle(pipeline.execute(fn));
    expect(isCircuitOpenError(refused)).toBe(true);
    expect(fn).not.toHaveBeenCalled();
  });

  it('its key defaults to its name', async () => {
    const opened = createResiliencePipeline({
      name: 'search',
      shouldRetry: isTransient,
      maxAttempts: 1,
      circuitBreaker: { failureThreshold: 1, halfOpenAfterMs: 60_000 },
    });
    await settle(opened.execute(() => Promise.reject(new TransientError())));
    expect(events).toContainEqual(['circuit_opened', { key: 'search', failures: 1 }]);
  });
});
