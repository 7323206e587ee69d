import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { APP_FILTER } from '@nestjs/core';
// In an app: 'llm-resilience' and 'llm-resilience/nestjs'.
import { LLMProvider } from '../../src';
import { ResilienceExceptionFilter, ResilienceModule, ResilienceModuleOptions } from '../../src/integrations/nestjs';
import { AgentService } from './agent.service';
import { ChatController } from './chat.controller';

/** Retry settings and the agent come from the configuration (here the environment). */
function resilienceOptions(config: ConfigService): ResilienceModuleOptions {
  return {
    // Every decorated method and LLM service, unless a more specific layer says otherwise.
    defaults: { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 1_000, totalTimeoutMs: 20_000 },
    // Chosen with @RetryOpenAI({ configName: 'gpt-4o' }); layered over the defaults.
    configs: {
      'gpt-4o': { maxAttempts: Number(config.get('LLM_GPT4O_MAX_ATTEMPTS', 4)), maxRetryAfterMs: 5_000 },
    },
    // Injected with @InjectAgentConfig('support'), validated at boot.
    agents: {
      support: {
        provider: LLMProvider.OPENAI,
        model: config.get('LLM_MODEL', 'gpt-4o'),
        baseURL: config.getOrThrow<string>('LLM_BASE_URL'),
        apiKey: config.getOrThrow<string>('LLM_API_KEY'),
        retryConfig: { maxAttempts: 3 },
      },
    },
    // No logger: the library logs through Nest's Logger, context "LLMResilience".
  };
}

@Module({
  imports: [
    ConfigModule.forRoot({ ignoreEnvFile: true }),
    ResilienceModule.forRootAsync({
      imports: [ConfigModule],
      inject: [ConfigService],
      useFactory: resilienceOptions,
    }),
  ],
  controllers: [ChatController],
  providers: [
    AgentService,
    // What a controller does not handle itself: the LLM refusing our key is a 502, a rate
    // limit a 503 with Retry-After, never a plain 500 or the provider's text.
    { provide: APP_FILTER, useClass: ResilienceExceptionFilter },
  ],
})
export class AppModule {}
