// A CommonJS consumer of the BUILT package (dist/cjs/*.d.ts) under nodenext: `import` here
// compiles to require(). Compiled by tests/package/consumer-types.test.ts; never run.
import { RetryConfig, RetryNetwork, type JitterMode } from 'llm-resilience';
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the CommonJS form a user may write
import llm = require('llm-resilience');
import type { RetryConfig as ImportedRetryConfig } from 'llm-resilience' with { 'resolution-mode': 'import' };
import { startFaultServer } from 'llm-resilience/testing';
import { ResilienceModule } from 'llm-resilience/nestjs';
import { createRedisStateStore } from 'llm-resilience/redis';

type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const expectTrue = <T extends true>(): T | void => undefined;

expectTrue<Equals<RetryConfig, ImportedRetryConfig>>();
expectTrue<Equals<typeof llm.RetryConfig, typeof RetryConfig>>();
expectTrue<Equals<JitterMode, 'full' | 'equal' | 'decorrelated' | 'none'>>();

export class Fetcher {
  @RetryNetwork({ maxAttempts: 3 })
  async fetch(url: string): Promise<number> {
    return url.length;
  }
}
expectTrue<Equals<Fetcher['fetch'], (url: string) => Promise<number>>>();

// @ts-expect-error jitter is a JitterMode
new RetryConfig({ jitter: 'random' });

export const entryPoints = [startFaultServer, ResilienceModule.forRoot, createRedisStateStore];
