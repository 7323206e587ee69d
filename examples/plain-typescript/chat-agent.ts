/**
 * The README's Quick Start class, as is, except that its client is pointed at the demo's
 * fault server (`baseURL`, a fake key) instead of api.openai.com. Plus the streaming method
 * of the README's Decorators section.
 */
import OpenAI from 'openai';
// In an app: 'llm-resilience'.
import { getRetryContext, RetryConfig, RetryOpenAI } from '../../src';

export class ChatAgent {
  private readonly client: OpenAI;

  // The per-agent config: picked up by the decorator from `this.retryConfig`.
  constructor(
    baseURL: string,
    readonly retryConfig = new RetryConfig({ maxAttempts: 4, totalTimeoutMs: 60_000 }),
  ) {
    // Turn the SDK's own retries off: one retry layer only (2 SDK retries under
    // 3 attempts would send up to 9 requests). In an app: new OpenAI({ maxRetries: 0 }).
    this.client = new OpenAI({ baseURL, apiKey: 'sk-demo', maxRetries: 0 });
  }

  @RetryOpenAI()
  async complete(question: string): Promise<string> {
    // Abort the request when an attempt or the whole call times out, or the caller aborts.
    const { signal } = getRetryContext()!;
    const completion = await this.client.chat.completions.create(
      { model: 'gpt-4o-mini', messages: [{ role: 'user', content: question }] },
      { signal },
    );
    return completion.choices[0].message.content ?? '';
  }

  // Retried only until the first text reaches the caller (its commit point); after that a
  // failure is a StreamInterruptedError.
  @RetryOpenAI()
  async *stream(question: string): AsyncGenerator<string> {
    const { signal } = getRetryContext()!;
    const stream = await this.client.chat.completions.create(
      { model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: question }] },
      { signal },
    );
    for await (const chunk of stream) {
      const text = chunk.choices[0]?.delta?.content;
      if (text) yield text;
    }
  }
}
