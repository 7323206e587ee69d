/**
 * Plumbing of the upstream-protection suites: a class decorated with `@RetryOpenAI` that
 * calls the real `openai` SDK (`maxRetries: 0`) against the fault server, and helpers to
 * read what the server recorded. Built on `tests/llm/helpers.ts` (fault servers closed and
 * `resetResilience()` after each test, `random: () => 0` so full-jitter backoff sleeps 0 ms).
 */
import OpenAI, { APIError } from 'openai';
import { getRetryContext, RetryConfig, RetryOpenAI, type RetryOptions } from '../../src';
import type { FaultServer, RecordedRequest } from '../../src/testing';
import { FAST_RETRY, OPENAI_KEY, realNow, userMessages } from '../llm/helpers';

export { FAST_RETRY };

/** A failure the decorated method saw, with the real time it saw it. */
export interface SeenFailure {
  status: number | undefined;
  at: number;
}

export interface ChatAgent {
  readonly client: OpenAI;
  /** Every error the SDK threw inside the decorated method (before the engine saw it). */
  readonly failures: SeenFailure[];
  /** Requests the client started and has not yet received response headers for. */
  readonly inFlight: () => number;
  /** The most requests this agent's client ever had in flight at once. */
  readonly peakInFlight: () => number;
  complete(question: string): Promise<string>;
}

export interface ChatAgentOptions {
  /** Model sent in the request body (tells agents apart in `server.requests`). Default `gpt-4o-mini`. */
  model?: string;
  /** The instance's own `retryConfig` (layer 3 of the configuration). */
  retryConfig?: RetryConfig;
}

/**
 * A new class whose `complete` is decorated with `@RetryOpenAI(decorator)` (decorator
 * options are fixed when a class is defined, so each call defines one), and an instance of
 * it. The client counts the requests it has in flight through a wrapping `fetch`.
 */
export function chatAgent(server: FaultServer, decorator: RetryOptions, options: ChatAgentOptions = {}): ChatAgent {
  const model = options.model ?? 'gpt-4o-mini';
  let inFlight = 0;
  let peak = 0;
  const countingFetch: typeof fetch = async (input, init) => {
    inFlight++;
    peak = Math.max(peak, inFlight);
    try {
      return await globalThis.fetch(input, init);
    } finally {
      inFlight--;
    }
  };

  class DecoratedChatAgent implements ChatAgent {
    readonly client = new OpenAI({
      apiKey: OPENAI_KEY,
      baseURL: server.openaiBaseURL,
      maxRetries: 0,
      fetch: countingFetch,
    });
    readonly failures: SeenFailure[] = [];
    readonly inFlight = () => inFlight;
    readonly peakInFlight = () => peak;
    readonly retryConfig = options.retryConfig;

    @RetryOpenAI(decorator)
    async complete(question: string): Promise<string> {
      const { signal } = getRetryContext()!;
      try {
        const completion = await this.client.chat.completions.create(
          { model, messages: userMessages(question) },
          { signal },
        );
        return completion.choices[0].message.content ?? '';
      } catch (error) {
        this.failures.push({ status: error instanceof APIError ? error.status : undefined, at: Date.now() });
        throw error;
      }
    }
  }
  return new DecoratedChatAgent();
}

/** Real-time sleep (these suites run on real timers). */
export const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A few real event-loop turns: lets the engine finish handling a failure the method already saw. */
export async function turns(count = 5): Promise<void> {
  for (let i = 0; i < count; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** Turns the real event loop until `predicate()` holds; fails after 3 real seconds. */
export async function until(predicate: () => boolean, what: string): Promise<void> {
  const start = realNow();
  while (!predicate()) {
    if (realNow() - start > 3000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** The model a recorded request asked for. */
export const modelOf = (request: RecordedRequest): string | undefined =>
  (request.body as { model?: string } | undefined)?.model;

/** How many requests a call added to the server's log. */
export async function requestsSentBy<T>(
  server: FaultServer,
  call: () => Promise<T>,
): Promise<{ sent: number; outcome: T | unknown }> {
  const before = server.requests.length;
  let outcome: T | unknown;
  try {
    outcome = await call();
  } catch (error) {
    outcome = error;
  }
  return { sent: server.requests.length - before, outcome };
}

/**
 * The most requests the server was working on at once, given that each request in
 * `requests` was answered `durationMs` after it arrived (a `slow:MS` script). Intervals are
 * half-open: a request that arrives the millisecond another was answered does not overlap it.
 */
export function peakConcurrency(requests: readonly RecordedRequest[], durationMs: number): number {
  const edges = requests.flatMap((request) => [
    { at: request.at, delta: 1 },
    { at: request.at + durationMs, delta: -1 },
  ]);
  // Ends before starts at the same instant.
  edges.sort((a, b) => a.at - b.at || a.delta - b.delta);
  let current = 0;
  let peak = 0;
  for (const edge of edges) {
    current += edge.delta;
    peak = Math.max(peak, current);
  }
  return peak;
}
