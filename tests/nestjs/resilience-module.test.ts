import 'reflect-metadata';
import { Body, Controller, Inject, Injectable, Module, Post, Scope } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import OpenAI from 'openai';
import {
  AgentConfig,
  AgentOrchestrator,
  isAgentConfig,
  configureResilience,
  LLMServiceFactory,
  ResilientLLMService,
  Retry,
  RetryOpenAI,
  Tracer,
} from '../../src';
import {
  agentConfigToken,
  InjectAgentConfig,
  RESILIENCE_LOGGER_CONTEXT,
  ResilienceModule,
  ResilienceModuleOptions,
  ResilienceOptionsFactory,
} from '../../src/integrations/nestjs';
import type { FaultServer } from '../../src/testing';
import { createTestLogger } from '../support/test-logger';
import {
  CapturingLogger,
  cleanUp,
  compile,
  faultServer,
  immediateRetries,
  llmRequests,
  openaiFor,
  post,
  startApp,
} from './nest-harness';

// e2e: ResilienceModule in real testing modules and HTTP apps, the fault server as the LLM.

const OPENAI = Symbol('OPENAI');
/** Every configName used in this file: each app must configure them (an unknown one fails the boot). */
const NAMED = { fast: { maxAttempts: 2 }, patient: { maxAttempts: 5 } };

@Injectable()
class ChatAgent {
  constructor(@Inject(OPENAI) private readonly client: OpenAI) {}

  /** Module defaults apply. */
  @RetryOpenAI()
  async ask(question: string): Promise<string> {
    return this.complete(question);
  }

  @RetryOpenAI({ configName: 'fast' })
  async askFast(question: string): Promise<string> {
    return this.complete(question);
  }

  @RetryOpenAI({ configName: 'patient' })
  async askPatiently(question: string): Promise<string> {
    return this.complete(question);
  }

  private async complete(question: string): Promise<string> {
    const completion = await this.client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: question }],
    });
    return completion.choices[0].message.content ?? '';
  }
}

@Controller('ask')
class AskController {
  constructor(private readonly agent: ChatAgent) {}

  @Post()
  async ask(@Body() body: { question: string; mode?: 'fast' | 'patient' }): Promise<{ answer: string }> {
    const answer =
      body.mode === 'fast'
        ? await this.agent.askFast(body.question)
        : body.mode === 'patient'
          ? await this.agent.askPatiently(body.question)
          : await this.agent.ask(body.question);
    return { answer };
  }
}

/** The app of most tests: the agent, its controller, and the module with `options`. */
function chatApp(server: FaultServer, options: ResilienceModuleOptions = {}, logger?: CapturingLogger) {
  return startApp(
    {
      imports: [ResilienceModule.forRoot({ ...options, configs: { ...NAMED, ...options.configs } })],
      controllers: [AskController],
      providers: [ChatAgent, { provide: OPENAI, useValue: openaiFor(server) }],
    },
    logger,
  );
}

beforeEach(immediateRetries);
afterEach(cleanUp);

describe('retries with the module configuration', () => {
  it("applies the module's defaults to decorated methods (maxAttempts: 4 → 4 requests)", async () => {
    const server = await faultServer(['503', '503', '503', 'ok']);
    const { url } = await chatApp(server, { defaults: { maxAttempts: 4 }, logger: createTestLogger().logger });

    const response = await post(`${url}/ask`, { question: 'hello' });

    expect(response.status).toBe(201);
    expect(response.body.answer).toEqual(expect.any(String));
    expect(llmRequests(server)).toHaveLength(4);
  });

  it('gives up after the default maxAttempts and lets the error through (Nest answers 500)', async () => {
    const server = await faultServer(['503', '503', '503', '503', '503']);
    const { url } = await chatApp(server, { defaults: { maxAttempts: 2 }, logger: createTestLogger().logger });

    const response = await post(`${url}/ask`, { question: 'hello' });

    expect(response.status).toBe(500);
    expect(llmRequests(server)).toHaveLength(2);
  });

  it('applies named configs per method: configName "fast" (2 attempts) and "patient" (5 attempts)', async () => {
    const server = await faultServer(Array(20).fill('503'));
    const { url } = await chatApp(server, { logger: createTestLogger().logger });

    expect((await post(`${url}/ask`, { question: 'q', mode: 'fast' })).status).toBe(500);
    expect(llmRequests(server)).toHaveLength(2);

    expect((await post(`${url}/ask`, { question: 'q', mode: 'patient' })).status).toBe(500);
    expect(llmRequests(server)).toHaveLength(2 + 5);
  });

  it('layers a named config over the defaults field by field', async () => {
    // "fast" sets maxAttempts only: the defaults' maxRetryAfterMs still applies, so a 429
    // asking for 5 s (above the 1 s cap) fails at once instead of waiting.
    const server = await faultServer(['429:5000', 'ok']);
    const { url } = await chatApp(server, { defaults: { maxRetryAfterMs: 1000 }, logger: createTestLogger().logger });

    const started = Date.now();
    expect((await post(`${url}/ask`, { question: 'q', mode: 'fast' })).status).toBe(500);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(llmRequests(server)).toHaveLength(1);
  });
});

