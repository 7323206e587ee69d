/**
 * `npm run example:custom-classifier`: your own retry predicate with `@Retry({ shouldRetry })`,
 * built on the library's `classifyError` and `shouldRetryOpenAIError`, side by side with
 * `@RetryOpenAI`'s default verdict, against the fault server of `llm-resilience/testing`.
 *
 * - A provider-specific failure made retryable: a 200 whose JSON body is cut (a flaky proxy).
 *   `@RetryOpenAI` does not know that error (`unknown`, not retried); the custom predicate does.
 * - A retryable-by-default failure made final: a call that places an order must not run twice,
 *   so only failures where the server certainly did not process the request are retried (429,
 *   503, a refused connection); a 504 may mean "done, but the answer was lost", so it is not.
 *
 * Exits non-zero when a call did not take the attempts or end the way described.
 */
import OpenAI from 'openai';
// In an app: 'llm-resilience'.
import { classifyError, getRetryContext, Retry, RetryOpenAI, shouldRetryOpenAIError } from '../../src';
// In an app: 'llm-resilience/testing'.
import { FaultServer, FaultSpec, startFaultServer } from '../../src/testing';

/**
 * A 200 whose body was cut mid-JSON: the SDK's `JSON.parse` throws a `SyntaxError`. By name,
 * not `instanceof`: errors from another realm (jest, a worker) are not this realm's SyntaxError.
 */
export function isTruncatedJsonBody(error: unknown): boolean {
  const { name, message } = (error ?? {}) as { name?: unknown; message?: unknown };
  return name === 'SyntaxError' && typeof message === 'string' && message.includes('JSON');
}

/** The default verdict for `openai` errors, plus truncated JSON bodies. */
export function retryTruncatedBodies(error: unknown): boolean {
  return shouldRetryOpenAIError(error) || isTruncatedJsonBody(error);
}

/**
 * For calls that must not run twice: retry only what the server refused before doing any work.
 * A 500/502/504, a reset or a timeout may come after the work was done (OpenAI and Azure return
 * 429 and 503 without processing the request).
 */
export function retryOnlyWhenNotProcessed(error: unknown): boolean {
  const { kind, retryable, status, reason } = classifyError(error);
  if (!retryable) return false;
  return kind === 'rate_limit' || status === 503 || reason === 'ECONNREFUSED';
}

const MODEL = 'gpt-4o-mini';
const RETRY = { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 1_000 };

class Assistant {
  // One retry layer: the SDK's own retries are off.
  constructor(private readonly client: OpenAI) {}

  @RetryOpenAI(RETRY)
  async answerWithDefaults(question: string): Promise<string> {
    return this.ask(question);
  }

  @Retry({ ...RETRY, shouldRetry: retryTruncatedBodies })
  async answer(question: string): Promise<string> {
    return this.ask(question);
  }

  @RetryOpenAI(RETRY)
  async placeOrderWithDefaults(order: string): Promise<string> {
    return this.ask(`Place order ${order}`);
  }

  @Retry({ ...RETRY, shouldRetry: retryOnlyWhenNotProcessed })
  async placeOrder(order: string): Promise<string> {
    return this.ask(`Place order ${order}`);
  }

  private async ask(content: string): Promise<string> {
    const completion = await this.client.chat.completions.create(
      { model: MODEL, messages: [{ role: 'user', content }] },
      { signal: getRetryContext()?.signal },
    );
    return completion.choices[0]?.message?.content ?? '';
  }
}

type Method = 'answerWithDefaults' | 'answer' | 'placeOrderWithDefaults' | 'placeOrder';

interface Scenario {
  title: string;
  faults: FaultSpec[];
  method: Method;
  decorator: string;
  expected: { requests: number; outcome: 'answered' | 'failed' };
}

const DEFAULT = '@RetryOpenAI()';
const TRUNCATED = '@Retry({ shouldRetry: retryTruncatedBodies })';
const NOT_PROCESSED = '@Retry({ shouldRetry: retryOnlyWhenNotProcessed })';

