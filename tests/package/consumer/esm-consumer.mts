// An ES module consumer of the BUILT package (dist/*.d.mts), resolved by package name through
// "exports" (TypeScript's self-reference, as a user's node_modules would). Compiled by
// tests/package/consumer-types.test.ts under nodenext, in both decorator modes; never run.
import llm, { RetryConfig, RetryOpenAI, getRetryContext, isRetryConfigError, type RetryOptions } from 'llm-resilience';
import type { RetryConfig as RequiredRetryConfig } from 'llm-resilience' with { 'resolution-mode': 'require' };
import { startFaultServer, type FaultServer } from 'llm-resilience/testing';
import { ResilienceModule, type ResilienceModuleOptions } from 'llm-resilience/nestjs';
import { createRedisStateStore, type RedisStateStore } from 'llm-resilience/redis';
import type { Redis } from 'ioredis';

type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const expectTrue = <T extends true>(): T | void => undefined;

// One set of declarations: import and require see the same RetryConfig type, and the
// default export is the whole module (what the .mjs wrapper's default is at run time).
expectTrue<Equals<RetryConfig, RequiredRetryConfig>>();
expectTrue<Equals<typeof llm.RetryConfig, typeof RetryConfig>>();

export class Agent {
  readonly retryConfig = new RetryConfig({ maxAttempts: 4 });

  @RetryOpenAI({ jitter: 'full', totalTimeoutMs: 60_000 })
  async complete(question: string, options?: { signal?: AbortSignal }): Promise<string> {
    return `${question}${options?.signal ? '' : ''}${getRetryContext()?.attempt ?? 0}`;
  }
}
expectTrue<Equals<Agent['complete'], (question: string, options?: { signal?: AbortSignal }) => Promise<string>>>();

// @ts-expect-error unknown option, caught in the consumer's build too
const bad: RetryOptions = { maxAttemps: 3 };

export async function use(redis: Redis, error: unknown): Promise<void> {
  const server: FaultServer = await startFaultServer({ script: ['503'] });
  await server.close();
  const options: ResilienceModuleOptions = {
    defaults: { maxAttempts: 3 },
    stateStore: createRedisStateStore({ client: redis }),
  };
  ResilienceModule.forRoot(options);
  const store: RedisStateStore = createRedisStateStore({ client: redis, prefix: 'app' });
  await store.close();
  if (isRetryConfigError(error))
    expectTrue<Equals<(typeof error)['issues'][number], { field: string; message: string }>>();
  void bad;
}
