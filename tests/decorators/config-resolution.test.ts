import {
  configureResilience,
  missingConfigNames,
  resetResilience,
  Retry,
  RetryAzure,
  RetryConfig,
  RetryConfigError,
  RetryNetwork,
  RetryOpenAI,
} from '../../src';
import { isTransient, TransientError } from '../support/errors';
import { useRetryTestEnvironment } from '../support/retry-test-environment';

const ENV_KEYS = ['LLM_RETRY_MAX_ATTEMPTS', 'LLM_RETRY_BASE_DELAY_MS', 'LLM_RETRY_JITTER'];

const env = useRetryTestEnvironment();
afterEach(() => {
  for (const key of ENV_KEYS) delete process.env[key];
});

/** Runs `call` to completion and returns how many attempts the body saw. */
async function attemptsOf(run: (count: () => number) => Promise<unknown>): Promise<number> {
  let attempts = 0;
  const done = run(() => ++attempts).catch(() => undefined);
  await jest.runAllTimersAsync();
  await done;
  return attempts;
}

function failingAgent(decoratorOptions: Parameters<typeof Retry>[0], instanceConfig?: RetryConfig) {
  class Agent {
    retryConfig = instanceConfig;
    @Retry(decoratorOptions)
    async run(count: () => number) {
      count();
      throw new TransientError();
    }
  }
  return new Agent();
}

describe('configuration layers, field by field', () => {
  it('uses built-in defaults (3 attempts) when nothing is set', async () => {
    const agent = failingAgent({ shouldRetry: isTransient });
    expect(await attemptsOf((count) => agent.run(count))).toBe(3);
  });

  it('environment < configureResilience defaults < instance retryConfig < options.config < literal options', async () => {
    process.env.LLM_RETRY_MAX_ATTEMPTS = '2';
    resetResilience();
    configureResilience({ logger: env.log.logger, random: () => 0.5 });
    expect(await attemptsOf((c) => failingAgent({ shouldRetry: isTransient }).run(c))).toBe(2);

    configureResilience({ defaults: { maxAttempts: 4 } });
    expect(await attemptsOf((c) => failingAgent({ shouldRetry: isTransient }).run(c))).toBe(4);

    const perAgent = new RetryConfig({ maxAttempts: 5 });
    expect(await attemptsOf((c) => failingAgent({ shouldRetry: isTransient }, perAgent).run(c))).toBe(5);

    const viaOption = new RetryConfig({ maxAttempts: 6 });
    expect(
      await attemptsOf((c) => failingAgent({ shouldRetry: isTransient, config: viaOption }, perAgent).run(c)),
    ).toBe(6);

    expect(
      await attemptsOf((c) =>
        failingAgent({ shouldRetry: isTransient, config: viaOption, maxAttempts: 7 }, perAgent).run(c),
      ),
    ).toBe(7);
  });

  it('lets a field a config does not set fall through to the layer below', async () => {
    configureResilience({ defaults: { baseDelayMs: 200 } });
    const agent = failingAgent({ shouldRetry: isTransient }, new RetryConfig({ maxAttempts: 2 }));
    const done = agent.run(() => 0).catch(() => undefined);
    await jest.advanceTimersByTimeAsync(0);
    await jest.runAllTimersAsync();
    await done;
    // Full jitter with random 0.5: half of the 200 ms base from configureResilience.
    expect(env.log.at('warn').map((entry) => entry.delayMs)).toEqual([100]);
  });

  it('reads a per-instance config through the config function option', async () => {
    class Agent {
      constructor(readonly settings: { retry: RetryConfig }) {}
      @Retry({ shouldRetry: isTransient, config: (self: Agent) => self.settings.retry })
      async run(count: () => number) {
        count();
        throw new TransientError();
      }
    }
    const agent = new Agent({ retry: new RetryConfig({ maxAttempts: 2 }) });
    expect(await attemptsOf((c) => agent.run(c))).toBe(2);
  });

  it('passes the call arguments to the config function (a config handed in per call)', async () => {
    class Service {
      @Retry({ shouldRetry: isTransient, config: (_self, [agent]) => (agent as { retry: RetryConfig }).retry })
      async run(_agent: { retry: RetryConfig }, count: () => number) {
        count();
        throw new TransientError();
      }
    }
    const service = new Service();
    expect(await attemptsOf((c) => service.run({ retry: new RetryConfig({ maxAttempts: 4 }) }, c))).toBe(4);
    expect(await attemptsOf((c) => service.run({ retry: new RetryConfig({ maxAttempts: 1 }) }, c))).toBe(1);
  });

  it('reads the environment once and caches it until resetResilience()', async () => {
    process.env.LLM_RETRY_MAX_ATTEMPTS = '2';
    resetResilience();
    configureResilience({ logger: env.log.logger });
    expect(await attemptsOf((c) => failingAgent({ shouldRetry: isTransient }).run(c))).toBe(2);
    process.env.LLM_RETRY_MAX_ATTEMPTS = '4';
    expect(await attemptsOf((c) => failingAgent({ shouldRetry: isTransient }).run(c))).toBe(2);
    resetResilience();
    configureResilience({ logger: env.log.logger });
    expect(await attemptsOf((c) => failingAgent({ shouldRetry: isTransient }).run(c))).toBe(4);
  });

  it('rejects invalid configureResilience input at once', () => {
    expect(() => configureResilience({ defaults: { maxAttempts: 0 } })).toThrow(RetryConfigError);
    expect(() => configureResilience({ defaults: { maxAttempts: 0 } })).toThrow(/maxAttempts must not be less than 1/);
    expect(() => configureResilience({ logger: {} as any })).toThrow(TypeError);
    expect(() => configureResilience({ tracer: { log: () => 0 } as any })).toThrow(/tracer/);
    expect(() => configureResilience({ deafults: {} } as any)).toThrow(/deafults is not a setting/);
  });
});