describe('logging', () => {
  it('logs retries to the injected winston logger', async () => {
    const server = await faultServer(['503', 'ok']);
    const log = createTestLogger();
    const { url, logger: nestLogger } = await chatApp(server, { logger: log.logger });

    await post(`${url}/ask`, { question: 'hello' });

    expect(log.at('warn')).toEqual([
      expect.objectContaining({
        message: expect.stringMatching(/^Retrying ChatAgent\.ask in /),
        attempt: 1,
        status: 503,
      }),
    ]);
    expect(nestLogger.entries.filter((entry) => entry.context === RESILIENCE_LOGGER_CONTEXT)).toEqual([]);
  });

  it("without a logger, logs through Nest's Logger under the context LLMResilience, meta as JSON", async () => {
    const server = await faultServer(['503', '503']);
    const nestLogger = new CapturingLogger();
    const { url } = await chatApp(server, { defaults: { maxAttempts: 2 } }, nestLogger);

    await post(`${url}/ask`, { question: 'hello' });

    const warnings = nestLogger.at('warn', RESILIENCE_LOGGER_CONTEXT);
    expect(warnings).toHaveLength(1);
    expect(warnings[0].message).toMatch(/^Retrying ChatAgent\.ask in .* \{.*"attempt":1.*\}$/);
    const errors = nestLogger.at('error', RESILIENCE_LOGGER_CONTEXT);
    expect(errors).toHaveLength(1);
    expect(errors[0].message).toMatch(/ChatAgent\.ask/);
    expect(JSON.parse(errors[0].message.slice(errors[0].message.indexOf(' {') + 1))).toMatchObject({
      attempt: 2,
      status: 503,
    });
    // Never the key or the prompt.
    expect(JSON.stringify(nestLogger.entries)).not.toMatch(/sk-test-key|hello/);
  });
});

