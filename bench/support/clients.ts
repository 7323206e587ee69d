/**
 * The clients the scenario benchmarks compare, each a function `(i) => Promise` making the
 * i-th logical call against an OpenAI-compatible `baseURL`, with the real `openai` SDK.
 *
 * Every peer retries the same failures (429, 5xx, connection errors: `isRetryableStatus`)
 * with its own exponential backoff and its own jitter where it has one, around a client
 * whose own retries are off, with the same number of attempts as llm-resilience.
 */
import OpenAI from 'openai';
import { ExponentialBackoff, handleWhen, retry } from 'cockatiel';
// p-retry 7 is ESM-only: this CommonJS build loads it with require(), which Node 20.19+
// supports for ES modules without top-level await (p-retry 8+ declares Node >= 22).
import pRetry from 'p-retry';
import { BackOffPolicy, ExponentialBackoffStrategy, Retryable } from 'typescript-retry-decorator';
import { AgentConfig, configureResilience, LLMProvider, ResilientLLMService, RetryConfigFields } from '../../src';

export type Call = (i: number) => Promise<unknown>;
export type Client = (baseURL: string) => Call;

const messages = (i: number) => [{ role: 'user' as const, content: `question ${i}` }];
const MODEL = 'gpt-4o-mini';

/** The library's log lines would dominate a benchmark's output. */
export function silenceLibraryLogs(): void {
  configureResilience({ logger: { error() {}, warn() {}, info() {}, debug() {} } });
}

/** What the peers retry: 429 and 5xx answers, and failures with no answer (connection errors). */
export function isRetryableStatus(error: unknown): boolean {
  const status = (error as { status?: number } | null)?.status;
  if (status !== undefined) return status === 429 || status >= 500;
  // openai's APIConnectionError and APIConnectionTimeoutError (matched by class name: the
  // SDK's CJS and ESM builds have distinct classes).
  return /^APIConnection/.test((error as object | null)?.constructor?.name ?? '');
}

function bareClient(baseURL: string): OpenAI {
  return new OpenAI({ apiKey: 'sk-bench', baseURL, maxRetries: 0 });
}

export function llmResilience(retryConfig: Partial<RetryConfigFields>): Client {
  return (baseURL) => {
    const service = new ResilientLLMService();
    const config = AgentConfig.from({
      provider: LLMProvider.OPENAI,
      model: MODEL,
      baseURL,
      apiKey: 'sk-bench',
      retryConfig,
    });
    return (i) => service.resilientChatCompletion(config, { messages: messages(i) });
  };
}

/** The openai SDK with its own retries (`maxRetries`; default 2). `maxRetries: 0` is the plain call. */
export function openaiSdk(maxRetries?: number): Client {
  return (baseURL) => {
    const client = new OpenAI({ apiKey: 'sk-bench', baseURL, ...(maxRetries === undefined ? {} : { maxRetries }) });
    return (i) => client.chat.completions.create({ model: MODEL, messages: messages(i) });
  };
}

/** One request, no retry at all: the limit every retry layer is measured against. */
export const plainCall = (): Client => openaiSdk(0);

/** cockatiel's `retry` with its ExponentialBackoff (decorrelated jitter by default). */
export function cockatiel(attempts: number, initialDelay: number, maxDelay?: number): Client {
  return (baseURL) => {
    const client = bareClient(baseURL);
    const policy = retry(handleWhen(isRetryableStatus), {
      maxAttempts: attempts - 1, // cockatiel counts retries
      backoff: new ExponentialBackoff({ initialDelay, ...(maxDelay ? { maxDelay } : {}) }),
    });
    return (i) => policy.execute(() => client.chat.completions.create({ model: MODEL, messages: messages(i) }));
  };
}

/** p-retry: exponential from `minTimeout`, factor 2, `randomize` (x1 to x2). */
export function pRetryClient(attempts: number, minTimeout: number, maxTimeout?: number): Client {
  return (baseURL) => {
    const client = bareClient(baseURL);
    return (i) =>
      pRetry(() => client.chat.completions.create({ model: MODEL, messages: messages(i) }), {
        retries: attempts - 1,
        minTimeout,
        ...(maxTimeout ? { maxTimeout } : {}),
        randomize: true,
        shouldRetry: ({ error }) => isRetryableStatus(error),
      });
  };
}

/** typescript-retry-decorator's `@Retryable`: exponential from `backOff`, full jitter. */
export function retryDecorator(attempts: number, backOff: number, maxInterval = 30_000): Client {
  return (baseURL) => {
    class Agent {
      private readonly client = bareClient(baseURL);

      @Retryable({
        maxAttempts: attempts - 1, // typescript-retry-decorator counts retries
        backOffPolicy: BackOffPolicy.ExponentialBackOffPolicy,
        backOff,
        exponentialOption: { maxInterval, multiplier: 2, backoffStrategy: ExponentialBackoffStrategy.FullJitter },
        doRetry: isRetryableStatus,
        useConsoleLogger: false,
        useOriginalError: true,
      })
      async complete(i: number): Promise<unknown> {
        return this.client.chat.completions.create({ model: MODEL, messages: messages(i) });
      }
    }
    const agent = new Agent();
    return (i) => agent.complete(i);
  };
}

/** A named client, for the scenario tables. */
export interface Contender {
  name: string;
  make: Client;
}