describe('named configs (configName)', () => {
  it('uses the named config, layered over the configured defaults field by field', async () => {
    configureResilience({ defaults: { baseDelayMs: 200 }, configs: { fast: { maxAttempts: 2 } } });
    class Agent {
      @Retry({ shouldRetry: isTransient, configName: 'fast' })
      async run(count: () => number) {
        count();
        throw new TransientError();
      }
    }
    expect(await attemptsOf((c) => new Agent().run(c))).toBe(2);
    expect(env.log.at('warn').map((entry) => entry.delayMs)).toEqual([100]);
  });

  it('fails clearly for a name that is not configured, and lists it in missingConfigNames()', async () => {
    class Agent {
      @Retry({ shouldRetry: isTransient, configName: 'gpt-5-turbo' })
      async run() {
        return 1;
      }
    }
    expect(missingConfigNames()).toContainEqual({ name: 'gpt-5-turbo', method: expect.stringContaining('run') });
    await expect(Promise.resolve().then(() => new Agent().run())).rejects.toThrow(
      /no retry config is named "gpt-5-turbo"/,
    );
  });

  it('validates every named config at once', () => {
    expect(() => configureResilience({ configs: { a: { maxAttempts: 0 }, b: { jitter: 'x' as never } } })).toThrow(
      /configs\.a\.maxAttempts must not be less than 1; configs\.b\.jitter must be one of/,
    );
  });

  it('refuses config together with configName', () => {
    expect(() => {
      class Agent {
        @Retry({ shouldRetry: isTransient, configName: 'x', config: new RetryConfig() })
        async run() {}
      }
      return Agent;
    }).toThrow(/give config or configName, not both/);
  });
});

describe('bad options fail when the class is defined, naming the method and the field', () => {
  const define = (options: any) => () => {
    class ChatAgent {
      @RetryOpenAI(options)
      async complete() {
        return 1;
      }
    }
    return ChatAgent;
  };

  it.each([
    [{ maxAttempts: 0 }, /complete.*maxAttempts must not be less than 1/],
    [{ maxAttempts: 11 }, /maxAttempts must not be greater than 10/],
    [{ jitter: 'random' }, /jitter must be one of the following values/],
    [{ baseDelayMs: 5000, maxDelayMs: 2000 }, /maxDelayMs must not be less than baseDelayMs/],
    [{ maxAtempts: 3 }, /maxAtempts is not a retry option \(did you mean maxAttempts\?\)/],
    [{ maxAttempts: '3' }, /maxAttempts must be an integer/],
    [{ respectRetryAfter: 'false' }, /respectRetryAfter must be a boolean/],
    [{ shouldRetry: () => true }, /shouldRetry is not a retry option/],
  ])('%j → RetryConfigError', (options, message) => {
    expect(define(options)).toThrow(RetryConfigError);
    expect(define(options)).toThrow(message);
  });

  it('lists every violated field in one error', () => {
    try {
      define({ maxAttempts: 0, baseDelayMs: 1 })();
      throw new Error('expected a RetryConfigError');
    } catch (error) {
      expect(error).toBeInstanceOf(RetryConfigError);
      expect((error as RetryConfigError).issues.map((issue) => issue.field)).toEqual(['maxAttempts', 'baseDelayMs']);
    }
  });

  it.each([
    [{ config: { maxAttempts: 2 } }, /config must be a RetryConfig/],
    [{ logger: console.log }, /logger must be a winston logger/],
    [{ tracer: {} }, /tracer must have a logEvent/],
    [{ name: '' }, /name must be a non-empty string/],
    [{ observers: { tracer: {} } }, /observers must be a function/],
    [{ successDetails: 'yes' }, /successDetails must be a function/],
  ])('%j → TypeError', (options, message) => {
    expect(define(options)).toThrow(TypeError);
    expect(define(options)).toThrow(message);
  });

  it('requires shouldRetry on the generic @Retry', () => {
    expect(() => {
      class Agent {
        @Retry({} as any)
        async run() {}
      }
      return Agent;
    }).toThrow(/shouldRetry must be a function/);
  });

  it('refuses fields, getters and setters', () => {
    expect(() => {
      class Agent {
        @(RetryNetwork() as any)
        field = 1;
      }
      return Agent;
    }).toThrow(/can only decorate methods.*field/);
    expect(() => {
      class Agent {
        @(RetryAzure() as any)
        get value() {
          return 1;
        }
      }
      return Agent;
    }).toThrow(/can only decorate methods/);
    expect(() => {
      class Agent {
        @(RetryAzure() as any)
        set value(v: number) {}
      }
      return Agent;
    }).toThrow(/can only decorate methods/);
  });

  it('reports a bad environment when the class is defined', () => {
    process.env.LLM_RETRY_MAX_ATTEMPTS = 'three';
    expect(define({})).toThrow(/LLM_RETRY_MAX_ATTEMPTS must be an integer/);
  });
});