describe('forRootAsync', () => {
  it('useFactory + inject: reads ConfigService (imports: [ConfigModule])', async () => {
    const server = await faultServer(Array(10).fill('503'));
    const moduleRef = await compile({
      imports: [
        ResilienceModule.forRootAsync({
          imports: [ConfigModule.forRoot({ ignoreEnvFile: true, load: [() => ({ llm: { maxAttempts: 3 } })] })],
          inject: [ConfigService],
          useFactory: (config: ConfigService) => ({
            defaults: { maxAttempts: config.getOrThrow<number>('llm.maxAttempts') },
            configs: NAMED,
            logger: createTestLogger().logger,
          }),
        }),
      ],
      providers: [ChatAgent, { provide: OPENAI, useValue: openaiFor(server) }],
    });

    await expect(moduleRef.get(ChatAgent).ask('q')).rejects.toMatchObject({ status: 503 });
    expect(llmRequests(server)).toHaveLength(3);
  });

  it('useFactory may be async', async () => {
    const server = await faultServer(Array(10).fill('503'));
    const moduleRef = await compile({
      imports: [
        ResilienceModule.forRootAsync({
          useFactory: async () => ({ defaults: { maxAttempts: 2 }, configs: NAMED, logger: createTestLogger().logger }),
        }),
      ],
      providers: [ChatAgent, { provide: OPENAI, useValue: openaiFor(server) }],
    });

    await expect(moduleRef.get(ChatAgent).ask('q')).rejects.toMatchObject({ status: 503 });
    expect(llmRequests(server)).toHaveLength(2);
  });

  it('useClass: a ResilienceOptionsFactory built by the module (with its own dependencies)', async () => {
    @Injectable()
    class ResilienceConfigService implements ResilienceOptionsFactory {
      constructor(private readonly config: ConfigService) {}
      createResilienceOptions(): ResilienceModuleOptions {
        return {
          defaults: { maxAttempts: this.config.get('ATTEMPTS', 4) },
          configs: NAMED,
          logger: createTestLogger().logger,
        };
      }
    }
    const server = await faultServer(Array(10).fill('503'));
    const moduleRef = await compile({
      imports: [
        ResilienceModule.forRootAsync({
          imports: [ConfigModule.forRoot({ ignoreEnvFile: true, ignoreEnvVars: true })],
          useClass: ResilienceConfigService,
        }),
      ],
      providers: [ChatAgent, { provide: OPENAI, useValue: openaiFor(server) }],
    });

    await expect(moduleRef.get(ChatAgent).ask('q')).rejects.toMatchObject({ status: 503 });
    expect(llmRequests(server)).toHaveLength(4);
  });

  it('useExisting: a ResilienceOptionsFactory exported by an imported module', async () => {
    @Injectable()
    class SharedOptions implements ResilienceOptionsFactory {
      calls = 0;
      async createResilienceOptions(): Promise<ResilienceModuleOptions> {
        this.calls++;
        return { defaults: { maxAttempts: 5 }, configs: NAMED, logger: createTestLogger().logger };
      }
    }
    @Module({ providers: [SharedOptions], exports: [SharedOptions] })
    class OptionsModule {}

    const server = await faultServer(Array(10).fill('503'));
    const moduleRef = await compile({
      imports: [OptionsModule, ResilienceModule.forRootAsync({ imports: [OptionsModule], useExisting: SharedOptions })],
      providers: [ChatAgent, { provide: OPENAI, useValue: openaiFor(server) }],
    });

    await expect(moduleRef.get(ChatAgent).ask('q')).rejects.toMatchObject({ status: 503 });
    expect(llmRequests(server)).toHaveLength(5);
    // The same instance: existing, not a new one.
    expect(moduleRef.get(SharedOptions).calls).toBe(1);
  });
});

describe('global by default', () => {
  @Injectable()
  class UsesService {
    constructor(readonly service: ResilientLLMService) {}
  }
  @Module({ providers: [UsesService] })
  class FeatureModule {}

  it('isGlobal (default true): a feature module injects the services without importing the module', async () => {
    expect(ResilienceModule.forRoot({}).global).toBe(true);
    const moduleRef = await compile({ imports: [ResilienceModule.forRoot({ configs: NAMED }), FeatureModule] });
    expect(moduleRef.get(UsesService).service).toBeInstanceOf(ResilientLLMService);
  });

  it('isGlobal: false: only modules that import it can inject its providers', async () => {
    expect(ResilienceModule.forRoot({ isGlobal: false }).global).toBe(false);
    expect(ResilienceModule.forRootAsync({ isGlobal: false, useFactory: () => ({}) }).global).toBe(false);

    await expect(
      compile({ imports: [ResilienceModule.forRoot({ configs: NAMED, isGlobal: false }), FeatureModule] }),
    ).rejects.toThrow(/ResilientLLMService/);

    const resilience = ResilienceModule.forRoot({ configs: NAMED, isGlobal: false });
    @Module({ imports: [resilience], providers: [UsesService] })
    class ImportingModule {}
    const moduleRef = await compile({ imports: [ImportingModule] });
    expect(moduleRef.get(UsesService).service).toBeInstanceOf(ResilientLLMService);
  });

  it('isGlobal is not passed on as an option', async () => {
    // It would be reported as an unknown option at boot.
    await expect(
      compile({ imports: [ResilienceModule.forRoot({ configs: NAMED, isGlobal: true })] }),
    ).resolves.toBeDefined();
  });
});

