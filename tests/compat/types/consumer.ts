// A consumer of the PACKED library, type-checked by scripts/compat/run.sh in a scratch project
// with the oldest TypeScript the README claims (5.0) and the current one, skipLibCheck: false,
// so that every shipped .d.ts is checked. Legacy decorators (NestJS apps). Never run.
import { Injectable, Module } from '@nestjs/common';
import OpenAI from 'openai';
import {
  AgentConfig,
  CircuitOpenError,
  RetryConfig,
  RetryNetwork,
  RetryOpenAI,
  RetryTimeoutError,
  AttemptTimeoutError,
  TokenProviderError,
  UpstreamThrottledError,
  isCircuitOpenError,
  type JitterMode,
} from 'llm-resilience';
import { InjectAgentConfig, ResilienceModule } from 'llm-resilience/nestjs';
import { createRedisStateStore } from 'llm-resilience/redis';
import { startFaultServer } from 'llm-resilience/testing';

@Injectable()
export class Agent {
  private readonly client: OpenAI;
  constructor(@InjectAgentConfig('support') readonly config: AgentConfig) {
    this.client = new OpenAI({ apiKey: config.apiKey, baseURL: config.baseURL, maxRetries: 0 });
  }

  @RetryOpenAI({ maxAttempts: 3, configName: 'chat' })
  async ask(question: string): Promise<string> {
    const completion = await this.client.chat.completions.create({
      model: this.config.model,
      messages: [{ role: 'user', content: question }],
    });
    return completion.choices[0]?.message.content ?? '';
  }

  @RetryNetwork()
  async ping(url: string): Promise<number> {
    return (await fetch(url)).status;
  }
}

@Module({ imports: [ResilienceModule.forRoot({ defaults: { maxAttempts: 2 } })], providers: [Agent] })
export class AppModule {}

export const jitter: JitterMode = new RetryConfig({ jitter: 'full' }).jitter;
export const errors = [
  CircuitOpenError,
  RetryTimeoutError,
  AttemptTimeoutError,
  TokenProviderError,
  UpstreamThrottledError,
];
export const isOpen: (error: unknown) => boolean = isCircuitOpenError;
export const entryPoints = [startFaultServer, createRedisStateStore];
