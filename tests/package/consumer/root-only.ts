// A consumer of the root entry point only, compiled by tests/package/clean-install.test.ts in
// a clean install of the packed tarball with none of the optional peers (no openai, no Nest,
// no ioredis), under node10 and nodenext (as .ts and as .mts). Never run.
import { RetryConfig, RetryNetwork, configureResilience, getRetryContext, isRetryConfigError } from 'llm-resilience';

type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const expectTrue = <T extends true>(): T | void => undefined;

configureResilience({ defaults: new RetryConfig({ maxAttempts: 3 }) });

export class Fetcher {
  @RetryNetwork({ jitter: 'equal' })
  async fetch(url: string): Promise<number> {
    return url.length + (getRetryContext()?.attempt ?? 0);
  }
}
expectTrue<Equals<Fetcher['fetch'], (url: string) => Promise<number>>>();

export function issues(error: unknown): string[] {
  return isRetryConfigError(error) ? error.issues.map((issue) => issue.message) : [];
}

// @ts-expect-error maxAttempts is a number
new RetryConfig({ maxAttempts: '3' });
