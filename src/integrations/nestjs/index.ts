// `llm-resilience/nestjs`: the NestJS integration. Needs @nestjs/common and @nestjs/core
// (10 or 11); the rest of the library never loads them. The decorators themselves
// (`@RetryOpenAI`, ...) come from `llm-resilience`.

export { ResilienceModule } from './resilience.module';
export { RESILIENCE_MODULE_OPTIONS } from './resilience.module-definition';
export type { ResilienceModuleRootOptions, ResilienceModuleAsyncOptions } from './resilience.module-definition';
export type { ResilienceModuleOptions, ResilienceOptionsFactory } from './resilience-options.interface';
export { InjectAgentConfig, agentConfigToken } from './inject-agent-config.decorator';
export { NestLoggerAdapter } from './nest-logger.adapter';
export { RESILIENCE_LOGGER_CONTEXT } from './resilience.constants';
