// Type tests: the retry decorators keep a method's exact type, and bad options do not compile.
// Compiled by `npm run typecheck` under experimentalDecorators (tsconfig.json) AND TC39 standard
// decorators (tsconfig.standard.json): every line here must hold in both modes. Never run.
import {
  Retry,
  RetryAzure,
  RetryConfig,
  RetryNetwork,
  RetryOpenAI,
  getRetryContext,
  type RetryMethodDecorator,
  type RetryOptions,
} from '../../src';
import { expectTrue, type Equals } from './expect-type';

interface RequestOptions {
  signal?: AbortSignal;
}

class ChatAgent {
  readonly retryConfig = new RetryConfig({ maxAttempts: 4 });

  @RetryOpenAI()
  async complete(question: string, options?: RequestOptions): Promise<string> {
    return `${question}${options?.signal ? '' : ''}${getRetryContext()?.attempt ?? 0}`;
  }

  @RetryAzure({ maxAttempts: 3, jitter: 'equal', totalTimeoutMs: 60_000 })
  async generic<T extends object>(value: T, ...rest: number[]): Promise<T & { count: number }> {
    return { ...value, count: rest.length };
  }

  @RetryNetwork({ config: (agent: ChatAgent) => agent.retryConfig })
  async *stream(prompt: string): AsyncGenerator<string, void, undefined> {
    yield prompt;
  }

  @Retry({ shouldRetry: (error) => error instanceof Error, name: 'ChatAgent.ping' })
  static async ping(this: typeof ChatAgent, host: string): Promise<number> {
    return host.length;
  }

  // Synchronous methods are passed through (not retried), and keep their type too.
  @RetryOpenAI()
  add(a: number, b = 1): number {
    return a + b;
  }
}

// The decorated methods have exactly the declared types: parameters (names, optionality,
// rest), return types, `this` and type parameters.
expectTrue<Equals<ChatAgent['complete'], (question: string, options?: RequestOptions) => Promise<string>>>();
expectTrue<Equals<Parameters<ChatAgent['complete']>, [question: string, options?: RequestOptions]>>();
expectTrue<Equals<ReturnType<ChatAgent['complete']>, Promise<string>>>();
expectTrue<
  Equals<ChatAgent['generic'], <T extends object>(value: T, ...rest: number[]) => Promise<T & { count: number }>>
>();
expectTrue<Equals<ChatAgent['stream'], (prompt: string) => AsyncGenerator<string, void, undefined>>>();
expectTrue<Equals<(typeof ChatAgent)['ping'], (this: typeof ChatAgent, host: string) => Promise<number>>>();
expectTrue<Equals<ChatAgent['add'], (a: number, b?: number) => number>>();

// Calls type-check as they would undecorated.
async function calls(agent: ChatAgent): Promise<void> {
  const text: string = await agent.complete('hi', { signal: AbortSignal.timeout(1000) });
  const _generic = await agent.generic({ id: 'a' }, 1, 2);
  expectTrue<Equals<typeof _generic, { id: string } & { count: number }>>();
  for await (const _chunk of agent.stream(text)) expectTrue<Equals<typeof _chunk, string>>();
  // @ts-expect-error a number is not a string parameter
  await agent.complete(42);
  // @ts-expect-error too many arguments
  agent.add(1, 2, 3);
}
void calls;

// Each decorator factory returns the dual-mode method decorator type.
expectTrue<Equals<ReturnType<typeof RetryOpenAI>, RetryMethodDecorator>>();
expectTrue<Equals<ReturnType<typeof RetryAzure>, RetryMethodDecorator>>();
expectTrue<Equals<ReturnType<typeof RetryNetwork>, RetryMethodDecorator>>();
expectTrue<Equals<ReturnType<typeof Retry>, RetryMethodDecorator>>();
expectTrue<Equals<Parameters<typeof RetryOpenAI>, [options?: RetryOptions]>>();

