import * as resolveModule from '../../src/config/resolve-config';
import {
  configureResilience,
  getRetryContext,
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
      /configs\.a\.maxAttempts must not be less than 1 \(received 0\); configs\.b\.jitter must be one of/,
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
    [{ jitter: 'random' }, /jitter must be one of full, equal, decorrelated, none \(received "random"\)/],
    [{ baseDelayMs: 5000, maxDelayMs: 2000 }, /maxDelayMs must not be less than baseDelayMs/],
    [{ maxAtempts: 3 }, /maxAtempts is not a retry option \(did you mean maxAttempts\?\)/],
    [{ maxAttempts: '3' }, /maxAttempts must be an integer/],
    [{ respectRetryAfter: 'false' }, /respectRetryAfter must be true or false \(received "false"\)/],
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

describe('null means "none" and wins over weaker layers', () => {
  /** A method whose one attempt takes 8 s: a 5 s total timeout cuts it. */
  function slowAgent(decoratorOptions: Parameters<typeof Retry>[0], instanceConfig?: RetryConfig) {
    class Agent {
      retryConfig = instanceConfig;
      @Retry(decoratorOptions)
      async run() {
        await new Promise((resolve) => setTimeout(resolve, 8_000));
        return 'done';
      }
    }
    return new Agent();
  }
  const outcomeOf = async (promise: Promise<unknown>) => {
    const outcome = promise.catch((error: unknown) => error);
    await jest.runAllTimersAsync();
    return outcome;
  };

  it('a 5 s default deadline cuts the slow call (the baseline)', async () => {
    configureResilience({ defaults: { totalTimeoutMs: 5_000 } });
    const error = await outcomeOf(slowAgent({ shouldRetry: isTransient }).run());
    expect((error as Error).name).toBe('RetryTimeoutError');
  });

  it('an instance config { totalTimeoutMs: null } beats configureResilience defaults', async () => {
    configureResilience({ defaults: { totalTimeoutMs: 5_000 } });
    const agent = slowAgent({ shouldRetry: isTransient }, new RetryConfig({ totalTimeoutMs: null }));
    expect(await outcomeOf(agent.run())).toBe('done');
  });

  it('an instance config { totalTimeoutMs: null } beats LLM_RETRY_TOTAL_TIMEOUT_MS', async () => {
    process.env.LLM_RETRY_TOTAL_TIMEOUT_MS = '5000';
    try {
      resetResilience();
      configureResilience({ logger: env.log.logger });
      expect(((await outcomeOf(slowAgent({ shouldRetry: isTransient }).run())) as Error).name).toBe(
        'RetryTimeoutError',
      );
      const agent = slowAgent({ shouldRetry: isTransient }, new RetryConfig({ totalTimeoutMs: null }));
      expect(await outcomeOf(agent.run())).toBe('done');
    } finally {
      delete process.env.LLM_RETRY_TOTAL_TIMEOUT_MS;
    }
  });

  it('decorator options { totalTimeoutMs: null } beat the defaults and an instance config', async () => {
    configureResilience({ defaults: { totalTimeoutMs: 5_000 } });
    const agent = slowAgent(
      { shouldRetry: isTransient, totalTimeoutMs: null },
      new RetryConfig({ totalTimeoutMs: 4_000 }),
    );
    expect(await outcomeOf(agent.run())).toBe('done');
  });

  it('configureResilience defaults { attemptTimeoutMs: null } beat the environment', async () => {
    process.env.LLM_RETRY_ATTEMPT_TIMEOUT_MS = '1000';
    try {
      resetResilience();
      configureResilience({ logger: env.log.logger, defaults: { attemptTimeoutMs: null } });
      expect(await outcomeOf(slowAgent({ shouldRetry: () => true, maxAttempts: 1 }).run())).toBe('done');
    } finally {
      delete process.env.LLM_RETRY_ATTEMPT_TIMEOUT_MS;
    }
  });
});

describe('layers are resolved and checked together, early', () => {
  const defineWith = (options: Parameters<typeof Retry>[0]) => () => {
    class Agent {
      @Retry(options)
      async run() {
        return 1;
      }
    }
    return Agent;
  };

  it('decorator options against the environment fail when the class is defined, naming both fields', () => {
    process.env.LLM_RETRY_MAX_DELAY_MS = '2000';
    try {
      resetResilience();
      const define = defineWith({ shouldRetry: isTransient, baseDelayMs: 5_000 });
      expect(define).toThrow(RetryConfigError);
      expect(define).toThrow(
        /^@Retry on (Agent\.)?run: maxDelayMs \(2000, from LLM_RETRY_MAX_DELAY_MS\) must not be less than baseDelayMs \(5000, from the decorator options\)$/,
      );
    } finally {
      delete process.env.LLM_RETRY_MAX_DELAY_MS;
    }
  });

  it('decorator options against configureResilience defaults, and against a fixed config, fail at definition', () => {
    configureResilience({ defaults: { maxDelayMs: 2_000 } });
    expect(defineWith({ shouldRetry: isTransient, baseDelayMs: 5_000 })).toThrow(
      /maxDelayMs \(2000, from configureResilience defaults\) must not be less than baseDelayMs \(5000, from the decorator options\)/,
    );
    resetResilience();
    expect(
      defineWith({ shouldRetry: isTransient, maxDelayMs: 2_000, config: new RetryConfig({ baseDelayMs: 3_000 }) }),
    ).toThrow(
      /maxDelayMs \(2000, from the decorator options\) must not be less than baseDelayMs \(3000, from options\.config\)/,
    );
  });

  it('a named config already configured is checked at definition too', () => {
    configureResilience({ configs: { slow: { baseDelayMs: 3_000 } } });
    expect(defineWith({ shouldRetry: isTransient, configName: 'slow', maxDelayMs: 2_000 })).toThrow(
      /baseDelayMs \(3000, from the named config "slow"\)/,
    );
  });

  it('an instance retryConfig in conflict fails its first call, before any attempt, as a rejected promise', async () => {
    configureResilience({ logger: env.log.logger, defaults: { maxDelayMs: 2_000 } });
    let attempts = 0;
    class Agent {
      constructor(readonly retryConfig?: RetryConfig) {}
      @Retry({ shouldRetry: isTransient })
      async run() {
        attempts++;
        return 'ran';
      }
    }
    // Valid on its own (the built-in maxDelayMs is 30000), not over the defaults.
    const conflicting = new Agent(new RetryConfig({ baseDelayMs: 2_500 }));
    let call: Promise<string> | undefined;
    expect(() => (call = conflicting.run())).not.toThrow();
    await expect(call).rejects.toThrow(RetryConfigError);
    await expect(conflicting.run()).rejects.toThrow(
      /^Agent\.run: maxDelayMs \(2000, from configureResilience defaults\) must not be less than baseDelayMs \(2500, from this\.retryConfig\)$/,
    );
    expect(attempts).toBe(0);
    // Other instances are not affected.
    expect(await new Agent().run()).toBe('ran');
    expect(await new Agent(new RetryConfig({ baseDelayMs: 1_500 })).run()).toBe('ran');
  });

  it('a config chosen per call that conflicts fails that call before any attempt', async () => {
    configureResilience({ defaults: { maxDelayMs: 2_000 } });
    let attempts = 0;
    class Service {
      @Retry({ shouldRetry: isTransient, config: (_self, [config]) => config as RetryConfig })
      async run(_config: RetryConfig) {
        attempts++;
        return 'ran';
      }
    }
    await expect(new Service().run(new RetryConfig({ baseDelayMs: 2_500 }))).rejects.toThrow(
      /baseDelayMs \(2500, from options\.config\(\)\)/,
    );
    expect(attempts).toBe(0);
  });

  it('configureResilience changing the defaults later is seen by the next call (caches invalidated)', async () => {
    const agent = failingAgent({ shouldRetry: isTransient, baseDelayMs: 5_000, maxDelayMs: undefined });
    configureResilience({ defaults: { maxAttempts: 2 } });
    expect(await attemptsOf((c) => agent.run(c))).toBe(2);
    configureResilience({ defaults: { maxAttempts: 4 } });
    expect(await attemptsOf((c) => agent.run(c))).toBe(4);

    configureResilience({ defaults: { maxDelayMs: 2_000 } });
    let attempts = 0;
    await expect(agent.run(() => ++attempts)).rejects.toThrow(
      /maxDelayMs \(2000, from configureResilience defaults\) must not be less than baseDelayMs \(5000, from the decorator options\)/,
    );
    expect(attempts).toBe(0);
    configureResilience({ defaults: {} });
    expect(await attemptsOf((c) => agent.run(c))).toBe(3);
  });
});

describe('resolved once per method and per config object, not per call', () => {
  it('does not resolve again on the success path, nor on a failure, until something changes', async () => {
    const resolver = jest.spyOn(resolveModule, 'resolveRetryConfig');
    try {
      const shared = new RetryConfig({ maxAttempts: 2 });
      class Agent {
        constructor(readonly retryConfig?: RetryConfig) {}
        @Retry({ shouldRetry: isTransient })
        async ok() {
          return 1;
        }
      }
      const atDefinition = resolver.mock.calls.length;
      expect(atDefinition).toBe(1);
      const plain = new Agent();
      for (let i = 0; i < 50; i++) await plain.ok();
      expect(resolver.mock.calls.length).toBe(atDefinition);

      const a = new Agent(shared);
      const b = new Agent(shared);
      for (let i = 0; i < 20; i++) await Promise.all([a.ok(), b.ok(), plain.ok()]);
      expect(resolver.mock.calls.length).toBe(atDefinition + 1); // once for `shared`

      await new Agent(new RetryConfig({ maxAttempts: 2 })).ok();
      expect(resolver.mock.calls.length).toBe(atDefinition + 2); // once per config object

      configureResilience({ defaults: { maxAttempts: 4 } });
      await a.ok();
      await plain.ok();
      expect(resolver.mock.calls.length).toBe(atDefinition + 4); // once more each after the change
    } finally {
      resolver.mockRestore();
    }
  });

  it("getRetryContext().maxAttempts reads the call's resolved config", async () => {
    const seen: number[] = [];
    class Agent {
      constructor(readonly retryConfig?: RetryConfig) {}
      @Retry({ shouldRetry: isTransient })
      async run() {
        seen.push(getRetryContext()!.maxAttempts);
        return 1;
      }
    }
    configureResilience({ defaults: { maxAttempts: 4 } });
    await new Agent().run();
    await new Agent(new RetryConfig({ maxAttempts: 6 })).run();
    expect(seen).toEqual([4, 6]);
  });
});
