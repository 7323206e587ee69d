/**
 * The clients the scenario benchmarks compare, each a function `(i) => Promise` making the
 * i-th logical call against an OpenAI-compatible `baseURL`, with the real `openai` SDK.
 */
import OpenAI from 'openai';
import { ExponentialBackoff, handleWhen, retry } from 'cockatiel';
import { AgentConfig, configureResilience, LLMProvider, ResilientLLMService, RetryConfigFields } from '../../src';

export type Call = (i: number) => Promise<unknown>;

const messages = (i: number) => [{ role: 'user' as const, content: `question ${i}` }];
const MODEL = 'gpt-4o-mini';

/** The library's log lines would dominate a benchmark's output. */
export function silenceLibraryLogs(): void {
  configureResilience({ logger: { error() {}, warn() {}, info() {}, debug() {} } });
}

export function llmResilience(retryConfig: Partial<RetryConfigFields>): (baseURL: string) => Call {
  return (baseURL) => {
    const service = new ResilientLLMService();
    const config = AgentConfig.from({ provider: LLMProvider.OPENAI, model: MODEL, baseURL, apiKey: 'sk-bench', retryConfig });
    return (i) => service.resilientChatCompletion(config, { messages: messages(i) });
  };
}

export function openaiSdk(maxRetries?: number): (baseURL: string) => Call {
  return (baseURL) => {
    const client = new OpenAI({ apiKey: 'sk-bench', baseURL, ...(maxRetries === undefined ? {} : { maxRetries }) });
    return (i) => client.chat.completions.create({ model: MODEL, messages: messages(i) });
  };
}

/** cockatiel's `retry` on 429/5xx with exponential backoff, around a client with no retries of its own. */
export function cockatiel(attempts: number, initialDelay: number, maxDelay?: number): (baseURL: string) => Call {
  return (baseURL) => {
    const client = new OpenAI({ apiKey: 'sk-bench', baseURL, maxRetries: 0 });
    const policy = retry(
      handleWhen((error) => [429, 500, 502, 503, 504].includes((error as { status?: number }).status ?? 0)),
      { maxAttempts: attempts - 1, backoff: new ExponentialBackoff({ initialDelay, ...(maxDelay ? { maxDelay } : {}) }) },
    );
    return (i) => policy.execute(() => client.chat.completions.create({ model: MODEL, messages: messages(i) }));
  };
}