// Every option the decorators accept, each with a value of the right type.
const everyOption: Required<RetryOptions> = {
  maxAttempts: 4,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  exponentialBase: 2,
  jitter: 'decorrelated',
  respectRetryAfter: true,
  maxRetryAfterMs: 60_000,
  attemptTimeoutMs: 10_000,
  totalTimeoutMs: 60_000,
  circuitBreaker: { failureThreshold: 5, halfOpenAfterMs: 30_000 },
  retryBudget: { capacity: 100, retryCost: 5 },
  bulkhead: { maxConcurrency: 4 },
  firstItemTimeoutMs: 10_000,
  idleTimeoutMs: 30_000,
  streamCommit: (chunk: { choices: unknown[] }) => chunk.choices.length > 0,
  config: new RetryConfig(),
  configName: 'gpt-4o',
  logger: console,
  tracer: { logEvent: () => undefined },
  observers: () => ({ logger: console }),
  onRetry: ({ attempt, delayMs, kind, status }) => void [attempt, delayMs, kind, status],
  labelDetail: () => 'model gpt-4o',
  name: 'Agent.call',
  successDetails: () => ({ tokens: 1 }),
  key: (_instance, args) => String(args[0]),
  spanAttributes: () => ({ 'gen_ai.request.model': 'gpt-4o', retries: 1, streamed: false }),
};
void everyOption;

// Bad options are compile errors (each line below the comment must fail to compile).
class BadOptions {
  // @ts-expect-error unknown option (a typo of maxAttempts)
  @RetryOpenAI({ maxAttemps: 3 })
  async a(): Promise<void> {}

  // @ts-expect-error maxAttempts is a number, not a string
  @RetryOpenAI({ maxAttempts: '3' })
  async b(): Promise<void> {}

  // @ts-expect-error jitter is one of 'full' | 'equal' | 'decorrelated' | 'none'
  @RetryAzure({ jitter: 'random' })
  async c(): Promise<void> {}

  // @ts-expect-error jitter modes are lower case
  @RetryAzure({ jitter: 'FULL' })
  async d(): Promise<void> {}

  // @ts-expect-error respectRetryAfter is a boolean, not the string 'false'
  @RetryNetwork({ respectRetryAfter: 'false' })
  async e(): Promise<void> {}

  // @ts-expect-error unknown circuit-breaker option (a typo of failureThreshold)
  @RetryNetwork({ circuitBreaker: { failureTreshold: 3 } })
  async f(): Promise<void> {}

  // @ts-expect-error the bulkhead is settings or false, never true
  @RetryOpenAI({ bulkhead: true })
  async g(): Promise<void> {}

  // @ts-expect-error retry-budget numbers are numbers
  @RetryOpenAI({ retryBudget: { capacity: '100' } })
  async h(): Promise<void> {}

  // @ts-expect-error config is a RetryConfig (or a function returning one), not plain fields
  @RetryOpenAI({ config: { maxAttempts: 3 } })
  async i(): Promise<void> {}

  // @ts-expect-error key is a string or a function returning one
  @RetryOpenAI({ key: 42 })
  async j(): Promise<void> {}

  // @ts-expect-error the logger needs error, warn, info and debug
  @RetryOpenAI({ logger: { warn: () => undefined } })
  async k(): Promise<void> {}

  // @ts-expect-error @Retry needs its shouldRetry predicate
  @Retry({ maxAttempts: 3 })
  async l(): Promise<void> {}

  // @ts-expect-error shouldRetry receives unknown, not an Error
  @Retry({ shouldRetry: (error: Error) => error.message === 'x' })
  async m(): Promise<void> {}

  // @ts-expect-error a factory: @RetryOpenAI() with parentheses
  @RetryOpenAI
  async n(): Promise<void> {}

  // @ts-expect-error methods only, not fields
  @RetryOpenAI()
  field = 1;
}
void BadOptions;
