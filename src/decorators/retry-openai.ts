import { shouldRetryOpenAIError } from '../classification/classify-error';
import { OPENAI_STREAM_ITEMS } from '../strategies/stream-commit/openai-stream-items';
import { createRetryDecorator } from './create-retry-decorator';
import type { RetryMethodDecorator, RetryOptions } from '../pipeline/retry-options';

/**
 * Retries errors of the `openai` SDK that are worth retrying: 408, 409, 429 (not a
 * quota error), 5xx (not 501/505), connection failures and timeouts.
 * Give the client `maxRetries: 0` so that only one layer retries.
 *
 * @param options - Any `RetryConfig` field plus `config`, `configName`, `key`, `name`, `logger`,
 * `tracer`; invalid options throw when the class is defined.
 * @example
 * ```ts
 * class ChatAgent {
 *   private readonly client = new OpenAI({ maxRetries: 0 });
 *
 *   @RetryOpenAI({ maxAttempts: 4, totalTimeoutMs: 60_000 })
 *   async complete(question: string): Promise<string> {
 *     const { signal } = getRetryContext()!;
 *     const completion = await this.client.chat.completions.create(
 *       { model: 'gpt-4o-mini', messages: [{ role: 'user', content: question }] },
 *       { signal },
 *     );
 *     return completion.choices[0].message.content ?? '';
 *   }
 * }
 * ```
 */
export function RetryOpenAI(options?: RetryOptions): RetryMethodDecorator {
  return createRetryDecorator('RetryOpenAI', shouldRetryOpenAIError, options, OPENAI_STREAM_ITEMS);
}
