import type { SharedStateStore } from '../../ports/shared-state-store';
import type { RetryConfig, RetryConfigFields } from '../../config/retry-config';
import type { AgentConfig, AgentConfigInput } from '../../llm/agent-config';
import type { ResilienceLogger } from '../../observability/default-logger';
import type { Tracer } from '../../observability/tracer';

/** What `ResilienceModule.forRoot()` takes, and what a `forRootAsync()` factory returns. */
export interface ResilienceModuleOptions {
  /**
   * Defaults for every decorated method and LLM service, below per-agent and per-method
   * settings (`configureResilience({ defaults })`). Validated at boot.
   */
  defaults?: Partial<RetryConfigFields> | RetryConfig;
  /**
   * Named retry configs, chosen with `@RetryOpenAI({ configName: 'gpt-4o' })`; each is
   * layered over `defaults` field by field. Validated at boot, and a `configName` that no
   * entry matches fails the boot.
   */
  configs?: Record<string, Partial<RetryConfigFields> | RetryConfig>;
  /**
   * A winston logger (or any `{ error, warn, info, debug }` logger).
   * @default Nest's `Logger` (a `NestLoggerAdapter`), under the context `LLMResilience`
   */
  logger?: ResilienceLogger;
  /** Receives the trace events of every decorated call and LLM service call. */
  tracer?: Tracer;
  /**
   * Named agents, injectable with `@InjectAgentConfig(name)`. A plain object without a
   * `name` is named by its key. Validated at boot (`AgentConfig.from`).
   */
  agents?: Record<string, AgentConfig | AgentConfigInput>;
  /**
   * Shares what one replica learns about an upstream with the others
   * (`createRedisStateStore({ client })` from `llm-resilience/redis`): today, the rate-limit cooldowns.
   */
  stateStore?: SharedStateStore;
}

/**
 * A class given to `forRootAsync({ useClass })` or `forRootAsync({ useExisting })`.
 *
 * @example
 * ```ts
 * @Injectable()
 * class ResilienceConfig implements ResilienceOptionsFactory {
 *   constructor(private readonly config: ConfigService) {}
 *   createResilienceOptions(): ResilienceModuleOptions {
 *     return { defaults: { maxAttempts: this.config.get<number>('LLM_MAX_ATTEMPTS') } };
 *   }
 * }
 *
 * ResilienceModule.forRootAsync({ imports: [ConfigModule], useClass: ResilienceConfig });
 * ```
 */
export interface ResilienceOptionsFactory {
  /** The module's options, read once at boot (then validated like `forRoot`'s). */
  createResilienceOptions(): ResilienceModuleOptions | Promise<ResilienceModuleOptions>;
}
