/**
 * The Responses API with streams, as the README's "Streams" section writes it: the SDK's raw
 * events under `@RetryOpenAI` (lifecycle events held back until the first token), and a
 * background response read through a pipeline that re-attaches where the stream broke.
 */
import OpenAI from 'openai';
import type { ResponseStreamEvent } from 'openai/resources/responses/responses';
// In an app: 'llm-resilience'.
import { createResiliencePipeline, getRetryContext, RetryConfig, RetryOpenAI } from '../../src';

export class ResponsesAgent {
  private readonly client: OpenAI;

  constructor(
    baseURL: string,
    readonly retryConfig = new RetryConfig({ maxAttempts: 4, totalTimeoutMs: 60_000 }),
  ) {
    this.client = new OpenAI({ baseURL, apiKey: 'sk-demo', maxRetries: 0 });
  }

  /** The SDK's events as they come: retried until the first token reaches the caller. */
  @RetryOpenAI({ firstItemTimeoutMs: 10_000 })
  async *events(question: string): AsyncGenerator<ResponseStreamEvent> {
    const { signal } = getRetryContext()!;
    yield* await this.client.responses.create({ model: 'gpt-4o-mini', input: question, stream: true }, { signal });
  }

  /** A background response: a stream that breaks after its first token re-attaches where it broke. */
  background(question: string): AsyncGenerator<ResponseStreamEvent> {
    const client = this.client;
    return this.pipeline.stream(
      ({ signal }) =>
        client.responses.create({ model: 'gpt-4o-mini', input: question, background: true, stream: true }, { signal }),
      {
        resume: ({ responseId, sequenceNumber }, { signal }) =>
          client.responses.retrieve(responseId, { stream: true, starting_after: sequenceNumber }, { signal }),
      },
    );
  }

  private readonly pipeline = createResiliencePipeline({
    name: 'ResponsesAgent.background',
    provider: 'openai',
    config: () => this.retryConfig,
    idleTimeoutMs: 30_000,
  });
}
