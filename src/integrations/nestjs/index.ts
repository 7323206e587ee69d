// `llm-resilience/nestjs`: the NestJS integration. Needs @nestjs/common and @nestjs/core
// (10, 11 or 12); the rest of the library never loads them. The decorators themselves
// (`@RetryOpenAI`, ...) come from `llm-resilience`.

// The peers are loaded here, before the exports below need them (statements run in source
// order in the CommonJS build, which the ESM entry point re-exports), so that a missing one is
// reported by name instead of as Node's bare "Cannot find module" from deep inside dist/.
// Literal requires, not require.resolve: bundlers (esbuild, webpack) must still see and bundle them.
const missingPeers: string[] = [];
try {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('@nestjs/common');
} catch (error) {
  missingPeers.push(missingModule(error, '@nestjs/common'));
}
try {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('@nestjs/core');
} catch (error) {
  missingPeers.push(missingModule(error, '@nestjs/core'));
}
if (missingPeers.length > 0) {
  throw new Error(
    `llm-resilience/nestjs needs the optional peer dependencies @nestjs/common and @nestjs/core (10, 11 or 12); ` +
      `not installed: ${missingPeers.join(', ')}. Run: npm install @nestjs/common @nestjs/core`,
  );
}

/** `peer` when `error` says that `peer` itself is not installed; otherwise rethrows `error`. */
function missingModule(error: unknown, peer: string): string {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (code === 'MODULE_NOT_FOUND' && typeof message === 'string' && message.includes(`'${peer}'`)) return peer;
  throw error;
}

export { ResilienceModule } from './resilience.module';
export { RESILIENCE_MODULE_OPTIONS } from './resilience.module-definition';
export type { ResilienceModuleRootOptions, ResilienceModuleAsyncOptions } from './resilience.module-definition';
export type { ResilienceModuleOptions, ResilienceOptionsFactory } from './resilience-options.interface';
export { InjectAgentConfig, agentConfigToken } from './inject-agent-config.decorator';
export { NestLoggerAdapter } from './nest-logger.adapter';
export { ResilienceExceptionFilter } from './resilience-exception.filter';
export { RESILIENCE_LOGGER_CONTEXT } from './resilience.constants';