describe('providers', () => {
  const support = {
    provider: 'openai' as const,
    model: 'gpt-4o',
    apiKey: 'sk-secret-support-key',
    retryConfig: { maxAttempts: 2 },
  };

  @Injectable()
  class SupportDesk {
    @InjectAgentConfig('triage')
    readonly triage!: AgentConfig;

    constructor(
      @InjectAgentConfig('support') readonly support: AgentConfig,
      readonly orchestrator: AgentOrchestrator,
    ) {}
  }

  it('@InjectAgentConfig(name): the validated AgentConfig, in constructors and properties (forRoot)', async () => {
    const moduleRef = await compile({
      imports: [
        ResilienceModule.forRoot({
          configs: NAMED,
          agents: {
            support,
            triage: AgentConfig.from({ provider: 'openai', model: 'gpt-4o-mini', name: 'triage-bot' }),
          },
        }),
      ],
      providers: [SupportDesk],
    });

    const desk = moduleRef.get(SupportDesk);
    expect(isAgentConfig(desk.support)).toBe(true);
    // A plain object is named by its key; an AgentConfig keeps its own name.
    expect(desk.support).toMatchObject({ name: 'support', model: 'gpt-4o', apiKey: 'sk-secret-support-key' });
    expect(desk.support.retryConfig.maxAttempts).toBe(2);
    expect(desk.triage).toMatchObject({ name: 'triage-bot', model: 'gpt-4o-mini' });
    expect(moduleRef.get(agentConfigToken('support'))).toBe(desk.support);
  });

  it('@InjectAgentConfig(name) with forRootAsync', async () => {
    const moduleRef = await compile({
      imports: [
        ResilienceModule.forRootAsync({
          useFactory: () => ({
            configs: NAMED,
            agents: { support, triage: { provider: 'openai', model: 'gpt-4o-mini' } },
          }),
        }),
      ],
      providers: [SupportDesk],
    });
    expect(moduleRef.get(SupportDesk).support).toMatchObject({ name: 'support', model: 'gpt-4o' });
    expect(moduleRef.get(SupportDesk).triage).toMatchObject({ name: 'triage', model: 'gpt-4o-mini' });
  });

  it("ResilientLLMService, AgentOrchestrator and LLMServiceFactory are built with the module's logger and tracer", async () => {
    const log = createTestLogger();
    const tracer: Tracer = { logEvent: jest.fn(), logError: jest.fn() };
    const moduleRef = await compile({
      imports: [ResilienceModule.forRoot({ configs: NAMED, logger: log.logger, tracer })],
    });

    const service = moduleRef.get(ResilientLLMService);
    const orchestrator = moduleRef.get(AgentOrchestrator);
    const factory = moduleRef.get(LLMServiceFactory);
    expect(service).toMatchObject({ logger: log.logger, tracer });
    expect(service.factory).toBe(factory);
    expect(factory.logger).toBe(log.logger);
    expect(orchestrator.service).toBe(service);
    expect(orchestrator.tracer).toBe(tracer);
  });

  it("the orchestrator retries with the agent's config and reports to the module's tracer", async () => {
    const server = await faultServer(['503', 'ok']);
    const events: string[] = [];
    const tracer: Tracer = { logEvent: (event) => void events.push(event) };
    const moduleRef = await compile({
      imports: [
        ResilienceModule.forRoot({
          configs: NAMED,
          tracer,
          logger: createTestLogger().logger,
          agents: {
            support: { ...support, baseURL: server.openaiBaseURL },
            triage: { provider: 'openai', model: 'm' },
          },
        }),
      ],
      providers: [SupportDesk],
    });

    const desk = moduleRef.get(SupportDesk);
    const reply = await desk.orchestrator.respond(desk.support, [{ role: 'user', content: 'hi' }]);

    expect(reply).toMatchObject({ isError: false, agent: 'support' });
    expect(llmRequests(server)).toHaveLength(2);
    expect(events).toEqual(expect.arrayContaining(['retry_attempt_start', 'retry_attempt_failed', 'llm_call_success']));
  });
});

