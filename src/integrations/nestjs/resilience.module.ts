import { DynamicModule, Module, Provider } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { AgentOrchestrator } from '../../llm/agent-orchestrator';
import { LLMServiceFactory } from '../../llm/llm-service-factory';
import { ResilientLLMService } from '../../llm/resilient-llm-service';
import { agentConfigToken, requestedAgentNames } from './inject-agent-config.decorator';
import {
  ConfigurableModuleClass,
  RESILIENCE_MODULE_OPTIONS,
  ResilienceModuleAsyncOptions,
  ResilienceModuleRootOptions,
} from './resilience.module-definition';
import { RESILIENCE_RUNTIME } from './resilience.constants';
import * as messages from './resilience.messages';
import { ResilienceRuntime } from './resilience.runtime';

const ASYNC_SOURCES = ['useFactory', 'useClass', 'useExisting'] as const;

/** The services, built with the module's logger and tracer (and the process-wide defaults). */
const SERVICE_PROVIDERS: Provider[] = [
  {
    provide: RESILIENCE_RUNTIME,
    useFactory: (options: unknown, modules: ModulesContainer) =>
      ResilienceRuntime.boot(options, modules, ResilienceModule),
    inject: [RESILIENCE_MODULE_OPTIONS, ModulesContainer],
  },
  {
    provide: LLMServiceFactory,
    useFactory: (runtime: ResilienceRuntime) => new LLMServiceFactory({ logger: runtime.logger }),
    inject: [RESILIENCE_RUNTIME],
  },
  {
    provide: ResilientLLMService,
    useFactory: (runtime: ResilienceRuntime, factory: LLMServiceFactory) =>
      new ResilientLLMService({ logger: runtime.logger, tracer: runtime.tracer, factory }),
    inject: [RESILIENCE_RUNTIME, LLMServiceFactory],
  },
  {
    provide: AgentOrchestrator,
    useFactory: (runtime: ResilienceRuntime, service: ResilientLLMService) =>
      new AgentOrchestrator({ service, logger: runtime.logger, tracer: runtime.tracer }),
    inject: [RESILIENCE_RUNTIME, ResilientLLMService],
  },
];
const SERVICE_EXPORTS = [LLMServiceFactory, ResilientLLMService, AgentOrchestrator];

/**
 * Applies llm-resilience's settings to a Nest app: defaults, named configs, logger (Nest's
 * by default), tracer, and named agents; provides `ResilientLLMService`,
 * `AgentOrchestrator`, `LLMServiceFactory` and one `AgentConfig` per agent
 * (`@InjectAgentConfig(name)`). Global unless `isGlobal: false`.
 *
 * Everything is validated at boot: an invalid option, a `configName` or an injected agent
 * that is not configured fails `app.init()` with one `RetryConfigError` listing every problem.
 *
 * @example
 * ```ts
 * @Module({
 *   imports: [
 *     ResilienceModule.forRoot({
 *       defaults: { maxAttempts: 4 },
 *       agents: { support: { provider: LLMProvider.OPENAI, model: 'gpt-4o-mini' } },
 *     }),
 *   ],
 *   providers: [SupportAgent],
 * })
 * export class AppModule {}
 * ```
 */
@Module({ providers: SERVICE_PROVIDERS, exports: SERVICE_EXPORTS })
export class ResilienceModule extends ConfigurableModuleClass {
  /**
   * The module with static options (all optional), plus `isGlobal` (default `true`).
   * Throws a `TypeError` at once when `options` is not an object.
   *
   * @example
   * ```ts
   * ResilienceModule.forRoot({ defaults: { maxAttempts: 4 }, logger: winstonLogger });
   * ```
   */
  static forRoot(options: ResilienceModuleRootOptions = {}): DynamicModule {
    if (typeof options !== 'object' || options === null || Array.isArray(options)) {
      throw new TypeError(messages.forRootOptionsNotObject(options));
    }
    if (options.isGlobal !== undefined && typeof options.isGlobal !== 'boolean') {
      throw new TypeError(messages.isGlobalNotBoolean('forRoot', options.isGlobal));
    }
    const agents = typeof options.agents === 'object' && options.agents !== null ? Object.keys(options.agents) : [];
    return withAgentProviders(super.forRoot(options), agents);
  }

  /**
   * The module with options computed at boot, by exactly one of `useFactory`, `useClass` or
   * `useExisting` (a `ResilienceOptionsFactory`), plus `imports`, `inject` and `isGlobal`
   * (default `true`). Agents injected with `@InjectAgentConfig` must be declared by classes
   * defined before this call, since the factory's agents are known only at boot.
   *
   * @example
   * ```ts
   * ResilienceModule.forRootAsync({
   *   imports: [ConfigModule],
   *   inject: [ConfigService],
   *   useFactory: (config: ConfigService) => ({ defaults: { maxAttempts: config.get<number>('LLM_MAX_ATTEMPTS') } }),
   * });
   * ```
   */
  static forRootAsync(options: ResilienceModuleAsyncOptions): DynamicModule {
    if (typeof options !== 'object' || options === null || Array.isArray(options)) {
      throw new TypeError(messages.asyncOptionsNotObject(options));
    }
    if (options.isGlobal !== undefined && typeof options.isGlobal !== 'boolean') {
      throw new TypeError(messages.isGlobalNotBoolean('forRootAsync', options.isGlobal));
    }
    const given = ASYNC_SOURCES.filter((source) => options[source] !== undefined);
    if (given.length !== 1) throw new TypeError(messages.asyncOptionsNeedOneSource(given));
    return withAgentProviders(super.forRootAsync(options), []);
  }
}

/**
 * One provider per agent: those named in `forRoot`'s options, and those asked for by
 * `@InjectAgentConfig` (all `forRootAsync` can know before its factory runs). A provided
 * name that is not configured is `undefined`; the boot fails if anything injects it.
 */
function withAgentProviders(definition: DynamicModule, names: readonly string[]): DynamicModule {
  const agentNames = [...new Set([...names, ...requestedAgentNames()])];
  const providers: Provider[] = agentNames.map((name) => ({
    provide: agentConfigToken(name),
    useFactory: (runtime: ResilienceRuntime) => runtime.agents.get(name),
    inject: [RESILIENCE_RUNTIME],
  }));
  return {
    ...definition,
    providers: [...(definition.providers ?? []), ...providers],
    exports: [...(definition.exports ?? []), ...agentNames.map(agentConfigToken)],
  };
}