const SCENARIOS: Scenario[] = [
  {
    title: 'a 200 with a cut JSON body, then ok',
    faults: ['malformed-json', 'ok'],
    method: 'answerWithDefaults',
    decorator: DEFAULT,
    expected: { requests: 1, outcome: 'failed' },
  },
  {
    title: 'a 200 with a cut JSON body, then ok',
    faults: ['malformed-json', 'ok'],
    method: 'answer',
    decorator: TRUNCATED,
    expected: { requests: 2, outcome: 'answered' },
  },
  {
    title: 'placing an order: 504, then ok',
    faults: ['504', 'ok'],
    method: 'placeOrderWithDefaults',
    decorator: DEFAULT,
    // Retried: if the first request went through, the order is now placed twice.
    expected: { requests: 2, outcome: 'answered' },
  },
  {
    title: 'placing an order: 504, then ok',
    faults: ['504', 'ok'],
    method: 'placeOrder',
    decorator: NOT_PROCESSED,
    // Not retried: the caller checks the order's status instead of placing it again.
    expected: { requests: 1, outcome: 'failed' },
  },
  {
    title: 'placing an order: 429, 503, then ok',
    faults: ['429:100', '503', 'ok'],
    method: 'placeOrder',
    decorator: NOT_PROCESSED,
    expected: { requests: 3, outcome: 'answered' },
  },
];

interface Result {
  requests: number;
  outcome: 'answered' | 'failed';
  detail: string;
}

async function run(scenario: Scenario, assistant: Assistant, server: FaultServer): Promise<Result> {
  server.setScript(scenario.faults);
  const before = server.requests.length;
  console.log(`▶ ${scenario.title}  [server script: ${scenario.faults.join(', ')}]`);
  console.log(`  ${scenario.decorator} ${scenario.method}()`);
  let result: Omit<Result, 'requests'>;
  try {
    const text = await assistant[scenario.method]('#1042');
    result = { outcome: 'answered', detail: text };
  } catch (error) {
    const { kind, reason } = classifyError(error);
    // openai's error classes all have name 'Error': the class name says more.
    const type = (error as Error | undefined)?.constructor?.name ?? typeof error;
    result = { outcome: 'failed', detail: `${type} (classifyError: ${kind}, ${reason})` };
  }
  const requests = server.requests.length - before;
  console.log(`  => ${result.outcome}: ${result.detail}  (${requests} request(s))\n`);
  return { ...result, requests };
}

async function main(): Promise<boolean> {
  const server = await startFaultServer();
  const assistant = new Assistant(
    new OpenAI({ apiKey: 'sk-local-fault-server', baseURL: server.openaiBaseURL, maxRetries: 0 }),
  );
  console.log(`Fault server at ${server.openaiBaseURL}\n`);
  const results: Result[] = [];
  try {
    for (const scenario of SCENARIOS) results.push(await run(scenario, assistant, server));
  } finally {
    await server.close();
  }

  console.log('Summary');
  console.table(
    SCENARIOS.map((scenario, index) => ({
      scenario: scenario.title,
      decorator: scenario.decorator,
      requests: results[index].requests,
      outcome: results[index].outcome,
    })),
  );

  let demonstrated = true;
  for (const [index, scenario] of SCENARIOS.entries()) {
    const { requests, outcome } = results[index];
    if (requests !== scenario.expected.requests || outcome !== scenario.expected.outcome) {
      console.error(
        `Unexpected: ${scenario.decorator} on "${scenario.title}" should have ${scenario.expected.outcome} after ` +
          `${scenario.expected.requests} request(s), got ${outcome} after ${requests}`,
      );
      demonstrated = false;
    }
  }
  return demonstrated;
}

main().then(
  (demonstrated) => {
    if (!demonstrated) process.exitCode = 1;
  },
  (error: unknown) => {
    console.error('example failed:', error);
    process.exitCode = 1;
  },
);
