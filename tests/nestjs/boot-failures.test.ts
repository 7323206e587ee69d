import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { AgentConfig, configureResilience, isRetryConfigError, RetryConfig, RetryConfigError, Retry } from '../../src';
import {
  agentConfigToken,
  InjectAgentConfig,
  ResilienceModule,
  ResilienceModuleOptions,
} from '../../src/integrations/nestjs';
import { createTestLogger } from '../support/test-logger';
import { CapturingLogger, cleanUp, compile, immediateRetries, startApp } from './nest-harness';

// Boot is where configuration mistakes surface: one RetryConfigError listing every problem.

beforeEach(immediateRetries);
afterEach(cleanUp);

/** The error a boot fails with. */
async function bootError(
  options: ResilienceModuleOptions | (() => unknown),
  providers: any[] = [],
): Promise<RetryConfigError> {
  const resilience =
    typeof options === 'function'
      ? ResilienceModule.forRootAsync({ useFactory: options as () => ResilienceModuleOptions })
      : ResilienceModule.forRoot(options);
  const error = await compile({ imports: [resilience], providers }).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(isRetryConfigError(error)).toBe(true);
  return error as RetryConfigError;
}

const invalid = {
  defaults: { maxAttempts: 0, jitter: 'sometimes' },
  configs: { 'gpt-4o': { baseDelayMs: 5 }, embeddings: { maxAttempts: 3 } },
  agents: {
    support: { provider: 'openai', model: '', retryConfig: { maxDelayMs: -1 } },
    azure: { provider: 'azure_openai', model: 'gpt-4o' },
  },
  retries: 3,
  stateStore: { url: 'redis://localhost' },
} as unknown as ResilienceModuleOptions;

const expectedFields = [
  'defaults.maxAttempts',
  'defaults.jitter',
  'configs.gpt-4o.baseDelayMs',
  'agents.support.model',
  'agents.support.retryConfig.maxDelayMs',
  'agents.azure.endpoint',
  'retries',
  'stateStore',
];

describe('invalid options fail the boot with every issue listed', () => {
  it('forRoot: compile() rejects with one RetryConfigError', async () => {
    const error = await bootError(invalid);
    expect(error.issues.map((issue) => issue.field).sort()).toEqual([...expectedFields].sort());
    expect(error.message).toMatch(/^ResilienceModule: /);
    for (const field of expectedFields) expect(error.message).toContain(field);
    expect(error.message).toContain(
      'retries is not a ResilienceModule option (did you mean maxAttempts? It counts attempts, the first included: ' +
        'retries 3 = maxAttempts 4; it goes in defaults: { maxAttempts: 4 });',
    );
    expect(error.message).toContain('stateStore must be a state store');
  });

  it('forRootAsync: the same, from what the factory returns', async () => {
    const error = await bootError(async () => invalid);
    expect(error.issues.map((issue) => issue.field).sort()).toEqual([...expectedFields].sort());
  });

  it('app.init() of an HTTP app fails the same way (nothing is served)', async () => {
    await expect(startApp({ imports: [ResilienceModule.forRoot({ defaults: { maxAttempts: 11 } })] })).rejects.toThrow(
      'defaults.maxAttempts must not be greater than 10',
    );
  });

  it('a RetryConfig instance is accepted as defaults or a named config', async () => {
    await expect(
      compile({
        imports: [
          ResilienceModule.forRoot({
            defaults: new RetryConfig({ maxAttempts: 4 }),
            configs: { a: new RetryConfig() },
          }),
        ],
      }),
    ).resolves.toBeDefined();
  });

  it('a misspelt option gets a suggestion', async () => {
    const error = await bootError({ defualts: { maxAttempts: 2 } } as never);
    expect(error.issues).toEqual([
      { field: 'defualts', message: 'defualts is not a ResilienceModule option (did you mean defaults?)' },
    ]);
  });

  it('a stateStore that is not one: a clear message, never silently ignored', async () => {
    const error = await bootError({ stateStore: {} as never });
    expect(error.issues).toEqual([
      {
        field: 'stateStore',
        message: expect.stringMatching(/stateStore must be a state store, e.g. createRedisStateStore/),
      },
    ]);
  });

  it('a logger or tracer of the wrong shape', async () => {
    const error = await bootError({ logger: { warn() {} } as never, tracer: {} as never });
    expect(error.issues.map((issue) => issue.field)).toEqual(['logger', 'tracer']);
    expect(error.message).toContain('logger must be a winston logger (missing error, info, debug; received an object)');
    expect(error.message).toContain('tracer must have a logEvent(event, details) method (received an object)');
  });

  it('configs, agents or the options themselves of the wrong type', async () => {
    expect(
      (await bootError({ configs: [] as never, agents: 'support' as never })).issues.map((issue) => issue.field),
    ).toEqual(['configs', 'agents']);
    expect((await bootError(() => undefined)).issues.map((issue) => issue.field)).toEqual(['options']);
    expect((await bootError({ agents: { support: 42 as never } })).message).toContain(
      'agents.support must be an AgentConfig or a plain object',
    );
  });

  it('isGlobal returned by a forRootAsync factory is reported (it belongs to forRootAsync itself)', async () => {
    const error = await bootError(() => ({ isGlobal: false }));
    expect(error.message).toContain('give it to forRootAsync() itself');
  });

  it('leaves the process settings as they were', async () => {
    const log = createTestLogger();
    configureResilience({ logger: log.logger });
    await bootError(invalid);

    class Probe {
      calls = 0;
      @Retry({ shouldRetry: () => true, maxAttempts: 2 })
      async run(): Promise<string> {
        if (++this.calls === 1) throw new Error('flaky');
        return 'ok';
      }
    }
    await expect(new Probe().run()).resolves.toBe('ok');
    expect(log.at('warn')).toHaveLength(1);
  });
});

