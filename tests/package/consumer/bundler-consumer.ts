// A consumer of the BUILT package under `moduleResolution: bundler` (webpack, Vite, esbuild):
// the "import" condition, so the .d.mts declarations. Compiled by tests/package/consumer-types.test.ts.
import { Retry, RetryAzure, RetryConfig, classifyError, type ErrorClassification } from 'llm-resilience';
import { startFaultServer } from 'llm-resilience/testing';
import { ResilienceModule } from 'llm-resilience/nestjs';
import { createRedisStateStore } from 'llm-resilience/redis';

type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const expectTrue = <T extends true>(): T | void => undefined;

export class AzureAgent {
  @RetryAzure({ config: () => new RetryConfig({ maxAttempts: 2 }) })
  async complete(prompt: string): Promise<string> {
    return prompt;
  }

  @Retry({ shouldRetry: (error) => classifyError(error).retryable })
  async *stream(prompt: string): AsyncGenerator<string> {
    yield prompt;
  }
}
expectTrue<Equals<AzureAgent['complete'], (prompt: string) => Promise<string>>>();
expectTrue<Equals<ReturnType<typeof classifyError>, ErrorClassification>>();

// @ts-expect-error @Retry needs shouldRetry
Retry({ maxAttempts: 2 });

export const entryPoints = [startFaultServer, ResilienceModule.forRoot, createRedisStateStore];