describe('request scope', () => {
  let instances = 0;

  @Injectable({ scope: Scope.REQUEST })
  class PerRequestAgent {
    readonly id = ++instances;
    constructor(@Inject(OPENAI) private readonly client: OpenAI) {}

    @RetryOpenAI({ configName: 'fast' })
    async ask(question: string): Promise<string> {
      const completion = await this.client.chat.completions.create({
        model: 'm',
        messages: [{ role: 'user', content: question }],
      });
      return completion.choices[0].message.content ?? '';
    }
  }

  @Controller({ path: 'scoped', scope: Scope.REQUEST })
  class ScopedController {
    constructor(
      private readonly agent: PerRequestAgent,
      private readonly orchestrator: AgentOrchestrator,
    ) {}

    @Post()
    @RetryOpenAI({ configName: 'patient' })
    async ask(@Body() body: { question: string }): Promise<{ id: number; answer: string; orchestrator: boolean }> {
      return {
        id: this.agent.id,
        answer: await this.agent.ask(body.question),
        orchestrator: this.orchestrator instanceof AgentOrchestrator,
      };
    }
  }

  it('request-scoped providers and controllers: decorated methods retry, one instance per request', async () => {
    instances = 0;
    const server = await faultServer(['503', 'ok', '503', 'ok']);
    const { url } = await startApp({
      imports: [ResilienceModule.forRoot({ configs: NAMED, logger: createTestLogger().logger })],
      controllers: [ScopedController],
      providers: [PerRequestAgent, { provide: OPENAI, useValue: openaiFor(server) }],
    });

    const first = await post(`${url}/scoped`, { question: 'one' });
    const second = await post(`${url}/scoped`, { question: 'two' });

    expect(first).toMatchObject({ status: 201, body: { id: 1, orchestrator: true } });
    expect(second).toMatchObject({ status: 201, body: { id: 2, orchestrator: true } });
    expect(llmRequests(server)).toHaveLength(4);
  });

  it('the controller method itself is retried by its own decorator (configName "patient")', async () => {
    instances = 0;
    // "fast" gives up after 2 attempts; the controller's "patient" decorator then calls again.
    const server = await faultServer(['503', '503', '503', 'ok']);
    const { url } = await startApp({
      imports: [ResilienceModule.forRoot({ configs: NAMED, logger: createTestLogger().logger })],
      controllers: [ScopedController],
      providers: [PerRequestAgent, { provide: OPENAI, useValue: openaiFor(server) }],
    });

    expect(await post(`${url}/scoped`, { question: 'q' })).toMatchObject({ status: 201, body: { id: 1 } });
    expect(llmRequests(server)).toHaveLength(4);
  });
});

describe('shutdown', () => {
  class Flaky {
    calls = 0;
    @Retry({ shouldRetry: () => true })
    async run(): Promise<never> {
      this.calls++;
      throw new Error('down');
    }
  }

  it("takes back the module's settings when the app closes (not the process's other state)", async () => {
    const log = createTestLogger();
    const moduleRef = await compile({
      imports: [ResilienceModule.forRoot({ defaults: { maxAttempts: 4 }, configs: NAMED, logger: log.logger })],
    });
    const during = new Flaky();
    await expect(during.run()).rejects.toThrow('down');
    expect(during.calls).toBe(4);

    await moduleRef.close();
    const after = new Flaky();
    // Back to the built-in 3 attempts; the module's logger no longer used.
    configureResilience({ logger: createTestLogger().logger });
    await expect(after.run()).rejects.toThrow('down');
    expect(after.calls).toBe(3);
    expect(log.at('warn')).toHaveLength(3);
  });

  it('keeps the settings when something changed them after boot (they are no longer only its own)', async () => {
    const moduleRef = await compile({
      imports: [
        ResilienceModule.forRoot({ defaults: { maxAttempts: 4 }, configs: NAMED, logger: createTestLogger().logger }),
      ],
    });
    configureResilience({ tracer: { logEvent: () => undefined } });

    await moduleRef.close();
    const after = new Flaky();
    await expect(after.run()).rejects.toThrow('down');
    expect(after.calls).toBe(4);
  });
});