describe('wrong calls fail at once', () => {
  it('forRoot with something other than an object', () => {
    expect(() => ResilienceModule.forRoot(null as never)).toThrow(
      new TypeError('ResilienceModule.forRoot: options must be an object (received null)'),
    );
    expect(() => ResilienceModule.forRoot()).not.toThrow();
  });

  it('forRootAsync without exactly one of useFactory, useClass, useExisting', () => {
    class Factory {
      createResilienceOptions() {
        return {};
      }
    }
    expect(() => ResilienceModule.forRootAsync({})).toThrow(
      'ResilienceModule.forRootAsync: give exactly one of useFactory, useClass or useExisting (got none)',
    );
    expect(() => ResilienceModule.forRootAsync({ useFactory: () => ({}), useClass: Factory })).toThrow(
      '(got useFactory, useClass)',
    );
  });

  it('@InjectAgentConfig without a name', () => {
    expect(() => InjectAgentConfig('')).toThrow(
      '@InjectAgentConfig: the agent name must be a non-empty string (received "")',
    );
  });
});

describe('injected agents must be configured', () => {
  @Injectable()
  class Billing {
    constructor(@InjectAgentConfig('billing') readonly agent: AgentConfig) {}
  }
  @Injectable()
  class Reports {
    @InjectAgentConfig('reports')
    readonly agent!: AgentConfig;
  }

  it('a class injecting an agent that is not configured fails the boot, naming the class and the agents', async () => {
    const error = await bootError({ agents: { support: { provider: 'openai', model: 'gpt-4o' } } }, [
      Billing,
      Reports,
      { provide: 'REPORT_AGENT', useFactory: (agent: AgentConfig) => agent, inject: [agentConfigToken('reports')] },
    ]);
    expect(error.issues.map((issue) => issue.message)).toEqual([
      'Billing injects the agent "billing" (@InjectAgentConfig), which is not configured (agents: support); add it to the agents of ResilienceModule.forRoot() or forRootAsync()',
      'Reports injects the agent "reports" (@InjectAgentConfig), which is not configured (agents: support); add it to the agents of ResilienceModule.forRoot() or forRootAsync()',
      'REPORT_AGENT injects the agent "reports" (@InjectAgentConfig), which is not configured (agents: support); add it to the agents of ResilienceModule.forRoot() or forRootAsync()',
    ]);
  });

  it('names asked for by classes outside the app do not matter', async () => {
    // Billing and Reports are defined in this file, but not part of this app.
    await expect(compile({ imports: [ResilienceModule.forRoot({})] })).resolves.toBeDefined();
  });

  it('warns when an app has more than one ResilienceModule', async () => {
    const log = createTestLogger();
    // Different options: Nest 10 merges structurally equal dynamic modules into one.
    @Module({
      imports: [ResilienceModule.forRoot({ isGlobal: false, logger: log.logger, defaults: { maxAttempts: 2 } })],
    })
    class A {}
    @Module({
      imports: [ResilienceModule.forRoot({ isGlobal: false, logger: log.logger, defaults: { maxAttempts: 3 } })],
    })
    class B {}
    await compile({ imports: [A, B] }, new CapturingLogger());
    expect(log.at('warn').map((entry) => entry.message)).toContain(
      "This app has more than one ResilienceModule (forRoot or forRootAsync called more than once); the library's settings are process-wide, so the last one to boot wins: import one instance (it is global by default)",
    );
  });
});
