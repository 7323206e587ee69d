// `llm-resilience/nestjs`: the NestJS integration. Needs @nestjs/common and @nestjs/core
// (10 or 11); the rest of the library never loads them. The decorators themselves
// (`@RetryOpenAI`, ...) come from `llm-resilience`.

// Checked before the exports below load them (statements run in source order in the CommonJS
// build, which the ESM entry point re-exports): without the check, a missing peer shows up as
// Node's bare "Cannot find module '@nestjs/common'" thrown from deep inside dist/.
const missingPeers = ['@nestjs/common', '@nestjs/core'].filter((peer) => {
  try {
    require.resolve(peer);
    return false;
  } catch (error) {
    return (error as { code?: unknown }).code === 'MODULE_NOT_FOUND';
  }
});
if (missingPeers.length > 0) {
  throw new Error(
    `llm-resilience/nestjs needs the optional peer dependencies @nestjs/common and @nestjs/core (10 or 11); ` +
      `not installed: ${missingPeers.join(', ')}. Run: npm install @nestjs/common @nestjs/core`,
  );
}

export { ResilienceModule } from './resilience.module';
export { RESILIENCE_MODULE_OPTIONS } from './resilience.module-definition';
export type { ResilienceModuleRootOptions, ResilienceModuleAsyncOptions } from './resilience.module-definition';
export type { ResilienceModuleOptions, ResilienceOptionsFactory } from './resilience-options.interface';
export { InjectAgentConfig, agentConfigToken } from './inject-agent-config.decorator';
export { NestLoggerAdapter } from './nest-logger.adapter';
export { RESILIENCE_LOGGER_CONTEXT } from './resilience.constants';
